#include "kws_detect.h"

int kws_detect_init(kws_detector_t *d, int n_classes, int window, int threshold, int refractory,
                    int first_keyword)
{
    if (n_classes < 1 || n_classes > KWS_MAX_CLASSES || window < 1 || window > KWS_MAX_WINDOW ||
        first_keyword < 0 || first_keyword >= n_classes || refractory < 0)
        return -1;
    d->n_classes = n_classes;
    d->window = window;
    d->threshold = threshold;
    d->refractory = refractory;
    d->first_keyword = first_keyword;
    d->filled = 0;
    d->pos = 0;
    d->since_last = refractory;  /* a detection is allowed right away */
    d->last = -1;                /* the class reported last, until its score falls below threshold */
    for (int c = 0; c < KWS_MAX_CLASSES; c++)
        d->sum[c] = 0;
    return 0;
}

int kws_detect_step(kws_detector_t *d, const int8_t *probs, int *score)
{
    for (int c = 0; c < d->n_classes; c++) {
        uint8_t p = (uint8_t)(probs[c] + 128);
        if (d->filled == d->window)
            d->sum[c] -= d->hist[d->pos][c];
        d->hist[d->pos][c] = p;
        d->sum[c] += p;
    }
    d->pos = (d->pos + 1) % d->window;
    if (d->filled < d->window)
        d->filled++;
    if (d->since_last < d->refractory)
        d->since_last++;

    int best = d->first_keyword;
    for (int c = d->first_keyword + 1; c < d->n_classes; c++)
        if (d->sum[c] > d->sum[best])
            best = c;
    int smoothed = (int)(d->sum[best] / d->window);   /* missing hops count as 0 until the window fills */
    if (score)
        *score = smoothed;
    if (d->last >= 0 && (int)(d->sum[d->last] / d->window) < d->threshold)
        d->last = -1;                                 /* re-armed */
    if (smoothed >= d->threshold && d->since_last >= d->refractory && best != d->last) {
        d->last = best;
        d->since_last = 0;
        return best;
    }
    return -1;
}
