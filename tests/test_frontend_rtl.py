"""RTL of the front-end (generated Verilog under Icarus, the LiteX wrapper in Migen simulation)
against the golden model, bit for bit."""
import numpy as np
import pytest

from frontend import golden as G
from frontend import signals as S
from frontend.hw import sim

pytestmark = pytest.mark.skipif(not sim.have_icarus(), reason="iverilog/vvp not installed")


def _mix(seed, seconds_each, speech_s):
    rng = np.random.default_rng(seed)
    parts = [S.stress_mix(seconds_each, rng), S.sweep(seconds_each * 2, dbfs=-3.0)]
    if S.have_espeak():
        parts.append(S.speech("yes no stop go", speed=180)[: int(speech_s * S.SR)])
    a = np.concatenate(parts).astype(np.int16)
    return a[: a.shape[0] // 320 * 320]   # whole hops: the stream has produced every batch frame


def _check(audio, mode, params=None, gap=0):
    got, cycles = sim.run_icarus(audio, mode, params=params, gap=gap)
    want = G.features(audio, mode, params)
    assert got.shape == want.shape, (got.shape, want.shape)
    bad = np.argwhere(got != want)
    assert bad.size == 0, f"{mode}: {len(bad)} mismatches, first at frame/feature {bad[:5].tolist()}"
    return cycles


@pytest.mark.parametrize("mode", G.MODES)
def test_rtl_bit_exact_short(mode, seed):
    """~0.5 s per mode: full-scale squares, silence, DC, noise at several levels, sweep, speech."""
    audio = _mix(seed, 0.02, 0.2)
    cycles = _check(audio, mode)
    assert cycles.max() <= 5000, cycles.max()


def test_rtl_pcen_custom_params_and_input_gaps(seed):
    p = G.PcenParams(time_constant=0.06, gain=0.8, bias=10.0, power=0.25, eps=1e-4)
    audio = _mix(seed, 0.01, 0.1)
    _check(audio, "pcen", params=p, gap=2)
    # a low gain drives PCEN into int8 saturation (+127): the RTL clamps exactly like the golden model
    sat = np.concatenate([S.silence(0.1), S.square(0.1, 437.0), S.silence(0.04)])
    _check(sat, "pcen", params=G.PcenParams(gain=0.5))
    assert (G.features(sat, "pcen", G.PcenParams(gain=0.5)) == 127).any()


@pytest.mark.slow
@pytest.mark.parametrize("mode", G.MODES)
def test_rtl_bit_exact_3s(mode, seed):
    """>= 3 s per mode (stress signals, sweep, speech)."""
    audio = _mix(seed, 0.15, 1.0)
    assert audio.shape[0] >= 3 * S.SR
    _check(audio, mode)


WRAPPER_TB = r"""
`timescale 1ns/1ps
module tb;
  reg clk = 0; reg rst = 1; always #5 clk = ~clk;
  reg [15:0] samples [0:959];
  reg [15:0] sample_r = 0; reg sample_re = 0;
  reg [9:0] mem_adr = 0; wire [31:0] mem_dat; wire [31:0] frame_count;
  integer i, fo;
  top dut(.sys_clk(clk), .sys_rst(rst), .sample_r(sample_r), .sample_re(sample_re),
          .mem_adr(mem_adr), .mem_dat(mem_dat), .frame_count(frame_count));
  initial begin
    $readmemh("samples.hex", samples);
    fo = $fopen("out.txt", "w");
    repeat (3) @(posedge clk);
    rst = 0;
    for (i = 0; i < 960; i = i + 1) begin      // a CPU writing the `sample` CSR, back to back
      @(negedge clk); sample_r = samples[i]; sample_re = 1;
    end
    @(negedge clk); sample_re = 0;
    i = 0;
    while (frame_count < 2 && i < 20000) begin @(posedge clk); i = i + 1; end
    $fwrite(fo, "count %0d\n", frame_count);
    for (i = 0; i < 26; i = i + 1) if (i < 10 || i >= 16) begin   // slots 0 and 1 (64 bytes each)
      @(negedge clk); mem_adr = i; @(negedge clk); $fwrite(fo, "%08x\n", mem_dat);
    end
    $fclose(fo); $finish;
  end
endmodule
"""


def test_litex_wrapper_csr_to_memory(seed, tmp_path):
    """LiteX core (LiteX's Verilog backend, Icarus): 960 samples written through the `sample` CSR
    back to back (the FIFO absorbs the stall while a frame is computed); the two frames read back from
    slots 0 and 1 of the feature memory equal the golden model."""
    import subprocess

    from litex.gen.fhdl.verilog import convert
    from migen import ClockDomain, Module, Signal

    from frontend.hw.litex_core import Frontend
    rng = np.random.default_rng(seed)
    audio = (rng.standard_normal(3 * 320) * 4000).astype(np.int16)
    want = G.features(audio, "logmel")
    assert want.shape == (2, 40)

    top = Module()
    top.submodules.fe = fe = Frontend()
    for c in fe.get_csrs():            # what the SoC's CSR bank does (32-bit CSR data width)
        if hasattr(c, "simple_csrs") and not c.finalized:
            c.finalize(32, "big")
            top.submodules += c
    sc = fe.sample.simple_csrs[0]
    sample_r, sample_re = Signal(16, name="sample_r"), Signal(name="sample_re")
    mem_adr, mem_dat = Signal(10, name="mem_adr"), Signal(32, name="mem_dat")
    frame_count = Signal(32, name="frame_count")
    rp = fe.mem.get_port()
    top.specials += rp
    top.comb += [sc.r.eq(sample_r), sc.re.eq(sample_re), rp.adr.eq(mem_adr), mem_dat.eq(rp.dat_r),
                 frame_count.eq(fe.frame_count.status)]
    top.clock_domains.cd_sys = ClockDomain("sys")
    out = convert(top, ios={sample_r, sample_re, mem_adr, mem_dat, frame_count, top.cd_sys.clk,
                            top.cd_sys.rst}, name="top")
    (tmp_path / "top.v").write_text(out.main_source)
    for name, content in out.data_files.items():
        (tmp_path / name).write_text(content)
    (tmp_path / "tb.v").write_text(WRAPPER_TB)
    (tmp_path / "samples.hex").write_text("\n".join(f"{int(v) & 0xFFFF:04x}" for v in audio) + "\n")
    subprocess.run(["iverilog", "-g2005", "-o", "sim.vvp", "tb.v", "top.v"], cwd=tmp_path, check=True,
                   capture_output=True, text=True)
    subprocess.run(["vvp", "-n", "sim.vvp"], cwd=tmp_path, check=True, capture_output=True, text=True)
    lines = (tmp_path / "out.txt").read_text().split()
    assert lines[:2] == ["count", "2"], lines[:2]
    words = np.array([int(w, 16) for w in lines[2:22]], dtype=np.uint32)   # 2 x 40 bytes = 2 x 10 words
    got = words.view(np.uint8).reshape(2, 40).view(np.int8)
    np.testing.assert_array_equal(got, want)


def test_rtl_litex_backend_bit_exact(seed):
    """The SoC generates Verilog with LiteX's backend, not Migen's: same frames, every mode (the core uses
    no negative constants, which LiteX 2024.12 prints as unsigned expressions)."""
    rng = np.random.default_rng(seed)
    audio = np.concatenate([S.stress_mix(0.02, rng), S.sweep(0.06)])
    audio = audio[: audio.shape[0] // 320 * 320]
    for mode in G.MODES:
        got, _ = sim.run_icarus(audio, mode, backend="litex")
        np.testing.assert_array_equal(got, G.features(audio, mode))
