"""The C constants the firmware shares with the host are generated, never restated by hand:
firmware/include/soc_format.h must equal soc/c_headers.py's output, and no firmware source may
redefine what it holds."""
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_soc_format_header_is_current():
    from soc import c_headers
    assert c_headers.OUT.read_text() == c_headers.render(), "stale: run python -m soc.c_headers"
    r = subprocess.run([sys.executable, "-m", "soc.c_headers", "--check"], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_values_come_from_their_python_owners():
    from frontend.format import SAMPLE_RATE
    from soc import audio as A
    from soc import uart_audio_proto as P
    h = (ROOT / "firmware" / "include" / "soc_format.h").read_text()
    d = dict(re.findall(r"#define (\w+) (\S+)", h))
    assert [int(d[f"AUDIO_SRC_{s.upper()}"]) for s in A.AUDIO_SOURCES] == list(range(len(A.AUDIO_SOURCES)))
    assert int(d["AUDIO_MAGIC"].rstrip("u"), 16) == A.AUDIO_MAGIC and int(d["AUDIO_RATE"]) == SAMPLE_RATE
    assert int(d["UA_MAX_SAMPLES"]) == P.MAX_SAMPLES and int(d["UA_SYNC0"], 16) == P.SYNC[0]


def test_no_firmware_source_restates_a_generated_constant():
    generated = set()
    for h in (ROOT / "firmware" / "include").glob("*.h"):
        generated |= set(re.findall(r"#define (\w+)", h.read_text()))
    generated -= {"SOC_FORMAT_H", "FRONTEND_FORMAT_H", "ACCEL_DESC_H"}
    for src in list((ROOT / "firmware").glob("src/*.[ch]")) + list((ROOT / "firmware").glob("nn/*.[ch]")) + \
            [ROOT / "firmware" / "fe" / "fe.c", ROOT / "firmware" / "fe" / "fe.h"]:
        redefined = set(re.findall(r"#define (\w+)", src.read_text())) & generated
        assert not redefined, f"{src.relative_to(ROOT)} redefines generated constants {sorted(redefined)}"
