/* Board services for the firmware: console, cycle counter, and ending a run with a status. */
#ifndef KWS_PLATFORM_H
#define KWS_PLATFORM_H
#include <stdint.h>

void platform_init(void);
/* Cycles since reset (LiteX timer uptime counter). */
uint64_t platform_cycles(void);
/* Print "KWS_EXIT=<code>", drain the UART and end the simulation (sim_finish); on a board, park. */
void platform_exit(int code) __attribute__((noreturn));

#endif
