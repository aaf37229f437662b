/* Where the KWS app's audio comes from, chosen when the firmware is built (soc/build.py --audio):
 *   AUDIO_SRC_MEM   the clip(s) soc/build.py --wav placed in main RAM (simulation; soc/audio.py)
 *   AUDIO_SRC_UART  int16 frames streamed over the console UART (soc/stream_wav.py on a board,
 *                   soc/build.py --audio uart in simulation; framing in soc/uart_audio_proto.py)
 *   AUDIO_SRC_I2S   the I2S microphone (soc/i2s_rx.py): its samples go straight into the front-end's
 *                   stream input in hardware, so the CPU only starts it (audio_read is not used). */
#ifndef KWS_AUDIO_SRC_H
#define KWS_AUDIO_SRC_H
#include <stdint.h>

#define AUDIO_SRC_MEM 0
#define AUDIO_SRC_UART 1
#define AUDIO_SRC_I2S 2
#ifndef AUDIO_SRC
#define AUDIO_SRC AUDIO_SRC_MEM
#endif
#define AUDIO_RATE 16000

/* Start the source; prints what it is. 0, or -1 after printing why it cannot run. */
int audio_open(void);
/* Up to n samples into dst, waiting for them; fewer only when the stream (clip) ends, 0 after. */
int audio_read(int16_t *dst, int n);
/* Print the source's counters (UART: frames, samples, errors). */
void audio_report(void);
#endif
