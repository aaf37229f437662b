/* Driver of the audio front-end core (frontend/hw/litex_core.py; register map in docs/frontend.md). */
#ifndef KWS_FRONTEND_DRV_H
#define KWS_FRONTEND_DRV_H
#include <stdint.h>

/* FE_MODE_*, FE_FEATURES_*, FE_RING_SLOTS, FE_SLOT_BYTES, FE_CONTROL_* / FE_STATUS_* register bits:
 * generated from frontend/format.py (firmware/include; `python -m frontend headers`). */
#include "frontend_format.h"

/* Select the mode and restart the streaming state (overlap buffer, PCEN smoother). */
void fe_start(int mode);
/* Push one sample; waits while the core's input FIFO is full (never drops). */
void fe_push(int16_t sample);
/* Frames the core has written since fe_start(). */
uint32_t fe_frames(void);
/* Copy frame number idx (must be one of the latest FE_RING_SLOTS) into out[0..n-1]. */
void fe_read_frame(uint32_t idx, int8_t *out, int n);
/* Cycles the core spent on its latest frame. */
uint32_t fe_last_cycles(void);
/* Wait until the FIFO is empty and the core idle. */
void fe_drain(void);
/* Samples the core's FIFO has accepted since fe_start() (CSR pushes and the stream input). */
uint32_t fe_samples(void);
/* SoCs with the audio DMA (soc/kws_soc.py add_audio_dma; CSR_AUDIO_DMA_BASE): stream n samples
 * (n even, src 4-byte aligned, e.g. the clip in main RAM) into the front-end with no CPU work per
 * sample; returns at once (fe_samples() tells when they are in). */
void fe_stream_from(const volatile int16_t *src, uint32_t n);
/* Features per frame for a mode (FE_FEATURES_MFCC for FE_MODE_MFCC, else FE_FEATURES_LOGMEL). */
int fe_bins(int mode);
#endif
