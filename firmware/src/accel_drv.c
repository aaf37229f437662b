#include <stdio.h>

#include <generated/csr.h>
#include <generated/mem.h>
#include <generated/soc.h>

#include "accel_drv.h"
#include "platform.h"

#ifdef CSR_ACCEL_BASE

/* Bounds, in CPU cycles. The first run has no measurement yet: 100 ms, five 20 ms hops. */
#define ACCEL_TIMEOUT_FIRST_CYCLES (CONFIG_CLOCK_FREQUENCY / 10)
#define ACCEL_TIMEOUT_MIN_CYCLES 20000u
/* Recovery waits at most this long for a timed-out core to become idle (100 ms). */
#define ACCEL_RECOVER_CYCLES (CONFIG_CLOCK_FREQUENCY / 10)

static const uint32_t *img_desc, *img_weights, *img_quant;
static uint32_t img_n_desc, img_n_weights, img_n_quant, img_quant_len;
static uint32_t timeout_set, longest_good, last_wait, recover_bound = ACCEL_RECOVER_CYCLES;
static int dead;

static volatile uint32_t *win(uint32_t byte_offset)
{
    return (volatile uint32_t *)(ACCEL_BASE + byte_offset);
}

static void copy_images(void)
{
    volatile uint32_t *d = win(ACCEL_WIN_DESC), *w = win(ACCEL_WIN_WEIGHT), *q = win(ACCEL_WIN_QUANT);
    for (uint32_t i = 0; i < img_n_desc; i++)
        d[i] = img_desc[i];
    for (uint32_t i = 0; i < img_n_weights; i++)
        w[i] = img_weights[i];
    /* Quant words are packed in the image (img_quant_len 32-bit words each, as accel/compiler.py
     * c_header() writes them) and sit ACCEL_QUANT_STRIDE_WORDS apart on the bus (the words after
     * img_quant_len in each slot are never read by the core). */
    for (uint32_t i = 0, k = 0; i < img_n_quant; i++)
        for (uint32_t j = 0; j < img_quant_len; j++)
            q[i * ACCEL_QUANT_STRIDE_WORDS + j] = img_quant[k++];
}

void accel_load(const uint32_t *desc, uint32_t n_desc, const uint32_t *weights, uint32_t n_weights,
                const uint32_t *quant, uint32_t n_quant_words, uint32_t quant_word_len)
{
    if (quant_word_len == 0 || quant_word_len > ACCEL_QUANT_STRIDE_WORDS) {
        printf("accel: quant word of %lu 32-bit words does not fit the %d-word bus stride\n",
               (unsigned long)quant_word_len, ACCEL_QUANT_STRIDE_WORDS);
        n_quant_words = 0;
    }
    img_desc = desc;
    img_n_desc = n_desc;
    img_weights = weights;
    img_n_weights = n_weights;
    img_quant = quant;
    img_n_quant = n_quant_words;
    img_quant_len = quant_word_len;
    copy_images();
}

volatile uint32_t *accel_act_window(int buf)
{
    return win(buf ? ACCEL_WIN_ACT1 : ACCEL_WIN_ACT0);
}

volatile uint32_t *accel_desc_window(void)
{
    return win(ACCEL_WIN_DESC);
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

void accel_set_timeout(uint32_t cycles)
{
    timeout_set = cycles;
}

void accel_set_recover_timeout(uint32_t cycles)
{
    recover_bound = cycles ? cycles : ACCEL_RECOVER_CYCLES;
}

uint32_t accel_timeout(void)
{
    if (timeout_set)
        return timeout_set;
    if (!longest_good)
        return ACCEL_TIMEOUT_FIRST_CYCLES;
    uint32_t t = longest_good > 0xffffffffu / 10 ? 0xffffffffu : 10 * longest_good;
    return t < ACCEL_TIMEOUT_MIN_CYCLES ? ACCEL_TIMEOUT_MIN_CYCLES : t;
}

int accel_run(void)
{
    if (dead)
        return ACCEL_RUN_DEAD;
    uint32_t bound = accel_timeout();
    accel_desc_base_write(0);
    accel_n_layers_write(0);
    uint64_t t0 = platform_cycles();
    accel_control_write(1);
    uint32_t s;
    for (;;) {
        s = accel_status_read();
        if ((s & ACCEL_STATUS_DONE) && !(s & ACCEL_STATUS_BUSY))
            break;                                  /* ended, with or without error */
        if (!(s & ACCEL_STATUS_BUSY) && ACCEL_STATUS_ERROR(s))
            break;                                  /* an error ends a run without done */
        uint64_t el = platform_cycles() - t0;
        if (el > bound) {
            last_wait = (uint32_t)el;
            return ACCEL_RUN_TIMEOUT;
        }
    }
    int err = (int)ACCEL_STATUS_ERROR(s);
    if (!err) {
        uint32_t busy = accel_cyc_busy_read();
        if (busy > longest_good)
            longest_good = busy;
    }
    return err;
}

const char *accel_err_name(int code)
{
    switch (code) {
    case ACCEL_ERR_NONE: return "none";
    case ACCEL_ERR_OP: return "unknown op";
    case ACCEL_ERR_RANGE: return "address out of range";
    case ACCEL_ERR_ZERO: return "zero size";
    case ACCEL_ERR_LIST: return "descriptor list runs past memory";
    default: return "unknown";
    }
}

uint32_t accel_layers_done(void)
{
    return accel_layers_read();
}

uint32_t accel_n_layers(void)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i + ACCEL_DESC_WORDS <= img_n_desc; i += ACCEL_DESC_WORDS, n++)
        if (((img_desc[i + ACCEL_DESC_OP_WORD] >> ACCEL_DESC_OP_LSB) & ((1u << ACCEL_DESC_OP_BITS) - 1))
            == ACCEL_OP_END)
            break;
    return n;
}

int accel_fault(int rc)
{
    if (rc == ACCEL_RUN_DEAD)
        return -1;                                  /* reported when it happened */
    if (rc == ACCEL_RUN_TIMEOUT)
        printf("accel: timeout after %lu cycles (layer %lu of %lu running)\n", (unsigned long)last_wait,
               (unsigned long)accel_layers_read(), (unsigned long)accel_n_layers());
    else
        printf("accel: error %d (%s) at layer %lu of %lu\n", rc, accel_err_name(rc),
               (unsigned long)accel_layers_read(), (unsigned long)accel_n_layers());
    /* No reset/abort register: wait for the core to stop by itself (its loops are bounded by the
     * descriptor fields), then re-load the images it runs from. */
    uint64_t t0 = platform_cycles();
    while (accel_status_read() & ACCEL_STATUS_BUSY) {
        if (platform_cycles() - t0 > recover_bound) {
            printf("accel: still busy after %lu more cycles; no reset register: accelerator disabled until "
                   "the system is reset\n", (unsigned long)(platform_cycles() - t0));
            dead = 1;
            return -1;
        }
    }
    copy_images();
    return 0;
}

uint32_t accel_busy_cycles(void)
{
    return accel_cyc_busy_read();
}

void accel_ring_init(const int8_t *frame, uint32_t step, uint32_t frames)
{
    volatile uint32_t *r = win(ACCEL_WIN_RING), *c = win(ACCEL_WIN_RING_CTL);
    for (uint32_t f = 0; f < frames; f++)
        for (uint32_t b = 0; b < step; b++)
            r[f * step + b] = (uint8_t)frame[b];      /* one byte per bus word */
    c[ACCEL_RING_LEN] = frames * step;
    c[ACCEL_RING_STEP] = step;
    c[ACCEL_RING_WP] = 0;
}

uint32_t accel_ring_wp(void)
{
    return win(ACCEL_WIN_RING_CTL)[ACCEL_RING_WP];
}

#endif
