// Standalone Verilator harness of accel_core (no CPU). Commands on stdin, one per line:
//   W addr val              host write (hex)
//   B addr n v0 v1 ...      burst of n host writes at consecutive addresses (hex)
//   R addr n                read n words, printed as one line of hex
//   S desc_base n_layers max_cycles   start; run until not busy; prints
//                            "S cycles error done layers <counters>"
//   Q                       quit
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <cstdint>
#include "Vaccel_core.h"
#include "verilated.h"
#include "counters.h"

static Vaccel_core *top;
static uint64_t ticks = 0;

static void tick() {
    top->sys_clk = 0; top->eval();
    top->sys_clk = 1; top->eval();
    ticks++;
}

int main(int argc, char **argv) {
    Verilated::commandArgs(argc, argv);
    top = new Vaccel_core;
    top->sys_rst = 1; top->bus_we = 0; top->start = 0;
    tick(); tick();
    top->sys_rst = 0; tick();
    char cmd[8];
    while (scanf("%7s", cmd) == 1) {
        if (cmd[0] == 'W') {
            unsigned a, v; if (scanf("%x %x", &a, &v) != 2) return 2;
            top->bus_adr = a; top->bus_dat_w = v; top->bus_we = 1; tick(); top->bus_we = 0;
        } else if (cmd[0] == 'B') {
            unsigned a, n; if (scanf("%x %x", &a, &n) != 2) return 2;
            for (unsigned i = 0; i < n; i++) {
                unsigned v; if (scanf("%x", &v) != 1) return 2;
                top->bus_adr = a + i; top->bus_dat_w = v; top->bus_we = 1; tick();
            }
            top->bus_we = 0;
        } else if (cmd[0] == 'R') {
            unsigned a, n; if (scanf("%x %x", &a, &n) != 2) return 2;
            for (unsigned i = 0; i < n; i++) {
                top->bus_adr = a + i; tick();
                printf(i ? " %08x" : "%08x", (unsigned)top->bus_dat_r);
            }
            printf("\n");
        } else if (cmd[0] == 'S') {
            unsigned base, nl; unsigned long maxc;
            if (scanf("%x %x %lu", &base, &nl, &maxc) != 3) return 2;
            top->desc_base = base; top->n_layers = nl; top->start = 1; tick(); top->start = 0;
            unsigned long c = 1;
            while (top->busy && c < maxc) { tick(); c++; }
            printf("S %lu %u %u %u", c, (unsigned)top->error, (unsigned)top->done, (unsigned)top->layers);
            PRINT_COUNTERS(top);        // counters.h, generated from accel.hw.core.COUNTERS
            printf("\n");
        } else if (cmd[0] == 'Q') {
            break;
        }
        fflush(stdout);
    }
    top->final();
    delete top;
    return 0;
}
