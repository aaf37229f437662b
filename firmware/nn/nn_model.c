/* Whole-network runner over the layer table of nn_model.h (CPU-only baseline and fallback). */
#include "nn.h"

int32_t nn_layer_in_bytes(const nn_layer_t *l)
{
    return l->in_h * l->in_w * l->in_c;
}

int32_t nn_layer_out_bytes(const nn_layer_t *l)
{
    return l->out_h * l->out_w * l->out_c;
}

int nn_layer_run(const nn_layer_t *l, const int8_t *in, int8_t *out)
{
    if (!l->weights && (l->op == NN_OP_CONV_2D || l->op == NN_OP_DEPTHWISE_CONV_2D ||
                        l->op == NN_OP_FULLY_CONNECTED))
        return NN_ERR_NO_DATA;
    switch (l->op) {
    case NN_OP_CONV_2D:
        return nn_conv2d_s8(l, in, out);
    case NN_OP_DEPTHWISE_CONV_2D:
        return nn_depthwise_conv2d_s8(l, in, out);
    case NN_OP_AVERAGE_POOL_2D:
        return nn_avgpool_s8(l, in, out);
    case NN_OP_MAX_POOL_2D:
        return nn_maxpool_s8(l, in, out);
    case NN_OP_FULLY_CONNECTED:
        return nn_fully_connected_s8(l, in, out);
    case NN_OP_RESHAPE:
        if (nn_layer_in_bytes(l) != nn_layer_out_bytes(l))
            return NN_ERR_SHAPE;
        if (in != out) {   /* no libc needed: plain copy (buffers do not overlap partially) */
            const int32_t n = nn_layer_in_bytes(l);
            for (int32_t k = 0; k < n; k++)
                out[k] = in[k];
        }
        return NN_OK;
    case NN_OP_SOFTMAX:
        return nn_softmax_s8(l, in, out);
    case NN_OP_MEAN:
        return nn_mean_s8(l, in, out);
    default:
        return NN_ERR_OP;
    }
}

int nn_model_run_from(const nn_model_t *m, int32_t first, const int8_t *input, int8_t *output, int8_t *buf_a,
                      int8_t *buf_b, int32_t *bad_layer)
{
    if (first < 0 || first > m->n_layers || m->n_layers < 1) {
        if (bad_layer)
            *bad_layer = first;
        return NN_ERR_SHAPE;
    }
    if (first == m->n_layers) {   /* nothing left to run: the input is the model's output */
        const int32_t n = nn_layer_out_bytes(&m->layers[m->n_layers - 1]);
        for (int32_t k = 0; k < n; k++)
            output[k] = input[k];
        return NN_OK;
    }
    const int8_t *src = input;
    for (int32_t i = first; i < m->n_layers; i++) {
        const nn_layer_t *l = &m->layers[i];
        const int last = i == m->n_layers - 1;
        int8_t *dst = last ? output : ((i & 1) ? buf_b : buf_a);
        if (!last && nn_layer_out_bytes(l) > m->buf_bytes) {
            if (bad_layer)
                *bad_layer = i;
            return NN_ERR_BUFFER;
        }
        int rc = nn_layer_run(l, src, dst);
        if (rc != NN_OK) {
            if (bad_layer)
                *bad_layer = i;
            return rc;
        }
        src = dst;
    }
    return NN_OK;
}

int nn_model_run(const nn_model_t *m, const int8_t *input, int8_t *output, int8_t *buf_a, int8_t *buf_b,
                 int32_t *bad_layer)
{
    return nn_model_run_from(m, 0, input, output, buf_a, buf_b, bad_layer);
}
