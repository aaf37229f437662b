#ifndef KWS_CRC32_H
#define KWS_CRC32_H
#include <stddef.h>
#include <stdint.h>
/* CRC-32 (IEEE 802.3, reflected, as zlib.crc32). */
uint32_t kws_crc32(uint32_t crc, const uint8_t *data, size_t len);
#endif
