/*
 * Runs the model on int8 input tensors given at build time (gen/infer_inputs.h) and prints, per
 * input, the int8 output vector and argmax in `python -m accel run`'s format, plus cycles:
 *   output[i]: [ v0 v1 ... ] argmax=k cycles=n
 * Accelerated build: the compiler's image (gen/accel_model.h) runs on the accelerator, the CPU runs
 * the trailing layers it cannot (softmax) with the int8 kernels. CPU_ONLY build: every layer on the
 * CPU with the same kernels (gen/kws_model_table.c).
 */
#include <stdio.h>
#include <stdint.h>

#include <generated/csr.h>
#include <generated/mem.h>

#include "accel_drv.h"
#include "infer_inputs.h"
#include "nn_model.h"
#include "platform.h"

extern const nn_model_t kws_model;

static int8_t buf_a[INFER_BUF_BYTES], buf_b[INFER_BUF_BYTES];
static int8_t result[INFER_OUTPUT_BYTES];

static void print_output(int i, const int8_t *y, int n, uint32_t cycles)
{
    int best = 0;
    printf("output[%d]: [", i);
    for (int k = 0; k < n; k++) {
        printf(k ? " %4d" : "%4d", y[k]);
        if (y[k] > y[best])
            best = k;
    }
    printf(" ] argmax=%d cycles=%lu\n", best, (unsigned long)cycles);
}

#if !defined(CPU_ONLY)
#include "accel_model.h"

static int run_accel(int i, uint32_t *cycles)
{
    static uint32_t outw[ACCEL_MODEL_OUT_WORDS * 2];
    accel_write_act(ACCEL_MODEL_IN_BUF, 2 * ACCEL_MODEL_IN_BASE, infer_inputs_packed[i], INFER_PACKED_WORDS);
    uint64_t t0 = platform_cycles();
    int err = accel_run();
    if (err != ACCEL_RUN_OK) {
        accel_fault(err);                   /* one "accel: error/timeout ..." line, then recovery */
        printf("infer: input %d not run (accelerator fault)\n", i);
        return -1;
    }
    accel_read_act(ACCEL_MODEL_OUT_BUF, 2 * ACCEL_MODEL_OUT_BASE, outw, ACCEL_MODEL_OUT_WORDS * 2);
    /* 1x1xC output: first C bytes; the CPU runs the layers after it (softmax) */
    if (nn_model_run_from(&kws_model, INFER_TAIL_FIRST, (const int8_t *)outw, result, buf_a, buf_b, 0) != NN_OK)
        return -1;
    *cycles = (uint32_t)(platform_cycles() - t0);
    return 0;
}
#endif

int app_main(void)
{
#if !defined(CPU_ONLY)
#ifndef CSR_ACCEL_BASE
    printf("infer: this SoC has no accelerator; rebuild with it or use --cpu-only\n");
    return 3;
#else
    accel_load(accel_model_desc, sizeof(accel_model_desc) / 4, accel_model_weights,
               sizeof(accel_model_weights) / 4, accel_model_quant,
               sizeof(accel_model_quant) / 4 / ACCEL_MODEL_QUANT_WORD_LEN, ACCEL_MODEL_QUANT_WORD_LEN);
#endif
#endif
    printf("infer: %d inputs, %s\n", INFER_N_INPUTS,
#ifdef CPU_ONLY
           "CPU only (int8 kernels)"
#else
           "accelerator + CPU tail"
#endif
    );
    for (int i = 0; i < INFER_N_INPUTS; i++) {
        uint32_t cycles = 0;
#ifdef CPU_ONLY
        int32_t bad = -1;
        uint64_t t0 = platform_cycles();
        if (nn_model_run(&kws_model, infer_inputs[i], result, buf_a, buf_b, &bad) != NN_OK) {
            printf("infer: CPU kernels failed at layer %ld\n", (long)bad);
            return 1;
        }
        cycles = (uint32_t)(platform_cycles() - t0);
#else
        if (run_accel(i, &cycles))
            return 1;
#endif
        print_output(i, result, INFER_OUTPUT_BYTES, cycles);
    }
    return 0;
}
