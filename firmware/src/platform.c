#include <stdio.h>

#include <generated/csr.h>
#include <irq.h>
#include <libbase/uart.h>

#include "platform.h"

void platform_init(void)
{
#ifdef CONFIG_CPU_HAS_INTERRUPT
    irq_setmask(0);
    irq_setie(1);
#endif
    uart_init();
#ifdef CSR_SDRAM_BASE
    /* DDR3 boards: no BIOS runs before us, so calibrate the memory here. */
    extern int sdram_init(void);
    sdram_init();
#endif
}

uint64_t platform_cycles(void)
{
    timer0_uptime_latch_write(1);
    return timer0_uptime_cycles_read();
}

void platform_exit(int code)
{
    uint64_t cycles = platform_cycles();

    /* The host (soc/flow/console.py) reads the cycle count for the simulation speed, then the status. */
    printf("KWS_CYCLES=0x%08lx%08lx\n", (unsigned long)(cycles >> 32), (unsigned long)cycles);
    printf("KWS_EXIT=%d\n", code);
    uart_sync();
#ifdef CSR_UART_TXEMPTY_ADDR
    while (!uart_txempty_read())   /* the polled driver's uart_sync only waits for FIFO room */
        ;
#endif
#ifdef CSR_SIM_FINISH_BASE
    sim_finish_finish_write(1);
#endif
    for (;;) {
    }
}
