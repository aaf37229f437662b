/* UART audio stream parser (see uart_audio.h). */
#include "uart_audio.h"

#include <string.h>

uint16_t ua_crc16(const uint8_t *data, unsigned len)
{
    uint16_t crc = 0xFFFF;
    for (unsigned i = 0; i < len; i++) {
        crc ^= (uint16_t)data[i] << 8;
        for (int b = 0; b < 8; b++)
            crc = (crc & 0x8000) ? (uint16_t)((crc << 1) ^ 0x1021) : (uint16_t)(crc << 1);
    }
    return crc;
}

unsigned ua_sizeof_parser(void)
{
    return sizeof(ua_parser_t);
}

void ua_get_stats(const ua_parser_t *p, ua_stats_t *out)
{
    *out = p->stats;
}

void ua_init(ua_parser_t *p, ua_deliver_fn deliver, void *ctx)
{
    memset(p, 0, sizeof(*p));
    p->deliver = deliver;
    p->ctx = ctx;
}

/* One byte through the state machine. Returns 0, or the number of bytes (>= 1) of a failed candidate
 * now in buf[0..pos-1] that must be rescanned from buf[1]. */
static unsigned step(ua_parser_t *p, uint8_t b)
{
    p->buf[p->pos++] = b;
    if (p->pos == 1) {
        if (b != UA_SYNC0) {
            p->pos = 0;
            p->stats.skipped_bytes++;
        }
        return 0;
    }
    if (p->pos == 2) {
        if (b != UA_SYNC1) {
            p->stats.skipped_bytes++;  /* the first sync byte; buf[1] is rescanned */
            return 2;
        }
        return 0;
    }
    if (p->pos == UA_HEADER_BYTES) {
        unsigned n = p->buf[4];
        if (n > UA_MAX_SAMPLES) {
            p->stats.len_errors++;
            return p->pos;
        }
        p->need = UA_HEADER_BYTES + 2 * n + UA_CRC_BYTES;
        return 0;
    }
    if (p->pos < UA_HEADER_BYTES || p->pos < p->need)
        return 0;
    /* complete candidate */
    unsigned n = p->buf[4];
    unsigned body = p->need - UA_CRC_BYTES - 2;
    uint16_t crc = (uint16_t)(p->buf[p->need - 2] | (p->buf[p->need - 1] << 8));
    if (ua_crc16(p->buf + 2, body) != crc) {
        p->stats.crc_errors++;
        return p->pos;
    }
    uint16_t seq = (uint16_t)(p->buf[2] | (p->buf[3] << 8));
    if (p->have_seq && seq != p->next_seq)
        p->stats.seq_gaps += (uint16_t)(seq - p->next_seq);
    p->have_seq = 1;
    p->next_seq = (uint16_t)(seq + 1);
    for (unsigned i = 0; i < n; i++)
        p->samples[i] = (int16_t)(uint16_t)(p->buf[5 + 2 * i] | (p->buf[6 + 2 * i] << 8));
    p->stats.frames_ok++;
    p->stats.samples += n;
    if (p->cand_in_rescan)
        p->stats.short_frames++;
    p->cand_in_rescan = 0;
    p->rescan_left = 0;      /* at most one short frame per failed candidate */
    if (p->deliver)
        p->deliver(p->ctx, seq, p->samples, n);
    p->pos = 0;
    p->need = 0;
    return 0;
}

void ua_feed(ua_parser_t *p, uint8_t byte)
{
    /* Work list: the new byte, plus bytes of failed candidates being rescanned (at most
     * UA_MAX_FRAME_BYTES - 1 pending from earlier failures + one failed frame). */
    uint8_t work[2 * UA_MAX_FRAME_BYTES];
    unsigned head = 0, tail = 0;
    work[tail++] = byte;
    while (head < tail) {
        uint8_t b = work[head++];
        int counted = p->pos >= 2;  /* this byte belongs to a candidate that passed sync */
        int in_rescan = p->rescan_left > 0;
        if (in_rescan)
            p->rescan_left--;
        unsigned failed = step(p, b);
        if (p->pos == 1)
            p->cand_in_rescan = in_rescan;
        if (failed) {
            /* re-feed buf[1..failed-1] before the rest of the work list */
            unsigned rest = tail - head, k = failed - 1;
            memmove(work + k, work + head, rest);
            memcpy(work, p->buf + 1, k);
            head = 0;
            tail = k + rest;
            if (counted && failed > 2)
                p->rescan_left = k;  /* a failed candidate: a good frame starting in it is "short" */
            p->pos = 0;
            p->need = 0;
        }
    }
}

void ua_feed_buf(ua_parser_t *p, const uint8_t *data, unsigned len)
{
    for (unsigned i = 0; i < len; i++)
        ua_feed(p, data[i]);
}
