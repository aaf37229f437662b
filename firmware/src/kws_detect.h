/*
 * Keyword detection over a stream of int8 softmax outputs (one per 20 ms hop): posterior smoothing
 * (mean over the last `window` hops), a threshold on the smoothed probability of the best keyword
 * class, a refractory time after each detection, and re-arming: the keyword just reported is not
 * reported again until its smoothed probability has fallen below the threshold (one report per
 * occurrence, however long the word stays in the model's window). Portable C99: runs on the SoC and natively
 * (tests/test_firmware_kws_detect.py checks it against a Python reference).
 * Probabilities are the softmax's int8 outputs shifted to 0..255 (p = v + 128, scale 1/256).
 */
#ifndef KWS_DETECT_H
#define KWS_DETECT_H
#include <stdint.h>

#include "soc_format.h"      /* KWS_MAX_CLASSES, KWS_MAX_WINDOW (soc/c_headers.py) */

typedef struct {
    int n_classes, window, threshold, refractory, first_keyword;
    int filled, pos, since_last, last;
    int32_t sum[KWS_MAX_CLASSES];
    uint8_t hist[KWS_MAX_WINDOW][KWS_MAX_CLASSES];
} kws_detector_t;

/* threshold: smoothed probability (0..255) needed; refractory: hops after a detection during which
 * no other is reported; classes below first_keyword (silence, unknown) are never reported.
 * Returns 0, or -1 if a parameter is out of range. */
int kws_detect_init(kws_detector_t *d, int n_classes, int window, int threshold, int refractory,
                    int first_keyword);
/* Feed one hop's int8 softmax output. Returns the detected class index or -1; *score gets the best
 * keyword's smoothed probability (0..255) when score is not NULL. */
int kws_detect_step(kws_detector_t *d, const int8_t *probs, int *score);
#endif
