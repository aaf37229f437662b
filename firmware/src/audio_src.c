/* Audio sources of the KWS app (see audio_src.h). */
#include <stdio.h>
#include <string.h>

#include <generated/csr.h>
#include <generated/mem.h>

#include "audio_src.h"

#if AUDIO_SRC == AUDIO_SRC_MEM
#include "soc_format.h"

static const volatile int16_t *clip;
static uint32_t clip_n, clip_pos;

int audio_open(void)
{
#ifndef MAIN_RAM_BASE
    printf("audio: this SoC has no main RAM to hold a clip\n");
    return -1;
#else
    const volatile uint32_t *img = (const volatile uint32_t *)MAIN_RAM_BASE;
    if (img[0] != AUDIO_MAGIC) {
        printf("audio: no clip in main RAM (run soc/build.py with --wav)\n");
        return -1;
    }
    if (img[2] != AUDIO_RATE) {
        printf("audio: clip in main RAM is at %lu Hz, not %d\n", (unsigned long)img[2], AUDIO_RATE);
        return -1;
    }
    clip_n = img[1];
    clip_pos = 0;
    clip = (const volatile int16_t *)(img + AUDIO_HEADER_WORDS);
    printf("audio: clip in main RAM, %lu samples (%lu ms)\n", (unsigned long)clip_n,
           (unsigned long)(clip_n * 1000u / AUDIO_RATE));
    return 0;
#endif
}

int audio_read(int16_t *dst, int n)
{
    int got = 0;
    while (got < n && clip_pos < clip_n)
        dst[got++] = clip[clip_pos++];
    return got;
}

int audio_take(int n, const volatile int16_t **where)
{
    uint32_t left = clip_n - clip_pos;
    int got = left < (uint32_t)n ? (int)left : n;
    *where = clip + clip_pos;
    clip_pos += (uint32_t)got;
    return got;
}

void audio_report(void)
{
}

#elif AUDIO_SRC == AUDIO_SRC_UART
#include <libbase/uart.h>

#include "uart_audio.h"

/* The console UART is polled (firmware/Makefile builds LiteX's driver with UART_POLLING): the UART
 * core's receive FIFO is the only buffer, so while the app is busy a full FIFO holds the line (flow
 * control in the simulation; on a board the FIFO covers the longest time the app does not read, see
 * boards/arty.py UART_FIFO_DEPTH). */

/* Delivered samples wait here until audio_read takes them. One ua_feed() call can deliver at most
 * a few frames (a rescanned failed candidate), so the parser is fed only while a margin is free. */
#define QSIZE 1024
#define QMARGIN (4 * UA_MAX_SAMPLES)
static int16_t q[QSIZE];
static unsigned q_head, q_count, q_lost;
static int ended;
static ua_parser_t ua;

static void deliver(void *ctx, uint16_t seq, const int16_t *s, unsigned n)
{
    (void)ctx;
    (void)seq;
    if (n == 0) {
        ended = 1;
        return;
    }
    for (unsigned i = 0; i < n; i++) {
        if (q_count == QSIZE) {
            q_lost++;
            continue;
        }
        q[(q_head + q_count++) % QSIZE] = s[i];
    }
}

int audio_open(void)
{
    ua_init(&ua, deliver, 0);
    q_head = q_count = q_lost = 0;
    ended = 0;
    printf("audio: waiting for a UART stream (16 kHz int16 frames: python soc/stream_wav.py)\n");
    return 0;
}

int audio_read(int16_t *dst, int n)
{
    int got = 0;
    while (got < n) {
        if (q_count) {
            dst[got++] = q[q_head];
            q_head = (q_head + 1) % QSIZE;
            q_count--;
            continue;
        }
        if (ended)
            break;
        while (!ended && q_count + QMARGIN <= QSIZE && q_count < (unsigned)(n - got))
            ua_feed(&ua, (uint8_t)uart_read());   /* waits for the next byte */
    }
    return got;
}

void audio_report(void)
{
    ua_stats_t st;
    ua_get_stats(&ua, &st);
    printf("uart: %lu frames, %lu samples, %lu crc errors, %lu length errors, %lu sequence gaps, "
           "%lu skipped bytes, %u samples lost\n",
           (unsigned long)st.frames_ok, (unsigned long)st.samples, (unsigned long)st.crc_errors,
           (unsigned long)st.len_errors, (unsigned long)st.seq_gaps, (unsigned long)st.skipped_bytes, q_lost);
}

#elif AUDIO_SRC == AUDIO_SRC_I2S

int audio_open(void)
{
#if !defined(CSR_I2S_BASE) && defined(CSR_PDM_BASE)
    /* the board's PDM microphone (soc/pdm_rx.py): control = 1 is enable with the defaults: L/R SELECT
     * low, 2.048 MHz PDM clock (CIC R = 128), DC removal, gain 0; the receiver feeds the front-end */
    pdm_control_write(0);
    pdm_control_write(1u | (1u << 7));
    printf("audio: PDM microphone on, 2.048 MHz PDM clock, CIC5 R=128, 16 kHz\n");
    return 0;
#elif !defined(CSR_I2S_BASE)
    printf("audio: this SoC has no microphone input (build it for a board with one, or use --audio uart)\n");
    return -1;
#else
    /* left channel (INMP441 L/R pin low), 32-bit slots; the receiver feeds the front-end directly */
    i2s_control_write(0);
    i2s_control_write(1u | (1u << 3));
    printf("audio: I2S microphone on, left channel, 32-bit slots, 16 kHz\n");
    return 0;
#endif
}

int audio_read(int16_t *dst, int n)
{
    (void)dst;
    (void)n;
    return 0;
}

void audio_report(void)
{
#ifdef CSR_I2S_BASE
    printf("i2s: %lu samples, %lu dropped\n", (unsigned long)i2s_count_read(), (unsigned long)i2s_dropped_read());
#endif
#ifdef CSR_PDM_BASE
    printf("pdm: %lu samples, %lu dropped\n", (unsigned long)pdm_count_read(), (unsigned long)pdm_dropped_read());
#endif
}

#else
#error "unknown AUDIO_SRC"
#endif
