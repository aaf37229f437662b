/*
 * Self-test with a known answer: CRC-32 of a table the host generated at build time
 * (gen/selftest_data.h), plus an rv32im multiply-accumulate checksum over the same table.
 * The host (soc/build.py and tests/test_soc_sim.py) knows both answers.
 *   SELFTEST_MODE: 0 = normal, 1 = report a wrong expectation (exit 1), 2 = never finish.
 */
#include <stdio.h>
#include <stdint.h>

#include "crc32.h"
#include "platform.h"
#include "selftest_data.h"

#ifndef SELFTEST_MODE
#define SELFTEST_MODE 0
#endif

int app_main(void)
{
    uint64_t t0 = platform_cycles();
    uint32_t crc = kws_crc32(0, selftest_data, sizeof(selftest_data));
    int32_t mac = 0;
    for (unsigned i = 0; i + 1 < sizeof(selftest_data); i += 2)
        mac += (int32_t)(int8_t)selftest_data[i] * (int32_t)(int8_t)selftest_data[i + 1];
    uint64_t t1 = platform_cycles();

    uint32_t expect_crc = SELFTEST_CRC32;
    if (SELFTEST_MODE == 1)
        expect_crc ^= 1;
    printf("selftest: %u bytes crc32=0x%08lx expected=0x%08lx mac=%ld expected=%ld cycles=%lu\n",
           (unsigned)sizeof(selftest_data), (unsigned long)crc, (unsigned long)expect_crc,
           (long)mac, (long)SELFTEST_MAC, (unsigned long)(t1 - t0));
    if (SELFTEST_MODE == 2) {
        printf("selftest: hang requested, spinning forever\n");
        for (;;) {
        }
    }
    int ok = (crc == expect_crc) && (mac == SELFTEST_MAC);
    printf("selftest: %s\n", ok ? "PASS" : "FAIL");
    return ok ? 0 : 1;
}
