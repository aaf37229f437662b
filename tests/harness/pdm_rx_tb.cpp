// Verilator harness for soc/pdm_rx.py's PDMRxCore (tests/test_soc_pdm_rx.py builds and runs it).
//
// It plays an ADMP421-style microphone: the bit sequence from BITS (one byte per bit, 0/1) is driven
// onto DATA one system cycle after each CLK edge that starts the microphone's half period (falling
// edge for channel 0 / L/R SELECT low, rising for channel 1), and a random bit (a second microphone
// on the same line) one cycle after each sampling edge, so sampling at the wrong edge or the wrong
// moment cannot match the model.  The receiver's int16 samples (ready always high) go to OUT.
//
//   pdm_rx_tb BITS OUT CHANNEL RATE DECIMATION DC_BLOCK GAIN SEED
// prints "samples N count C dropped D overrun O clk_hz F lrsel L" on success.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "Vpdm_rx.h"
#include "verilated.h"

int main(int argc, char **argv) {
    if (argc != 9) {
        fprintf(stderr, "usage: %s BITS OUT CHANNEL RATE DECIMATION DC_BLOCK GAIN SEED\n", argv[0]);
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (!f) { perror(argv[1]); return 2; }
    std::vector<uint8_t> bits;
    for (int c; (c = fgetc(f)) != EOF;) bits.push_back((uint8_t)(c & 1));
    fclose(f);
    const int channel = atoi(argv[3]), rate = atoi(argv[4]), dc = atoi(argv[6]), gain = atoi(argv[7]);
    const size_t decim = (size_t)atoi(argv[5]);   // pdm_model.MODES[rate].decimation
    uint64_t rng = strtoull(argv[8], nullptr, 10) * 6364136223846793005ULL + 1442695040888963407ULL;
    auto garbage = [&]() { rng = rng * 6364136223846793005ULL + 1442695040888963407ULL; return (int)(rng >> 63); };
    const size_t want = bits.size() / decim;

    Verilated::commandArgs(argc, argv);
    Vpdm_rx *top = new Vpdm_rx;
    auto tick = [&]() { top->sys_clk = 1; top->eval(); top->sys_clk = 0; top->eval(); };
    top->sys_clk = 0; top->sys_rst = 1; top->enable = 0; top->source_ready = 1;
    top->eval();
    for (int i = 0; i < 4; i++) tick();
    top->sys_rst = 0;
    top->channel = channel; top->rate = rate; top->dc_block = dc; top->gain = gain;
    size_t idx = 0;
    top->data = channel ? garbage() : bits[idx++];   // channel 0: the first bit is already on the line
    tick();
    top->enable = 1;

    std::vector<int16_t> out;
    out.reserve(want);
    int prev_clk = 0, pending = -1;     // pending: value to drive one cycle after an edge
    uint64_t cycles = 0, edges = 0;
    const uint64_t limit = (uint64_t)(bits.size() + 4 * decim + 64) * 64 + 1000;
    while (out.size() < want && cycles < limit) {
        if (pending >= 0) { top->data = pending; pending = -1; }
        tick();
        cycles++;
        if (top->source_valid) out.push_back((int16_t)top->source_payload_data);
        int c = top->clk;
        if (c != prev_clk) {
            edges++;
            bool drive_edge = channel ? (c == 1) : (c == 0);
            if (drive_edge) pending = idx < bits.size() ? bits[idx++] : garbage();
            else pending = garbage();
        }
        prev_clk = c;
    }
    FILE *o = fopen(argv[2], "wb");
    if (!o) { perror(argv[2]); return 2; }
    fwrite(out.data(), sizeof(int16_t), out.size(), o);
    fclose(o);
    printf("samples %zu count %u dropped %u overrun %u cycles %llu edges %llu lrsel %u\n", out.size(),
           (unsigned)top->count, (unsigned)top->dropped, (unsigned)top->overrun,
           (unsigned long long)cycles, (unsigned long long)edges, (unsigned)top->lrsel);
    delete top;
    return out.size() == want ? 0 : 1;
}
