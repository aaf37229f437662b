/*
 * Int8 kernels with CMSIS-NN / TFLite-Micro reference semantics (written for this project).
 *
 * Requantization reproduces tensorflow/lite/kernels/internal/common.h (MultiplyByQuantizedMultiplier
 * with double rounding) and gemmlowp's fixed-point primitives; the Python definition is accel/quant.py.
 * Everything is C99, integer only, no libc (freestanding), so it builds for rv32im and natively.
 */
#ifndef KWS_NN_H
#define KWS_NN_H

#include <stdint.h>

#include "nn_model.h"

#ifdef __cplusplus
extern "C" {
#endif

/* --- requantization primitives (accel/quant.py) --- */
int32_t nn_srdhm(int32_t a, int32_t b);                       /* SaturatingRoundingDoublingHighMul */
int32_t nn_rdbpot(int32_t x, int32_t exponent);               /* RoundingDivideByPOT, 0 <= exponent <= 31 */
int32_t nn_mbqm(int32_t x, int32_t multiplier, int32_t shift); /* MultiplyByQuantizedMultiplier */
int8_t nn_requant(int32_t acc, int32_t multiplier, int32_t shift, int32_t out_zp, int32_t act_min,
                  int32_t act_max);

/* --- gemmlowp fixed point used by softmax (accel/softmax.py) --- */
int32_t nn_exp_on_negative_values_q5(int32_t a);              /* Q5.26 (<= 0) -> Q0.31 */
int32_t nn_one_over_one_plus_x(int32_t a);                    /* Q0.31 in [0,1) -> Q0.31 1/(1+a) */

/* --- kernels: geometry and quantization come from the layer descriptor (nn_model.h) --- */
int nn_conv2d_s8(const nn_layer_t *l, const int8_t *in, int8_t *out);
int nn_depthwise_conv2d_s8(const nn_layer_t *l, const int8_t *in, int8_t *out);
int nn_avgpool_s8(const nn_layer_t *l, const int8_t *in, int8_t *out);
int nn_maxpool_s8(const nn_layer_t *l, const int8_t *in, int8_t *out);
int nn_fully_connected_s8(const nn_layer_t *l, const int8_t *in, int8_t *out);
int nn_softmax_s8(const nn_layer_t *l, const int8_t *in, int8_t *out);
int nn_mean_s8(const nn_layer_t *l, const int8_t *in, int8_t *out);

#ifdef __cplusplus
}
#endif

#endif /* KWS_NN_H */
