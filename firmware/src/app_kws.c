/*
 * Keyword spotting on live audio (audio_src.h: the clip in main RAM, a UART stream or the I2S
 * microphone): for every 20 ms hop, 320 samples go through the hardware
 * front-end, its new frame enters the feature ring (49 frames, oldest first; it starts as silence),
 * the accelerator runs the model on the ring, the CPU finishes the softmax, and the detector smooths
 * the posteriors and reports a keyword once past its threshold and refractory time.
 * Zero-copy (a model compiled with the ring, ACCEL_MODEL_RING, the default for the kws app): the ring
 * is the accelerator's feature ring, which the front-end writes in hardware, and the first layer reads
 * the window in place; with the clip in main RAM and the audio DMA (CSR_AUDIO_DMA_BASE) the samples
 * reach the front-end without CPU work either: per hop the CPU programs the DMA (4 CSR writes), waits
 * for the frame, starts the accelerator and reads the 12 scores. Otherwise (copy path) the CPU pushes
 * the samples and copies every frame into the accelerator's activation memory.
 * CPU cycles per hop: the CPU's own work (the DMA kick and everything after the frame, less the
 * accelerator's run; the copy path also counts pushing the samples, less the front-end's cycles).
 *   inf <n> t=<ms>ms fe=<cycles> accel=<cycles> cpu=<cycles> best=<label>:<p/255>
 *   detect: <label> conf=<p/255> t=<ms>ms [leds=<code>]
 * On a board with user LEDs the detected keyword's number (1 = first keyword ...) is shown on them in
 * binary for the refractory time (docs/boards/arty.md).
 * gen/kws_app.h (soc/build.py) holds the labels, the front-end mode matching the model's input
 * quantization, the silence frame and the detector settings.
 */
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#include <generated/csr.h>

#include "accel_drv.h"
#include "audio_src.h"
#include "frontend_drv.h"
#include "kws_app.h"
#include "kws_detect.h"
#include "nn_model.h"
#include "platform.h"
#ifdef CPU_ONLY
#include "fe.h"
#endif

extern const nn_model_t kws_model;

#define HOP FE_HOP
/* A UART or microphone stream on a board never ends: after each stream, wait for the next. In the
 * simulation (and for the clip in main RAM) the app returns after one. */
#if AUDIO_SRC != AUDIO_SRC_MEM && !defined(CSR_SIM_FINISH_BASE)
#define KWS_FOREVER 1
#else
#define KWS_FOREVER 0
#endif
#if defined(CPU_ONLY) && AUDIO_SRC == AUDIO_SRC_I2S
#error "the I2S microphone feeds the hardware front-end; the CPU-only build takes --audio mem or uart"
#endif
#define FRAMES KWS_IN_H
#define BINS KWS_IN_W

static int8_t ring[FRAMES][BINS];
static int8_t buf_a[KWS_BUF_BYTES], buf_b[KWS_BUF_BYTES], probs[KWS_N_CLASSES];

#if defined(CPU_ONLY)
static int8_t input[FRAMES * BINS];

static int infer(int head)
{
    for (int f = 0; f < FRAMES; f++)
        memcpy(&input[f * BINS], ring[(head + f) % FRAMES], BINS);
    int32_t bad = -1;
    return nn_model_run(&kws_model, input, probs, buf_a, buf_b, &bad) == NN_OK ? 0 : -1;
}
#elif defined(CSR_ACCEL_BASE)
#include "accel_model.h"

#if ACCEL_MODEL_RING
#define ZERO_COPY 1
#if ACCEL_MODEL_IN_H != FRAMES || ACCEL_MODEL_IN_W != BINS
#error "the accelerator program's ring window does not match the app's frames x bins"
#endif
#else
#define ZERO_COPY 0
/* Ring (oldest frame first) -> straight into the accelerator's input buffer, in its layout: one
 * 8-byte word per pixel (C = 1: the value in the low byte, the other 7 lanes zero). */
static void write_ring(int head)
{
    volatile uint32_t *dst = accel_act_window(ACCEL_MODEL_IN_BUF) + 2 * ACCEL_MODEL_IN_BASE;
    for (int f = 0; f < FRAMES; f++) {
        const int8_t *row = ring[(head + f) % FRAMES];
        for (int b = 0; b < BINS; b++) {
            *dst++ = (uint8_t)row[b];
            *dst++ = 0;
        }
    }
}
#endif

#ifdef KWS_INJECT_FAULT
/* Fault injection (soc/build.py --inject-fault; tests/test_soc_accel_faults.py): at inference
 * KWS_INJECT_AT (counted from 1), KWS_INJECT_FAULT 1 corrupts the op of descriptor KWS_INJECT_LAYER in the
 * accelerator's memory (the run must end with ACCEL_ERR_OP and the driver re-load the images), 2 lowers
 * the run's cycle bound below what the model needs (a done that does not come in time: the driver must
 * report the timeout and wait for the core to be idle before the next run), 3 also lowers the recovery
 * bound below what the run needs (a core that stays busy: the driver disables the accelerator, every
 * later hop is skipped and the app still ends normally). */
#ifndef KWS_INJECT_AT
#define KWS_INJECT_AT 3
#endif
#ifndef KWS_INJECT_LAYER
#define KWS_INJECT_LAYER 2
#endif
static uint32_t inject_n;

static void inject_before(void)
{
    if (++inject_n != KWS_INJECT_AT)
        return;
#if KWS_INJECT_FAULT == 1
    volatile uint32_t *d = accel_desc_window() + KWS_INJECT_LAYER * ACCEL_DESC_WORDS + ACCEL_DESC_OP_WORD;
    *d = (*d & ~(((1u << ACCEL_DESC_OP_BITS) - 1) << ACCEL_DESC_OP_LSB)) | (15u << ACCEL_DESC_OP_LSB);
    printf("inject: descriptor %d op -> 15 before inference %d\n", KWS_INJECT_LAYER, KWS_INJECT_AT);
#elif KWS_INJECT_FAULT == 2
    accel_set_timeout(1000);
    printf("inject: cycle bound 1000 for inference %d\n", KWS_INJECT_AT);
#elif KWS_INJECT_FAULT == 3
    accel_set_timeout(1000);
    accel_set_recover_timeout(100);
    printf("inject: cycle bound 1000 and recovery bound 100 for inference %d\n", KWS_INJECT_AT);
#else
#error "KWS_INJECT_FAULT: 1 (bad descriptor), 2 (timeout) or 3 (a core that stays busy)"
#endif
}

static void inject_after(void)
{
#if KWS_INJECT_FAULT == 2 || KWS_INJECT_FAULT == 3
    if (inject_n == KWS_INJECT_AT)
        accel_set_timeout(0);
#endif
}
#endif

/* Returns 0, 1 when the accelerator faulted (reported, recovered as far as the core allows: the hop
 * is skipped), -1 when the CPU tail failed. */
static int infer(int head)
{
    static uint32_t outw[ACCEL_MODEL_OUT_WORDS * 2];
#if ZERO_COPY
    (void)head;                                 /* the hardware ring knows its oldest frame */
#else
    write_ring(head);
#endif
#ifdef KWS_INJECT_FAULT
    inject_before();
#endif
    int rc = accel_run();
#ifdef KWS_INJECT_FAULT
    inject_after();
#endif
    if (rc != ACCEL_RUN_OK) {
        accel_fault(rc);
        return 1;
    }
    accel_read_act(ACCEL_MODEL_OUT_BUF, 2 * ACCEL_MODEL_OUT_BASE, outw, ACCEL_MODEL_OUT_WORDS * 2);
    return nn_model_run_from(&kws_model, KWS_TAIL_FIRST, (const int8_t *)outw, probs, buf_a, buf_b, 0) == NN_OK
           ? 0 : -1;
}
#endif

#if !defined(ZERO_COPY)
#define ZERO_COPY 0
#endif
/* Samples from main RAM by DMA (no CPU work per sample) */
#if !defined(CPU_ONLY) && AUDIO_SRC == AUDIO_SRC_MEM && defined(CSR_AUDIO_DMA_BASE)
#define AUDIO_BY_DMA 1
#else
#define AUDIO_BY_DMA 0
#endif

#if defined(CPU_ONLY) || (defined(CSR_ACCEL_BASE) && defined(CSR_FRONTEND_BASE))
static void leds_show(int code)
{
#ifdef CSR_LEDS_BASE
    leds_out_write((uint32_t)code);
#else
    (void)code;
#endif
}

/* One stream (clip): hop by hop until it ends. Returns 0, or 1 if an inference failed. */
static int run_stream(void)
{
    if (audio_open())
        return 3;
#ifdef CPU_ONLY
    static fe_c_t fe;
    static const fe_pcen_q_t pcen = KWS_PCEN_Q;
    fe_c_init(&fe, KWS_FE_MODE, &pcen);
#else
    fe_start(KWS_FE_MODE);
#if ZERO_COPY
    accel_ring_init(kws_silence_frame, BINS, FRAMES);   /* the window starts as silence */
#endif
#endif
    kws_detector_t det;
    if (kws_detect_init(&det, KWS_N_CLASSES, KWS_SMOOTH_HOPS, KWS_THRESHOLD, KWS_REFRACTORY_HOPS,
                        KWS_FIRST_KEYWORD)) {
        printf("kws: bad detector settings\n");
        return 3;
    }
    for (int f = 0; f < FRAMES; f++)
        memcpy(ring[f], kws_silence_frame, BINS);
    printf("kws: front-end mode %d (%s), %d classes, threshold %d/255\n", KWS_FE_MODE,
#ifdef CPU_ONLY
           "C port on the CPU, model on the CPU",
#elif ZERO_COPY && AUDIO_BY_DMA
           "hardware, model on the accelerator; zero-copy: audio by DMA, features in the accelerator's ring",
#elif ZERO_COPY
           "hardware, model on the accelerator; zero-copy features in the accelerator's ring",
#else
           "hardware, model on the accelerator",
#endif
           KWS_N_CLASSES, KWS_THRESHOLD);

    int head = 0, detections = 0, led_hops = 0;
    uint32_t frames = 0, pushed = 0, skipped = 0;
    uint64_t acc_total = 0, fe_total = 0, cpu_total = 0;
#if !AUDIO_BY_DMA && AUDIO_SRC != AUDIO_SRC_I2S
    static int16_t hop[HOP];
#endif
    leds_show(0);
    for (;;) {
        uint32_t fe_cycles, acc = 0, kick = 0;
#if AUDIO_BY_DMA
        /* the DMA streams the hop from main RAM into the front-end; the CPU only waits for it */
        uint64_t k0 = platform_cycles();
        const volatile int16_t *src;
        int got = audio_take(HOP, &src);
        if (got <= 0)
            break;
        uint32_t even = (uint32_t)got & ~1u;
        if (even)
            fe_stream_from(src, even);
        kick = (uint32_t)(platform_cycles() - k0);
        while (fe_samples() != pushed + even)
            ;
        if (got & 1)
            fe_push(src[got - 1]);            /* an odd tail (end of the clip): one CSR write */
        fe_drain();
        pushed += (uint32_t)got;
        uint64_t t0 = platform_cycles();
        if (fe_frames() == frames)            /* the first hop does not fill a 30 ms window yet */
            continue;
#elif AUDIO_SRC == AUDIO_SRC_I2S
        /* the microphone feeds the front-end in hardware: wait for its next frame */
        while (fe_frames() == frames)
            ;
        uint64_t t0 = platform_cycles();
        pushed += HOP;
#else
        int got = audio_read(hop, HOP);
        if (got <= 0)
            break;
        uint64_t t0 = platform_cycles();
        pushed += (uint32_t)got;
#endif
#ifdef CPU_ONLY
        if (got < HOP)
            break;                          /* the C front-end takes whole hops */
        int ready = fe_c_push(&fe, hop, ring[head]);
        fe_cycles = (uint32_t)(platform_cycles() - t0);
        if (!ready)
            continue;
        frames++;
        head = (head + 1) % FRAMES;
#else
#if AUDIO_SRC != AUDIO_SRC_I2S && !AUDIO_BY_DMA
        for (int i = 0; i < got; i++)
            fe_push(hop[i]);
        fe_drain();
        if (fe_frames() == frames)             /* the first hop does not fill a 30 ms window yet */
            continue;
#endif
        while (frames < fe_frames()) {         /* one new frame per hop */
#if ZERO_COPY
            frames++;                          /* already in the accelerator's ring */
#else
            fe_read_frame(frames++, ring[head], BINS);
            head = (head + 1) % FRAMES;
#endif
        }
        fe_cycles = fe_last_cycles();
#endif
        uint64_t t1 = platform_cycles();
        int irc = infer(head);
        if (irc < 0) {
            printf("kws: inference failed\n");
            return 1;
        }
        if (irc > 0) {                          /* accelerator fault, already reported: skip this hop */
            skipped++;
            continue;
        }
#ifdef CPU_ONLY
        acc = 0;
        uint32_t infer_cycles = (uint32_t)(platform_cycles() - t1);
#else
        acc = accel_busy_cycles();
        uint32_t infer_cycles = acc;
        (void)t1;
#endif
        int score, best = 0;
        int hit = kws_detect_step(&det, probs, &score);
        for (int c = 1; c < KWS_N_CLASSES; c++)
            if (probs[c] > probs[best])
                best = c;
        uint32_t total = (uint32_t)(platform_cycles() - t0);
        /* The copy path's interval includes the front-end's work on the hop (pushing, then draining);
         * with the DMA or the microphone t0 is taken after the frame, and the CPU's kick is added. */
        uint32_t hw = AUDIO_BY_DMA || AUDIO_SRC == AUDIO_SRC_I2S ? acc : acc + fe_cycles;
        uint32_t cpu = total > hw ? total - hw + kick : kick;
        (void)kick;
        uint32_t t_ms = (uint32_t)((uint64_t)pushed * 1000u / AUDIO_RATE);
        printf("inf %lu t=%lums fe=%lu accel=%lu cpu=%lu model=%lu best=%s:%d\n", (unsigned long)frames,
               (unsigned long)t_ms, (unsigned long)fe_cycles, (unsigned long)acc, (unsigned long)cpu,
               (unsigned long)infer_cycles, kws_labels[best], probs[best] + 128);
#ifdef KWS_TRACE_OUTPUTS
        printf("out %lu", (unsigned long)frames);
        for (int c = 0; c < KWS_N_CLASSES; c++)
            printf(" %d", probs[c]);
        printf("\n");
#endif
        acc_total += acc;
        fe_total += fe_cycles;
        cpu_total += cpu;
        if (led_hops && --led_hops == 0)
            leds_show(0);
        if (hit >= 0) {
            detections++;
            int code = hit - KWS_FIRST_KEYWORD + 1;   /* 1 = first keyword */
            leds_show(code);
            led_hops = KWS_REFRACTORY_HOPS > 0 ? KWS_REFRACTORY_HOPS : 1;
            printf("detect: %s conf=%d/255 t=%lums", kws_labels[hit], score, (unsigned long)t_ms);
#ifdef CSR_LEDS_BASE
            printf(" leds=%lu", (unsigned long)leds_out_read());   /* what the LEDs show, read back */
#endif
            printf("\n");
        }
    }
    leds_show(0);
    audio_report();
    uint32_t ran = frames - skipped;         /* the means are over the hops whose inference ran */
    printf("kws: %d detection(s) in %lu frames; mean cycles per hop: front-end %lu, accelerator %lu, cpu %lu; "
           "%lu inference(s) skipped after accelerator faults\n",
           detections, (unsigned long)frames, (unsigned long)(fe_total / (ran ? ran : 1)),
           (unsigned long)(acc_total / (ran ? ran : 1)), (unsigned long)(cpu_total / (ran ? ran : 1)),
           (unsigned long)skipped);
    return 0;
}
#endif

int app_main(void)
{
#if !defined(CPU_ONLY) && (!defined(CSR_ACCEL_BASE) || !defined(CSR_FRONTEND_BASE))
    printf("kws: this SoC has no front-end or accelerator; rebuild it with them or use --cpu-only\n");
    return 3;
#else
#ifndef CPU_ONLY
    accel_load(accel_model_desc, sizeof(accel_model_desc) / 4, accel_model_weights,
               sizeof(accel_model_weights) / 4, accel_model_quant,
               sizeof(accel_model_quant) / 4 / ACCEL_MODEL_QUANT_WORD_LEN, ACCEL_MODEL_QUANT_WORD_LEN);
#endif
    int code;
    do {
        code = run_stream();
    } while (KWS_FOREVER && code == 0);
    return code;
#endif
}
