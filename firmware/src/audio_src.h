/* Audio input of the simulated SoC: the clip soc/build.py --wav placed in main RAM (soc/audio.py). */
#ifndef KWS_AUDIO_SRC_H
#define KWS_AUDIO_SRC_H
#include <stdint.h>
/* Samples of the clip and their count/rate, or NULL (with a printed reason) when there is none. */
const volatile int16_t *audio_clip(uint32_t *n_samples, uint32_t *rate);
#endif
