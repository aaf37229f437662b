/*
 * Host test driver: runs a generated model table (accel/c_table.py) on raw int8 inputs from stdin and writes
 * the raw int8 outputs to stdout. Build: cc -I firmware/nn nn_main_host.c <model>.c firmware/nn/nn_*.c
 * with -DMODEL=<name> (default kws). Not part of the firmware.
 */
#include <stdio.h>
#include <stdlib.h>

#include "nn_model.h"

#ifndef MODEL
#define MODEL kws
#endif
#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)

extern const nn_model_t CAT(MODEL, _model);

int main(int argc, char **argv)
{
    const nn_model_t *m = &CAT(MODEL, _model);
    const nn_layer_t *first = &m->layers[0], *last = &m->layers[m->n_layers - 1];
    const size_t n_in = (size_t)nn_layer_in_bytes(first), n_out = (size_t)nn_layer_out_bytes(last);
    int8_t *in = malloc(n_in), *out = malloc(n_out), *a = malloc((size_t)m->buf_bytes),
           *b = malloc((size_t)m->buf_bytes);
    (void)argc;
    (void)argv;
    if (!in || !out || !a || !b)
        return 3;
    while (fread(in, 1, n_in, stdin) == n_in) {
        int32_t bad = -1;
        int rc = nn_model_run(m, in, out, a, b, &bad);
        if (rc != NN_OK) {
            fprintf(stderr, "error: nn_model_run returned %d at layer %d\n", rc, (int)bad);
            return 2;
        }
        fwrite(out, 1, n_out, stdout);
    }
    return 0;
}
