#include <generated/csr.h>
#include <generated/mem.h>

#include "frontend_drv.h"

#ifdef CSR_FRONTEND_BASE

static uint32_t fe_base_count;

void fe_start(int mode)
{
    fe_base_count = frontend_frame_count_read();
    frontend_control_write((((uint32_t)mode << FE_CONTROL_MODE_SHIFT) & FE_CONTROL_MODE_MASK) | FE_CONTROL_CLEAR);  /* mode, then the clear pulse */
    fe_base_count = frontend_frame_count_read();
}

void fe_push(int16_t sample)
{
    while (frontend_status_read() & FE_STATUS_FIFO_FULL)
        ;
    frontend_sample_write((uint16_t)sample);
}

uint32_t fe_frames(void)
{
    return frontend_frame_count_read() - fe_base_count;
}

void fe_read_frame(uint32_t idx, int8_t *out, int n)
{
    uint32_t slot = (fe_base_count + idx) % FE_RING_SLOTS;
    const volatile uint32_t *w = (const volatile uint32_t *)(FRONTEND_MEM_BASE + slot * FE_SLOT_BYTES);
    for (int i = 0; i < n; i += 4) {
        uint32_t v = w[i / 4];
        for (int b = 0; b < 4 && i + b < n; b++)
            out[i + b] = (int8_t)(v >> (8 * b));
    }
}

uint32_t fe_last_cycles(void)
{
    return frontend_last_cycles_read();
}

uint32_t fe_samples(void)
{
    return frontend_samples_read();
}

#ifdef CSR_AUDIO_DMA_BASE
void fe_stream_from(const volatile int16_t *src, uint32_t n)
{
    audio_dma_reader_enable_write(0);                 /* the reader restarts from base when enabled again */
    audio_dma_reader_base_write((uint32_t)(uintptr_t)src);
    audio_dma_reader_length_write(2 * n);
    audio_dma_reader_enable_write(1);
}
#endif

void fe_drain(void)
{
    while ((frontend_status_read() & (FE_STATUS_FIFO_EMPTY | FE_STATUS_BUSY)) != FE_STATUS_FIFO_EMPTY)  /* until fifo_empty and not busy */
        ;
}

#endif

int fe_bins(int mode)
{
    return mode == FE_MODE_MFCC ? FE_FEATURES_MFCC : FE_FEATURES_LOGMEL;
}
