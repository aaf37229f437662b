/* Driver of the DS-CNN accelerator (accel/hw/litex_core.py; register map in docs/accelerator.md). */
#ifndef KWS_ACCEL_DRV_H
#define KWS_ACCEL_DRV_H
#include <stdint.h>

/* Window offsets (bytes) of the accelerator's memories on the Wishbone bus. */
#define ACCEL_WIN_DESC   0x000000u
#define ACCEL_WIN_WEIGHT 0x040000u
#define ACCEL_WIN_QUANT  0x080000u
#define ACCEL_WIN_ACT0   0x0c0000u
#define ACCEL_WIN_ACT1   0x100000u
#define ACCEL_QUANT_STRIDE_WORDS 16u

/* Load descriptors, weights and quant words into the core. All three arrays are bus images copied
 * verbatim into their windows; quant is already at the bus stride (ACCEL_QUANT_STRIDE_WORDS 32-bit
 * words per quant word), as accel/compiler.py c_header() generates it. */
void accel_load(const uint32_t *desc, uint32_t n_desc, const uint32_t *weights, uint32_t n_weights,
                const uint32_t *quant, uint32_t n_quant);
/* Write/read 32-bit words of activation buffer buf (0 = A, 1 = B) from 32-bit word index word32. */
void accel_write_act(int buf, uint32_t word32, const uint32_t *src, uint32_t n);
void accel_read_act(int buf, uint32_t word32, uint32_t *dst, uint32_t n);
/* The window onto activation buffer buf (0 = A, 1 = B), for writing tensors in place. */
volatile uint32_t *accel_act_window(int buf);
/* Run the descriptor list from word 0; returns the error code (0 = none). */
int accel_run(void);
uint32_t accel_busy_cycles(void);
#endif
