"""Nexys A7 (boards/nexys_a7.py): the Vivado project generates with the on-board PDM microphone wired
to the front-end, the KWS firmware (with the PDM driver) and the model in the ROM image.

`soc/build.py --board nexys_a7` runs once into build/test_nexys_a7 (its gateware cache makes reruns
take seconds; the first run generates the SoC and LiteX's libraries, ~1-2 min)."""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "build" / "test_nexys_a7"


def build(*args):
    r = subprocess.run([sys.executable, str(ROOT / "soc" / "build.py"), *args], cwd=ROOT, capture_output=True,
                       text=True, timeout=900)
    print(r.stdout[-3000:])
    print(r.stderr[-3000:], file=sys.stderr)
    return r


@pytest.fixture(scope="module")
def project():
    r = build("--board", "nexys_a7", "--output-dir", str(OUT))
    assert r.returncode == 0, r.stderr
    return r


def test_project_has_mic_wired_to_frontend(project):
    from accel.compiler import compile_model
    from accel.tflite_import import load_tflite
    from boards.nexys_a7 import PDM_MIC_PINS
    gw = OUT / "gateware"
    for name in ("digilent_nexys4ddr.v", "digilent_nexys4ddr.xdc", "digilent_nexys4ddr.tcl",
                 "digilent_nexys4ddr_rom.init"):
        assert (gw / name).exists() and name in project.stdout
    assert "xc7a100tcsg324" in (gw / "digilent_nexys4ddr.tcl").read_text()
    xdc = (gw / "digilent_nexys4ddr.xdc").read_text()
    assert PDM_MIC_PINS == {"clk": "J5", "data": "H5", "lrsel": "F5"}   # docs/boards/nexys_a7.md
    for sig, pin in PDM_MIC_PINS.items():
        assert re.search(rf"set_property LOC {pin} \[get_ports {{pdm_mic_{sig}}}\]", xdc), (sig, pin)
    v = (gw / "digilent_nexys4ddr.v").read_text()
    # the receiver's stream drives the front-end's sink (no CPU in between), its pins the microphone
    m = re.search(r"assign (\w+)_sink_valid = (\w*pdmrxcore)_source_valid;", v)
    assert m, "PDM receiver not connected to the front-end sink"
    rx = m.group(2)
    assert f"assign {m.group(1)}_sink_payload_data = {rx}_source_payload_data;" in v
    assert f"assign pdm_mic_clk = {rx}_clk;" in v and f"assign pdm_mic_lrsel = {rx}_lrsel;" in v
    assert re.search(rf"assign {rx}_data\d* = pdm_mic_data;", v)
    assert "ddram_" in v and "serial_tx" in v
    csr = json.loads((OUT / "csr.json").read_text())
    assert "pdm" in csr["csr_bases"] and "frontend" in csr["csr_bases"] and "i2s" not in csr["csr_bases"]
    assert csr["constants"]["config_clock_frequency"] == 75_000_000
    # the KWS firmware with the PDM driver and the bundled model's packed weights are in the ROM image
    fw = (OUT / "firmware" / "firmware.bin").read_bytes()
    rom = (gw / "digilent_nexys4ddr_rom.init").read_text().split()
    assert len(rom) == (len(fw) + 3) // 4 and int(rom[1], 16) == int.from_bytes(fw[4:8], "little")
    assert b"audio: PDM microphone on" in fw
    model = sorted((ROOT / "models").glob("*.tflite"))[0]
    weights = compile_model(load_tflite(model)).weights.reshape(-1).tobytes()
    assert weights[:4096] in fw and weights[-4096:] in fw


def test_build_without_vivado_is_one_error_line(project):
    if any((Path(p) / "vivado").exists() for p in os.environ["PATH"].split(os.pathsep)):
        pytest.skip("vivado is installed here")
    r = build("--board", "nexys_a7", "--output-dir", str(OUT), "--build")
    assert r.returncode == 2 and r.stderr.strip().count("\n") == 0 and "vivado" in r.stderr


def test_board_options():
    from boards import BOARDS, get_board
    assert "nexys_a7" in BOARDS
    b = get_board("nexys_a7")
    assert b.variant == "a7-100" and b.platform.device.startswith("xc7a100t") and b.default_sys_clk_freq == 75e6
    for argv, words in ((["--variant", "a7-35"], "choose one of a7-100"), (["--no-run"], "simulator"),
                        (["--audio", "mem"], "--audio i2s or uart"), (["--cpu-only"], "--audio uart")):
        r = build("--board", "nexys_a7", *argv)
        assert r.returncode == 2 and r.stderr.strip().count("\n") == 0 and words in r.stderr, r.stderr
