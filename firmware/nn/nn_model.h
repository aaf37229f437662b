/*
 * Int8 network description for the CPU kernels (firmware/nn) — the compact layer table that the model
 * compiler generates and nn_model_run() executes (the CPU-only baseline and fallback).
 *
 * Semantics are TFLite-Micro's reference int8 kernels, bit for bit (see docs/integer-model.md and the
 * golden model accel/golden.py). Layout: activations HWC int8; CONV_2D weights OHWI (Cout, KH, KW, Cin);
 * DEPTHWISE_CONV_2D weights (KH, KW, C); FULLY_CONNECTED weights (Cout, Cin); bias int32 per output
 * channel; mult/shift int32 per output channel (per-tensor layers repeat the value).
 */
#ifndef KWS_NN_MODEL_H
#define KWS_NN_MODEL_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Op codes: the order of accel.ir.OPS. */
enum nn_op {
    NN_OP_CONV_2D = 0,
    NN_OP_DEPTHWISE_CONV_2D = 1,
    NN_OP_AVERAGE_POOL_2D = 2,
    NN_OP_MAX_POOL_2D = 3,
    NN_OP_FULLY_CONNECTED = 4,
    NN_OP_RESHAPE = 5,
    NN_OP_SOFTMAX = 6,
    NN_OP_MEAN = 7,
};

/* Error codes returned by the kernels and the runner. */
enum nn_status {
    NN_OK = 0,
    NN_ERR_OP = -1,       /* unknown op code */
    NN_ERR_SHAPE = -2,    /* inconsistent dimensions */
    NN_ERR_BUFFER = -3,   /* activation larger than the runner's buffers */
    NN_ERR_NO_DATA = -4,  /* the layer's weights are not in this table (accel/c_table.py emit_c first=:
                           * an accelerated build keeps only the CPU tail's arrays) */
};

/*
 * One layer. All fields are 32-bit (or pointers) so the table has the same layout rules everywhere.
 * Vector tensors (FULLY_CONNECTED, SOFTMAX) use in_h = in_w = 1 and in_c = element count (same for out).
 */
typedef struct nn_layer {
    int32_t op;                       /* enum nn_op */
    int32_t in_h, in_w, in_c;         /* input HWC */
    int32_t out_h, out_w, out_c;      /* output HWC */
    int32_t k_h, k_w;                 /* kernel (conv, depthwise, pool; MEAN: input H, W) */
    int32_t s_h, s_w;                 /* stride */
    int32_t pad_t, pad_l;             /* padding before (SAME: TFLite's; after-padding is implicit) */
    int32_t in_zp, out_zp;            /* activation zero points */
    int32_t act_min, act_max;         /* fused activation clamp */
    const int8_t *weights;            /* conv/depthwise/FC weights or NULL */
    const int32_t *bias;              /* per output channel, or NULL (= 0) */
    const int32_t *mult;              /* per output channel Q31 multiplier (conv, depthwise, FC, MEAN) */
    const int32_t *shift;             /* per output channel shift (> 0 left) */
    int32_t sm_mult, sm_shift, sm_diff_min;   /* SOFTMAX: input_multiplier, input_left_shift, diff_min */
} nn_layer_t;

typedef struct nn_model {
    int32_t n_layers;
    const nn_layer_t *layers;
    int32_t buf_bytes;                /* size of each of the two activation buffers given to nn_model_run */
} nn_model_t;

/* Run one layer: in -> out (distinct buffers, except RESHAPE which may alias). Returns enum nn_status. */
int nn_layer_run(const nn_layer_t *layer, const int8_t *in, int8_t *out);

/*
 * Run a whole network: input -> output, ping-ponging intermediate activations between buf_a and buf_b
 * (each m->buf_bytes long). Returns NN_OK or a negative nn_status with the failing layer in *bad_layer
 * (may be NULL).
 */
int nn_model_run(const nn_model_t *m, const int8_t *input, int8_t *output, int8_t *buf_a, int8_t *buf_b,
                 int32_t *bad_layer);
/*
 * The same from layer `first` on: the CPU's tail after the accelerator ran layers 0..first-1 and left
 * their output in `input` (first == n_layers: nothing to run, the input is copied to the output).
 */
int nn_model_run_from(const nn_model_t *m, int32_t first, const int8_t *input, int8_t *output, int8_t *buf_a,
                      int8_t *buf_b, int32_t *bad_layer);

/* Bytes of a layer's input and output activation. */
int32_t nn_layer_in_bytes(const nn_layer_t *layer);
int32_t nn_layer_out_bytes(const nn_layer_t *layer);

#ifdef __cplusplus
}
#endif

#endif /* KWS_NN_MODEL_H */
