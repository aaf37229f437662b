"""The ULX3S (ECP5) board: options, the generated open-flow project (firmware + model in the ROM
image, microphone pins, the YoWASP tools), nextpnr's report as the build prints it, and (--runslow)
the bitstream itself."""
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BUILD = [sys.executable, str(ROOT / "soc" / "build.py")]


def build(*args, timeout=900):
    r = subprocess.run(BUILD + list(args), cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    print(r.stdout[-4000:])
    print(r.stderr[-3000:], file=sys.stderr)
    return r


def test_board_variants_and_accel_configs():
    from accel.hw.config import DEFAULT, SMALL, TINY
    from boards import get_board
    b = get_board("ulx3s")
    assert b.variant == "85f" and b.platform.device == "LFE5U-85F-6BG381C" and b.accel_config == SMALL
    assert get_board("ulx3s", variant="45f").platform.device.startswith("LFE5U-45F")
    assert get_board("arty").accel_config == DEFAULT and get_board("arty", variant="a7-35").accel_config == TINY
    assert get_board("sim").accel_config == DEFAULT
    sim = get_board("sim", variant="ulx3s")
    assert (sim.accel_config, sim.rom_size, sim.sram_size) == (SMALL, b.rom_size, b.sram_size)
    # the -35T's configuration in the simulator: its accelerator (TINY), ROM and SRAM (the --runslow demo
    # in tests/test_boards_sim_variants.py runs it)
    a35, a35_sim = get_board("arty", variant="a7-35"), get_board("sim", variant="a7-35")
    assert (a35_sim.accel_config, a35_sim.rom_size, a35_sim.sram_size) == (a35.accel_config, a35.rom_size, a35.sram_size)
    for kw in ({"variant": "99f"}, {"toolchain": "vivado"}):
        with pytest.raises(ValueError):
            get_board("ulx3s", **kw)


def test_ulx3s_open_flow_project(tmp_path):
    """--board ulx3s writes LiteX's trellis project of the whole product: the KWS firmware with the
    bundled model compiled for the SMALL accelerator in the ROM image, the I2S microphone on GP0/GN0/GP1,
    the 1 Mbaud UART, SDRAM, and a build script that runs yosys/nextpnr-ecp5/ecppack with nextpnr's report."""
    from accel.compiler import compile_model
    from accel.hw.config import SMALL
    from accel.tflite_import import load_tflite
    from boards.ulx3s import MIC_PINS
    out = tmp_path / "ulx3s"
    r = build("--board", "ulx3s", "--output-dir", str(out))
    assert r.returncode == 0, r.stderr
    gw = out / "gateware"
    for name in ("radiona_ulx3s.v", "radiona_ulx3s.lpf", "radiona_ulx3s.ys", "radiona_ulx3s_rom.init",
                 "build_radiona_ulx3s.sh"):
        assert (gw / name).exists() and name in r.stdout, name
    fw = (out / "firmware" / "firmware.bin").read_bytes()
    rom = (gw / "radiona_ulx3s_rom.init").read_text().split()
    assert len(rom) == (len(fw) + 3) // 4 and int(rom[1], 16) == int.from_bytes(fw[4:8], "little")
    # the model travels in the bitstream, packed for the board's (SMALL) accelerator
    model = ROOT / "models" / "dscnn_int8.tflite"
    weights = compile_model(load_tflite(model), SMALL).weights.reshape(-1).tobytes()
    assert weights[:4096] in fw and weights[-4096:] in fw
    lpf = (gw / "radiona_ulx3s.lpf").read_text()
    for sig, pin in MIC_PINS.items():
        assert re.search(rf'LOCATE COMP "i2s_mic_{sig}" SITE "{pin}"', lpf), (sig, pin)
    script = (gw / "build_radiona_ulx3s.sh").read_text()
    assert re.search(r"^yosys ", script, re.M) and re.search(r"^ecppack ", script, re.M)
    pnr = re.search(r"^nextpnr-ecp5 .*$", script, re.M).group(0)
    assert " --85k " in pnr and " --report radiona_ulx3s_report.json" in pnr and "--router router2" in pnr and "--package CABGA381" in pnr
    csr = json.loads((out / "csr.json").read_text())
    assert {"i2s", "leds", "accel", "frontend", "sdram"} <= set(csr["csr_bases"])
    from boards.ulx3s import DEFAULT_SYS_CLK_FREQ
    assert csr["constants"]["config_clock_frequency"] == DEFAULT_SYS_CLK_FREQ
    assert csr["memories"]["main_ram"]["size"] > 0
    import shutil
    if shutil.which("openFPGALoader") is None:        # --load without the programmer: one clear line
        r = build("--board", "ulx3s", "--output-dir", str(out), "--load")
        assert r.returncode == 2 and r.stderr.strip().count("\n") == 0 and "openFPGALoader" in r.stderr, r.stderr


def test_nextpnr_report_summary_says_when_timing_is_not_met(tmp_path, capsys):
    """The build's summary of nextpnr's --report JSON: Fmax per clock against its constraint and the
    ECP5 resources by their data-sheet names; a missed clock is reported as NOT MET."""
    from soc.flow.fpga import print_summary, summarize_nextpnr
    rep = tmp_path / "r.json"
    rep.write_text(json.dumps({
        "fmax": {"crg_clkout": {"achieved": 61.3, "constraint": 50.0},
                 "clk25": {"achieved": 24.0, "constraint": 25.0}},
        "utilization": {"TRELLIS_COMB": {"used": 30000, "available": 83640},
                        "MULT18X18D": {"used": 90, "available": 156},
                        "DP16KD": {"used": 100, "available": 208}, "TRELLIS_FF": {"used": 9, "available": 83640}}}))
    s = summarize_nextpnr(rep, rep, 50e6)
    assert s["fmax"]["crg_clkout"]["met"] and not s["fmax"]["clk25"]["met"] and not s["timing_met"]
    assert s["utilization"]["LUT4"] == {"used": 30000, "available": 83640} and "MULT18" in s["utilization"]
    print_summary(s)
    text = capsys.readouterr().out
    assert "NOT MET" in text and "TIMING NOT MET" in text and "EBR (DP16KD)" in text
    rep.write_text(json.dumps({"fmax": {"sys": {"achieved": 60, "constraint": 50}}, "utilization": {}}))
    assert summarize_nextpnr(rep, rep, 50e6)["timing_met"]


@pytest.mark.slow
def test_ulx3s_bitstream_with_timing_closure(tmp_path):
    """The whole flow (tens of minutes on 2 cores): a .bit file, every clock at or above its constraint,
    the KWS firmware in the ROM image the bitstream was built from."""
    if Path(ROOT).resolve().parts[1:2] == ("tmp",):
        pytest.skip("the YoWASP tools cannot read a checkout under /tmp (they mount a private /tmp)")
    out = ROOT / "build" / "test-ulx3s-bitstream"      # not tmp_path: YoWASP cannot see /tmp
    r = build("--board", "ulx3s", "--build", "--output-dir", str(out), timeout=4 * 3600)
    assert r.returncode == 0, r.stderr
    gw = out / "gateware"
    s = json.loads((gw / "radiona_ulx3s_summary.json").read_text())
    print(json.dumps(s, indent=1))
    assert (gw / "radiona_ulx3s.bit").stat().st_size > 100_000
    assert s["timing_met"], s["fmax"]
    assert s["rom_image"]["in_bitstream"] and s["rom_image"]["firmware_bits"] > 100_000, s["rom_image"]
    assert "achieved" in r.stdout and "utilization" in r.stdout


def test_build_under_tmp_is_refused_before_the_gateware():
    """YoWASP's Yosys sees a private /tmp: a project under /tmp failed with 'file not found' after the
    gateware phase. Now one line before anything is generated."""
    import uuid
    out = Path("/tmp") / f"kws-yowasp-check-{uuid.uuid4().hex}" / "ulx3s"
    r = build("--board", "ulx3s", "--build", "--output-dir", str(out), timeout=120)
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    assert r.returncode == 2 and len(lines) == 1 and "under /tmp" in lines[0], r.stderr
    assert not out.exists() and "gateware:" not in r.stdout


def test_rom_image_check_counts_the_firmware_through_netlist_and_config(tmp_path):
    """The bitstream check on small files of the three formats: the ROM's $readmemh image, Yosys' JSON
    netlist (DP16KD INITVALs; ROM cells are rom.*), nextpnr's textual config (.bram_init blocks)."""
    from soc.flow.fpga import rom_image_check
    (tmp_path / "t_rom.init").write_text("0000000f\n00000001\n")                       # 5 bits set
    cells = {"rom.0.0": {"type": "DP16KD", "parameters": {"INITVAL_00": "0111", "INITVAL_01": "0011"}},
             "dct_rom.0.0": {"type": "DP16KD", "parameters": {"INITVAL_00": "0001"}},
             "x": {"type": "TRELLIS_FF", "parameters": {"INITVAL_00": "1111"}}}
    (tmp_path / "t.json").write_text(json.dumps({"modules": {"t": {"cells": cells}}}))
    (tmp_path / "t.config").write_text(".device LFE5U-85F\n.bram_init 0\n007 003\n.bram_init 1\n001 000\n"
                                        ".tile X\nffff\n")
    r = rom_image_check(tmp_path, "t")
    assert r == {"firmware_bits": 5, "netlist_rom_bits": 5, "netlist_ebr_bits": 6, "config_ebr_bits": 6,
                 "in_bitstream": True}
    (tmp_path / "t_rom.init").write_text("0000000f\n")                                 # a different image
    assert not rom_image_check(tmp_path, "t")["in_bitstream"]
