"""The real SoC in Verilator running our firmware: known answers, exit status, caching, bad input."""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BUILD = [sys.executable, str(ROOT / "soc" / "build.py")]


def build(*args, env=None, timeout=900):
    r = subprocess.run(BUILD + list(args), cwd=ROOT, capture_output=True, text=True, env=env,
                       timeout=timeout)
    print(r.stdout[-3000:])
    print(r.stderr[-3000:], file=sys.stderr)
    return r


@pytest.fixture(scope="module")
def sim_built():
    """Build the sim SoC once (cached in build/sim; the first build verilates, ~1-2 minutes)."""
    r = build("--board", "sim", "--no-run")
    assert r.returncode == 0, r.stderr
    return ROOT / "build" / "sim"


def test_selftest_known_answer(sim_built):
    from soc.flow.app_headers import selftest_table
    data, crc, mac = selftest_table()
    r = build("--board", "sim", "--timeout", "120")
    assert r.returncode == 0, r.stderr
    m = re.search(r"selftest: (\d+) bytes crc32=0x([0-9a-f]{8}) expected=0x[0-9a-f]{8} mac=(-?\d+)", r.stdout)
    assert m, "firmware printed no selftest line"
    assert int(m.group(1)) == len(data)
    assert int(m.group(2), 16) == crc          # computed by the CPU, checked against the host's zlib
    assert int(m.group(3)) == mac              # exercises rv32im's hardware multiplier
    assert "selftest: PASS" in r.stdout
    assert "firmware exit status: 0" in r.stdout


def test_firmware_failure_is_exit_status(sim_built):
    r = build("--board", "sim", "--selftest-mode", "fail", "--timeout", "120")
    assert "selftest: FAIL" in r.stdout
    assert r.returncode == 1


def test_hung_firmware_times_out(sim_built):
    r = build("--board", "sim", "--selftest-mode", "hang", "--timeout", "8")
    assert r.returncode == 2
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: firmware did not finish within 8 s")


def test_firmware_change_does_not_reverilate(sim_built, tmp_path):
    vsim = sim_built / "gateware" / "obj_dir" / "Vsim"
    before = vsim.stat().st_mtime_ns
    # A firmware-only change (different compile-time defines -> different image) ...
    r = build("--board", "sim", "--selftest-mode", "fail", "--timeout", "120")
    assert r.returncode == 1
    r = build("--board", "sim", "--timeout", "120")
    assert r.returncode == 0
    assert "gateware: up to date" in r.stdout
    assert vsim.stat().st_mtime_ns == before   # ... ran on the same Verilator model
    rom = (sim_built / "gateware" / "sim_rom.init").read_text().split()
    fw = (sim_built / "firmware" / "firmware.bin").read_bytes()
    assert int(rom[0], 16) == int.from_bytes(fw[:4], "little") and len(rom) == (len(fw) + 3) // 4


def test_unknown_board_is_one_line():
    r = build("--board", "nexys9")
    assert r.returncode == 2
    assert r.stderr.strip().count("\n") == 0 and "unknown board 'nexys9'" in r.stderr


def test_missing_toolchain_is_one_line(tmp_path):
    (tmp_path / "python3").symlink_to(sys.executable)
    env = dict(os.environ, PATH=str(tmp_path))
    r = build("--board", "sim", env=env)
    assert r.returncode == 2
    assert r.stderr.strip().count("\n") == 0
    assert "missing toolchain" in r.stderr and "verilator" in r.stderr and "scripts/setup.sh" in r.stderr


def test_arty_project_without_vivado(tmp_path):
    """--board arty writes the Vivado project of the whole product: the default variant (A7-100T), the
    KWS firmware and the bundled model in the ROM image, the I2S microphone pins and the 1 Mbaud UART."""
    import numpy as np

    from accel.compiler import compile_model
    from accel.tflite_import import load_tflite
    out = tmp_path / "arty"
    r = build("--board", "arty", "--output-dir", str(out))
    assert r.returncode == 0, r.stderr
    gw = out / "gateware"
    for name in ("digilent_arty.v", "digilent_arty.xdc", "digilent_arty.tcl", "digilent_arty_rom.init"):
        assert (gw / name).exists() and name in r.stdout
    fw = (out / "firmware" / "firmware.bin").read_bytes()
    rom = (gw / "digilent_arty_rom.init").read_text().split()
    assert len(rom) == (len(fw) + 3) // 4 and int(rom[1], 16) == int.from_bytes(fw[4:8], "little")
    assert "xc7a100t" in (gw / "digilent_arty.tcl").read_text()
    assert "resource-model estimate on the XC7A100T" in r.stdout and "within the place-and-route" in r.stdout
    # the model travels in the bitstream: its packed accelerator weights are in the ROM image
    model = sorted((ROOT / "models").glob("*.tflite"))[0]
    weights = compile_model(load_tflite(model)).weights.reshape(-1).tobytes()
    assert weights[:4096] in fw and weights[-4096:] in fw
    xdc = (gw / "digilent_arty.xdc").read_text()
    for pin in ("G13", "B11", "A11"):            # Pmod JA 1-3: I2S SCK, WS, SD (docs/boards/arty.md)
        assert re.search(rf"set_property LOC {pin} .*i2s_mic", xdc), pin
    csr = json.loads((out / "csr.json").read_text())
    assert "i2s" in csr["csr_bases"] and "leds" in csr["csr_bases"]
    assert csr["constants"]["config_clock_frequency"] == 100_000_000
    assert "uart_baudrate" not in csr["constants"] or csr["constants"]["uart_baudrate"] == 1_000_000
    assert np.frombuffer(fw[:4], np.uint32)[0] != 0
    if not any((Path(p) / "vivado").exists() for p in os.environ["PATH"].split(os.pathsep)):
        r = build("--board", "arty", "--output-dir", str(out), "--build")
        assert r.returncode == 2
        assert r.stderr.strip().count("\n") == 0 and "vivado" in r.stderr


def test_arty_variants_and_audio_options():
    """Both Arty parts are known (the -35T on request); wrong audio options are one clear line."""
    from boards import get_board
    assert get_board("arty").variant == "a7-100"
    assert get_board("arty", variant="a7-35").platform.device.startswith("xc7a35t")
    for argv, words in ((["--board", "sim", "--audio", "i2s"], "no microphone"),
                        (["--board", "arty", "--audio", "mem"], "--audio i2s or uart"),
                        (["--board", "arty", "--cpu-only"], "--audio uart")):
        r = build(*argv, "--no-run")
        assert r.returncode == 2 and r.stderr.strip().count("\n") == 0 and words in r.stderr, r.stderr


def test_memory_map_doc_is_current(sim_built):
    """docs/memory-map.md is generated from the SoC; regenerate it when the SoC changes."""
    generated = (sim_built / "memory-map.md").read_text()
    assert "| accel | 0x" in generated and "| frontend_mem | 0x" in generated and "| 3 | accel |" in generated
    assert (ROOT / "docs" / "memory-map.md").read_text() == generated, \
        "docs/memory-map.md is stale: cp build/sim/memory-map.md docs/memory-map.md"


def _vsim_pids(gateware_dir):
    """Pids of Vsim processes running in (a directory under) gateware_dir."""
    pids = []
    for p in Path("/proc").iterdir():
        if not p.name.isdigit():
            continue
        try:
            exe, cwd = os.readlink(p / "exe"), os.readlink(p / "cwd")
        except OSError:
            continue
        if exe.endswith("/Vsim") and cwd.startswith(str(gateware_dir)):
            pids.append(int(p.name))
    return pids


@pytest.mark.parametrize("sig", ["SIGTERM", "SIGINT"])
def test_signal_during_sim_leaves_no_simulator(sim_built, sig):
    """Ctrl-C (SIGINT) or SIGTERM to the build while Verilator runs: the build reports it in one line
    and the simulator (in its own session, so the terminal's Ctrl-C never reaches it) is gone."""
    import signal
    import time
    gw = sim_built / "gateware"
    assert not _vsim_pids(gw), "a simulator from an earlier run is still alive"
    # SIGINT as a terminal delivers it: default disposition in the child even when this test runs under
    # a parent that ignores SIGINT (a background job: Python would then never raise KeyboardInterrupt)
    p = subprocess.Popen(BUILD + ["--board", "sim", "--selftest-mode", "hang", "--timeout", "300"], cwd=ROOT,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        t0 = time.time()
        for line in p.stdout:                     # wait until the simulation is really running
            if "sim: running" in line:
                break
        while not _vsim_pids(gw) and time.time() - t0 < 120:
            time.sleep(0.2)
        assert _vsim_pids(gw), "the simulator never started"
        time.sleep(1.0)
        p.send_signal(getattr(signal, sig))
        _, err = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
    assert p.returncode == (143 if sig == "SIGTERM" else 130), err
    assert err.strip() in ("error: terminated", "error: interrupted"), err
    deadline = time.time() + 10
    while _vsim_pids(gw) and time.time() < deadline:
        time.sleep(0.2)
    assert not _vsim_pids(gw), "the simulator outlived the build"


def test_verilator_model_uses_the_project_sim_core(sim_built):
    """The model is built by soc/sim_core/Makefile (no VCD tracing, -O3), and every run reports its
    simulated cycles per wall second."""
    script = (sim_built / "gateware" / "build_sim.sh").read_text()
    assert str(ROOT / "soc" / "sim_core" / "Makefile") in script
    r = build("--board", "sim", "--timeout", "120")
    assert r.returncode == 0
    m = re.search(r"\[build\] sim: ([\d.]+) M cycles simulated in ([\d.]+) s = ([\d.]+) M cycles/s", r.stdout)
    assert m and float(m.group(1)) > 0.1, r.stdout[-2000:]
    assert "KWS_CYCLES" not in r.stdout          # the protocol line is read, not shown
    assert not (sim_built / "gateware" / "sim.vcd").exists() or \
        (sim_built / "gateware" / "sim.vcd").stat().st_mtime < (sim_built / "gateware" / "obj_dir" / "Vsim").stat().st_mtime


def test_a_project_that_does_not_fit_its_part_says_so(capsys):
    """--variant a7-35 wrote a project that cannot fit the part without a word: the resource model's
    whole-SoC estimate (within a few % of Yosys, docs/dse.md) is printed with what is over the ceilings."""
    from types import SimpleNamespace

    from accel.hw.config import DEFAULT, SMALL, TINY
    from soc.flow.fpga import _fit_note, xc7_fit
    dev, est, pct, over = xc7_fit("xc7a35ticsg324-1L", SMALL)
    assert dev.name == "xc7a35t" and {o.split()[0] for o in over} == {"LUT", "BRAM", "DSP"}
    assert 120 < pct["LUT"] < 140 and est["DSP"] == 99          # Yosys 0.23 measured 127% LUT, 99 DSP
    # the -35T's own configuration (TINY, no fused DW lanes) is closer and still over all three
    dev, est, pct, over = xc7_fit("xc7a35ticsg324-1L", TINY)
    assert {o.split()[0] for o in over} == {"LUT", "BRAM", "DSP"} and 85 < pct["LUT"] < 105 and est["DSP"] == 91
    assert xc7_fit("xc7a100tcsg324-1", DEFAULT)[3] == [] and xc7_fit("LFE5U-85F", DEFAULT) is None
    _fit_note(SimpleNamespace(accel_config=TINY), SimpleNamespace(platform=SimpleNamespace(device="xc7a35ticsg324-1L")))
    line = capsys.readouterr().out.strip()
    assert line.startswith("[build] warning: this SoC does not fit the XC7A35T") and "accel.dse" in line, line
    assert "\n" not in line
