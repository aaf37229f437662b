"""Run the generated Verilog of FrontendCore under Icarus Verilog and collect its feature frames.

    frames, cycles = run_icarus(audio_int16, mode="pcen")      # frames: (n, F) int8, cycles per frame

The testbench feeds the samples through the valid/ready sink (optionally with idle gaps), records every
write on the feature port and the core's cycle count per frame (hop complete -> frame_done)."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile

import numpy as np

from .. import format as FMT
from .core import FrontendCore

TB = r"""
`timescale 1ns/1ps
module tb;
  reg clk = 0; reg rst = 1;
  always #5 clk = ~clk;
  reg [15:0] samples [0:%(nmax)d];
  integer n_samples, i, gap, gcnt, fo, frame;
  reg fire, started = 0;
  // inputs change on the falling edge only; a transfer happens at the rising edge when valid & ready
  // (ready depends on registers only, so it is stable from one falling edge to the next rising edge)
  always @(negedge clk) if (started) begin
    if (fire) begin i = i + 1; gcnt = gap; end
    else if (gcnt > 0) gcnt = gcnt - 1;
    sink_valid = (i < n_samples) && (gcnt == 0);
    sink_data = samples[i];
    fire = sink_valid && sink_ready;
  end
  reg sink_valid; wire sink_ready; reg [15:0] sink_data;
  wire out_we; wire [5:0] out_adr; wire signed [7:0] out_dat;
  wire frame_done, busy; wire [31:0] frame_count, last_cycles;
  reg [1:0] mode; reg [16:0] b_q16; reg [14:0] alpha_q14; reg [23:0] delta_q16; reg [15:0] r_q14;
  reg [31:0] eps_q, m_init; reg clear;
  frontend_core dut(.sys_clk(clk), .sys_rst(rst), .sink_valid(sink_valid), .sink_ready(sink_ready),
    .sink_data(sink_data), .mode(mode), .b_q16(b_q16), .alpha_q14(alpha_q14), .delta_q16(delta_q16),
    .r_q14(r_q14), .eps_q(eps_q), .m_init(m_init), .clear(clear), .out_we(out_we), .out_adr(out_adr),
    .out_dat(out_dat), .frame_done(frame_done), .busy(busy), .frame_count(frame_count),
    .last_cycles(last_cycles));
  initial begin
    $readmemh("samples.hex", samples);
    if (!$value$plusargs("N=%%d", n_samples)) n_samples = 0;
    if (!$value$plusargs("GAP=%%d", gap)) gap = 0;
    if (!$value$plusargs("MODE=%%d", mode)) mode = 0;
    if (!$value$plusargs("B=%%d", b_q16)) b_q16 = 0;
    if (!$value$plusargs("ALPHA=%%d", alpha_q14)) alpha_q14 = 0;
    if (!$value$plusargs("DELTA=%%d", delta_q16)) delta_q16 = 0;
    if (!$value$plusargs("R=%%d", r_q14)) r_q14 = 0;
    if (!$value$plusargs("EPS=%%d", eps_q)) eps_q = 0;
    if (!$value$plusargs("MINIT=%%d", m_init)) m_init = 0;
    fo = $fopen("out.txt", "w");
    i = 0; gcnt = 0; frame = 0; sink_valid = 0; sink_data = 0; clear = 0; fire = 0;
    repeat (3) @(posedge clk);
    rst <= 0; clear <= 1;
    @(posedge clk); clear <= 0;
    started = 1;
    while (i < n_samples) @(posedge clk);
    repeat (4) @(posedge clk);
    while (busy) @(posedge clk);
    repeat (4) @(posedge clk);
    $fclose(fo);
    $finish;
  end
  reg fd_d = 0;
  always @(posedge clk) begin
    fd_d <= frame_done;
    if (fd_d) $fwrite(fo, "D %%0d %%0d\n", frame - 1, last_cycles);
    if (out_we) $fwrite(fo, "W %%0d %%0d %%0d\n", frame, out_adr, out_dat);
    if (frame_done) frame = frame + 1;
  end
endmodule
"""


def build(outdir: str, backend: str = "migen") -> str:
    """Generate frontend_core.v (+ ROM .init files) in outdir with Migen's or LiteX's Verilog backend;
    return the Verilog path."""
    core = FrontendCore()
    ios = {core.sink_valid, core.sink_ready, core.sink_data, core.mode, core.b_q16, core.alpha_q14,
           core.delta_q16, core.r_q14, core.eps_q, core.m_init, core.clear, core.out_we, core.out_adr,
           core.out_dat, core.frame_done, core.busy, core.frame_count, core.last_cycles}
    if backend == "migen":
        from migen.fhdl.verilog import convert
        out = convert(core, ios=ios, name="frontend_core")
    elif backend == "litex":
        from litex.gen.fhdl.verilog import convert
        from migen import ClockDomain
        core.clock_domains.cd_sys = ClockDomain("sys")
        out = convert(core, ios=ios | {core.cd_sys.clk, core.cd_sys.rst}, name="frontend_core")
    else:
        raise ValueError(backend)
    os.makedirs(outdir, exist_ok=True)
    path = os.path.join(outdir, "frontend_core.v")
    with open(path, "w") as f:
        f.write(out.main_source)
    for name, content in out.data_files.items():
        with open(os.path.join(outdir, name), "w") as f:
            f.write(content)
    return path


def have_icarus() -> bool:
    return shutil.which("iverilog") is not None and shutil.which("vvp") is not None


_COMPILED: dict[str, str] = {}


def _compile(nmax: int, backend: str = "migen") -> str:
    key = f"{nmax}-{backend}"
    if key in _COMPILED and os.path.exists(os.path.join(_COMPILED[key], "sim.vvp")):
        return _COMPILED[key]
    d = tempfile.mkdtemp(prefix="kws_frontend_iv_")
    build(d, backend)
    with open(os.path.join(d, "tb.v"), "w") as f:
        f.write(TB % {"nmax": nmax})
    subprocess.run(["iverilog", "-g2005", "-o", "sim.vvp", "tb.v", "frontend_core.v"], cwd=d, check=True,
                   capture_output=True, text=True)
    _COMPILED[key] = d
    return d


def run_icarus(audio: np.ndarray, mode: str = "logmel", params=None, gap: int = 0, backend: str = "migen"):
    """Simulate the RTL on int16 audio; returns (frames (n, F) int8, cycles per frame (n,) int).
    backend: the Verilog generator, "migen" (Migen 0.10) or "litex" (LiteX's, as a SoC build uses)."""
    audio = np.asarray(audio, dtype=np.int16)
    nmax = 1 << max(10, int(np.ceil(np.log2(max(2, audio.shape[0])))))
    d = _compile(nmax, backend)
    with open(os.path.join(d, "samples.hex"), "w") as f:
        f.write("\n".join(f"{int(v) & 0xFFFF:04x}" for v in audio) + "\n")
    q = FMT.pcen_params(params).quantized()
    args = [f"+N={audio.shape[0]}", f"+GAP={gap}", f"+MODE={FMT.mode_code(mode)}", f"+B={q['b_q16']}",
            f"+ALPHA={q['alpha_q14']}", f"+DELTA={q['delta_q16']}", f"+R={q['r_q14']}",
            f"+EPS={q['eps_q']}", f"+MINIT={q['m_init']}"]
    subprocess.run(["vvp", "-n", "sim.vvp", *args], cwd=d, check=True, capture_output=True, text=True)
    F = FMT.FEATURES[mode]
    frames, cycles = {}, {}
    with open(os.path.join(d, "out.txt")) as f:
        for line in f:
            p = line.split()
            if p[0] == "W":
                frames.setdefault(int(p[1]), {})[int(p[2])] = int(p[3])
            else:
                cycles[int(p[1])] = int(p[2])
    nf = len(cycles)
    out = np.zeros((nf, F), dtype=np.int8)
    for fi in range(nf):
        row = frames.get(fi, {})
        if sorted(row) != list(range(F)):
            raise AssertionError(f"frame {fi}: feature writes at {sorted(row)}, expected 0..{F - 1}")
        out[fi] = [row[k] for k in range(F)]
    return out, np.array([cycles[k] for k in range(nf)], dtype=np.int64)
