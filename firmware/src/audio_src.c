#include <stdio.h>

#include <generated/mem.h>

#include "audio_image.h"
#include "audio_src.h"

const volatile int16_t *audio_clip(uint32_t *n_samples, uint32_t *rate)
{
#ifndef MAIN_RAM_BASE
	printf("audio: this SoC has no main RAM to hold a clip\n");
	return 0;
#else
	const volatile uint32_t *img = (const volatile uint32_t *)MAIN_RAM_BASE;
	if (img[0] != AUDIO_MAGIC) {
		printf("audio: no clip in main RAM (run soc/build.py with --wav)\n");
		return 0;
	}
	*n_samples = img[1];
	*rate = img[2];
	return (const volatile int16_t *)(img + AUDIO_HEADER_WORDS);
#endif
}
