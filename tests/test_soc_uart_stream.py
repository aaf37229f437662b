"""The UART audio path end to end in the Verilator SoC: soc/build.py --audio uart streams a bundled
clip into the simulated console UART (a TCP socket with flow control, soc/sim_modules/serial2tcp_fc)
in soc/uart_audio_proto.py frames, exactly as soc/stream_wav.py does to an Arty; the firmware parses
them (firmware/src/uart_audio.c), runs the KWS app and prints its detection back over the same UART."""
import re
import subprocess
import sys
from pathlib import Path

import numpy as np

from soc import uart_audio_proto as P
from tests.test_soc_kws import _bundled, golden_kws_outputs

ROOT = Path(__file__).resolve().parents[1]
CLIPS = ROOT / "models" / "clips"


def test_uart_stream_detects_keyword_without_losing_a_sample():
    from frontend.wav import read_wav
    from training.labels import KEYWORDS
    clip = next(c for c in _bundled() if c["label"] == "yes")
    model = sorted((ROOT / "models").glob("*.tflite"))[0]
    gap = 0.5
    r = subprocess.run([sys.executable, str(ROOT / "soc" / "build.py"), "--board", "sim", "--app", "kws",
                        "--audio", "uart", "--wav", str(CLIPS / clip["file"]), "--gap", str(gap),
                        "--trace-outputs", "--timeout", "1200"], cwd=ROOT, capture_output=True, text=True)
    print(r.stdout[-3000:])
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
    audio, _ = read_wav(CLIPS / clip["file"])
    audio = np.concatenate([audio, np.zeros(int(gap * 16000), np.int16)])
    # every frame arrived once, in order, with nothing dropped by the parser or the firmware's queue
    m = re.search(r"^uart: (\d+) frames, (\d+) samples, (\d+) crc errors, (\d+) length errors, (\d+) sequence gaps, "
                  r"(\d+) skipped bytes, (\d+) samples lost$", r.stdout, re.M)
    assert m, "no stream counters from the firmware"
    frames, samples, *errors = map(int, m.groups())
    assert frames == -(-len(audio) // P.MAX_SAMPLES) + 1 and samples == len(audio), m.group(0)
    assert errors == [0] * 5, m.group(0)
    # the detection comes back over the UART, and the LEDs show the keyword's number
    det = re.findall(r"^detect: (\S+) conf=\d+/255 t=\d+ms leds=(\d+)$", r.stdout, re.M)
    assert [d[0] for d in det] == ["yes"], det
    assert int(det[0][1]) == KEYWORDS.index("yes") + 1
    # and every inference equals the golden pipeline on the same samples: no sample lost, repeated or moved
    got = {int(m.group(1)): np.array(m.group(2).split(), int) for m in re.finditer(r"^out (\d+) (.*)$", r.stdout, re.M)}
    want = golden_kws_outputs(model, audio, "mfcc")
    assert sorted(got) == list(range(1, len(want) + 1))
    assert all(np.array_equal(got[i], want[i - 1]) for i in got)
