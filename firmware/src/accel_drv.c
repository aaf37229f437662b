#include <generated/csr.h>
#include <generated/mem.h>

#include "accel_drv.h"

#ifdef CSR_ACCEL_BASE

static volatile uint32_t *win(uint32_t byte_offset)
{
    return (volatile uint32_t *)(ACCEL_BASE + byte_offset);
}

void accel_load(const uint32_t *desc, uint32_t n_desc, const uint32_t *weights, uint32_t n_weights,
                const uint32_t *quant, uint32_t n_quant)
{
    volatile uint32_t *d = win(ACCEL_WIN_DESC), *w = win(ACCEL_WIN_WEIGHT), *q = win(ACCEL_WIN_QUANT);
    for (uint32_t i = 0; i < n_desc; i++)
        d[i] = desc[i];
    for (uint32_t i = 0; i < n_weights; i++)
        w[i] = weights[i];
    /* The program header (accel/compiler.py c_header) already lays the quant words out at the bus
     * stride (ACCEL_QUANT_STRIDE_WORDS words per quant word, unused lanes zero): copy verbatim. */
    for (uint32_t i = 0; i < n_quant; i++)
        q[i] = quant[i];
}

volatile uint32_t *accel_act_window(int buf)
{
    return win(buf ? ACCEL_WIN_ACT1 : ACCEL_WIN_ACT0);
}

void accel_write_act(int buf, uint32_t word32, const uint32_t *src, uint32_t n)
{
    volatile uint32_t *a = accel_act_window(buf) + word32;
    for (uint32_t i = 0; i < n; i++)
        a[i] = src[i];
}

void accel_read_act(int buf, uint32_t word32, uint32_t *dst, uint32_t n)
{
    volatile uint32_t *a = accel_act_window(buf) + word32;
    for (uint32_t i = 0; i < n; i++)
        dst[i] = a[i];
}

int accel_run(void)
{
    accel_desc_base_write(0);
    accel_n_layers_write(0);
    accel_control_write(1);
    uint32_t s;
    do {
        s = accel_status_read();
    } while (!(s & 2u));          /* done (with or without error) */
    return (int)((s >> 4) & 7u);
}

uint32_t accel_busy_cycles(void)
{
    return accel_cyc_busy_read();
}

#endif
