/*
 * Streams the audio (the clip in main RAM, soc/audio.py, or another audio_src.h source) through
 * the hardware front-end and prints every feature frame as hex, with the cycles the core spent on it:
 *   feat <index> cycles=<n> <2*F hex digits>
 * The host compares the frames with frontend.golden.features() (tests/test_soc_frontend.py).
 */
#include <stdio.h>
#include <stdint.h>

#include <generated/csr.h>

#include "audio_src.h"
#include "frontend_drv.h"
#include "platform.h"

#ifndef FEATURE_MODE
#define FEATURE_MODE FE_MODE_LOGMEL
#endif

static void print_frame(uint32_t idx, int bins)
{
    int8_t f[FE_MAX_FEATURES];
    fe_read_frame(idx, f, bins);
    printf("feat %lu cycles=%lu ", (unsigned long)idx, (unsigned long)fe_last_cycles());
    for (int i = 0; i < bins; i++)
        printf("%02x", (unsigned)(uint8_t)f[i]);
    printf("\n");
}

int app_main(void)
{
#ifndef CSR_FRONTEND_BASE
    printf("features: this SoC has no front-end\n");
    return 3;
#else
    if (audio_open())
        return 3;
    int bins = fe_bins(FEATURE_MODE);
    printf("features: mode %d\n", FEATURE_MODE);
    fe_start(FEATURE_MODE);
    uint32_t printed = 0;
    uint64_t t0 = platform_cycles();
    int16_t chunk[64];
    int got;
    while ((got = audio_read(chunk, 64)) > 0) {
        for (int i = 0; i < got; i++)
            fe_push(chunk[i]);
        /* Read frames as they appear so the 64-slot ring never overtakes us. */
        while (printed < fe_frames())
            print_frame(printed++, bins);
    }
    fe_drain();
    while (printed < fe_frames())
        print_frame(printed++, bins);
    printf("features: %lu frames, %lu cycles in total\n", (unsigned long)printed,
           (unsigned long)(platform_cycles() - t0));
    return 0;
#endif
}
