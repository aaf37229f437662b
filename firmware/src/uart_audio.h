/* UART audio stream parser: byte-at-a-time, portable C (firmware and host tests).
 *
 * Framing (defined in soc/uart_audio_proto.py, generated into firmware/include/soc_format.h):
 *   0xA5 0x5A | seq u16 LE | n u8 (0..UA_MAX_SAMPLES) | n x int16 LE | crc16 LE
 *   crc = CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF) over seq, n and the samples.
 *   n = 0 is the end-of-stream frame: delivered like any good frame, with no samples.
 *
 * On a bad sync, bad length or bad CRC the parser rescans from the byte after the failed frame's
 * first sync byte, so a good frame that starts inside a truncated or corrupted one is still found.
 * Good frames are delivered once, in order, through the callback; sequence gaps are counted.
 */
#ifndef UART_AUDIO_H
#define UART_AUDIO_H

#include <stdint.h>

#include "soc_format.h"      /* UA_*: the framing constants, generated from soc/uart_audio_proto.py */

typedef void (*ua_deliver_fn)(void *ctx, uint16_t seq, const int16_t *samples, unsigned n);

typedef struct {
    uint32_t frames_ok;      /* good frames delivered (end-of-stream frames included) */
    uint32_t samples;        /* samples delivered */
    uint32_t crc_errors;     /* candidate frames (both sync bytes seen) with a bad CRC: bit flips, truncation */
    uint32_t len_errors;     /* candidate frames with n > UA_MAX_SAMPLES */
    uint32_t skipped_bytes;  /* bytes discarded while looking for sync */
    uint32_t seq_gaps;       /* frames missing according to the sequence numbers */
    uint32_t short_frames;   /* a good frame started inside a failed candidate (a truncated
                              * frame; back-to-back truncated frames count once) */
} ua_stats_t;

typedef struct {
    uint8_t buf[UA_MAX_FRAME_BYTES];
    unsigned pos;            /* bytes of the current candidate frame in buf */
    unsigned need;           /* total bytes of the current candidate (0 until n is known) */
    int have_seq;
    uint16_t next_seq;
    unsigned rescan_left;    /* bytes of a failed candidate still being rescanned */
    int cand_in_rescan;      /* the current candidate started inside a failed one */
    ua_deliver_fn deliver;
    void *ctx;
    int16_t samples[UA_MAX_SAMPLES];
    ua_stats_t stats;
} ua_parser_t;

void ua_init(ua_parser_t *p, ua_deliver_fn deliver, void *ctx);
void ua_feed(ua_parser_t *p, uint8_t byte);
void ua_feed_buf(ua_parser_t *p, const uint8_t *data, unsigned len);
uint16_t ua_crc16(const uint8_t *data, unsigned len);
unsigned ua_sizeof_parser(void);
void ua_get_stats(const ua_parser_t *p, ua_stats_t *out);

#endif
