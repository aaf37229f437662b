"""The product's main job: the KWS app in the Verilator SoC (HW front-end -> accelerator -> detector)
on the bundled model and clips detects the right keyword and stays quiet on silence and on an
unknown word."""
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CLIPS = ROOT / "models" / "clips"


def _bundled():
    meta = json.loads((CLIPS / "clips.json").read_text())
    return meta["clips"] if isinstance(meta, dict) and "clips" in meta else meta


def test_bundled_model_and_clips_exist():
    assert sorted((ROOT / "models").glob("*.tflite")), "no bundled model in models/"
    assert len(_bundled()) >= 4


@pytest.fixture(scope="module")
def bundled_run():
    """The SoC's KWS app on three bundled keyword clips, a silence clip and an unknown word."""
    clips = _bundled()
    keywords = [c for c in clips if not c["label"].startswith("_")][:3]
    silence = [c for c in clips if c["label"] == "_silence_"][:1]
    unknown = [c for c in clips if c["label"] == "_unknown_"][:1]
    assert len(keywords) == 3 and len(silence) == 1 and len(unknown) == 1
    chosen = keywords + silence + unknown
    wavs = [str(CLIPS / c["file"]) for c in chosen]
    r = subprocess.run([sys.executable, str(ROOT / "soc" / "build.py"), "--board", "sim", "--app", "kws",
                        "--wav", *wavs, "--timeout", "1500"], cwd=ROOT, capture_output=True, text=True)
    print(r.stdout[-6000:])
    assert r.returncode == 0, r.stderr[-2000:]
    return keywords, silence, unknown, wavs, r.stdout


def test_kws_in_soc_detects_as_the_host_pipeline_and_not_silence(bundled_run, capsys):
    """Per clip, the SoC's detections equal `python -m kws listen` (golden front-end and model, the
    firmware's detector) on the same clips; silence and the unknown word raise none; every keyword
    detection has the clip's label; the per-hop cycle report is there."""
    from kws.__main__ import main
    keywords, silence, unknown, wavs, out = bundled_run
    soc_lines = [l.split(" leds=")[0] for l in out.splitlines() if l.startswith("detect:")]
    per_clip = dict(re.findall(r"^  (\S+)\s+-> (.*)$", out, re.M))
    capsys.readouterr()
    assert main(["listen", *wavs]) == 0
    host = capsys.readouterr().out
    assert [l for l in host.splitlines() if l.startswith("detect:")] == soc_lines
    assert dict(re.findall(r"^  (\S+)\s+-> (.*)$", host.split("detections per clip:")[1], re.M)) == per_clip
    for c in keywords:
        found = per_clip[Path(c["file"]).name]
        assert found == "nothing" or found.split(" (")[0] == c["label"], f"{c['file']}: SoC said {found}"
    assert any(per_clip[Path(c["file"]).name] != "nothing" for c in keywords), "no keyword detected at all"
    assert per_clip[Path(silence[0]["file"]).name] == "nothing"
    assert per_clip[Path(unknown[0]["file"]).name] == "nothing", "the unknown word raised a detection"
    m = re.search(r"mean cycles per hop: front-end (\d+), accelerator (\d+), cpu (\d+)", out)
    assert m and all(int(v) > 0 for v in m.groups())


@pytest.mark.xfail(strict=True, reason="issue 15 not met yet: the bundled multi-engine model misses the "
                                       "held-out flite 'up' clip (heard as 'off', no detection); strict: fails "
                                       "loudly once every keyword clip is detected")
def test_kws_in_soc_detects_every_keyword_clip(bundled_run):
    keywords, _, _, _, out = bundled_run
    per_clip = dict(re.findall(r"^  (\S+)\s+-> (.*)$", out, re.M))
    for c in keywords:
        found = per_clip[Path(c["file"]).name]
        assert found.split(" (")[0] == c["label"], f"{c['file']}: expected {c['label']}, SoC said {found}"


def golden_kws_outputs(model_path, audio, mode):
    """What every inference of the KWS app must output: golden front-end frames into a 49-frame ring
    that starts as the silence frame, the golden model on the ring after each new frame."""
    import numpy as np

    from accel import golden
    from accel.tflite_import import load_tflite
    from frontend import format as F
    from frontend import golden as G
    model = load_tflite(model_path)
    frames = G.features(audio, mode)
    silence = G.features(np.zeros(F.WINDOW_SAMPLES, np.int16), mode)[0]
    outs = []
    for i in range(1, len(frames) + 1):
        window = [frames[j] if j >= 0 else silence for j in range(i - F.FRAMES_PER_WINDOW, i)]
        outs.append(golden.run(model, np.stack(window)[..., None]).reshape(-1))
    return np.array(outs)


@pytest.fixture(scope="module")
def speech_clip(tmp_path_factory):
    import numpy as np
    import soundfile as sf

    from frontend.format import HOP, SAMPLE_RATE
    from frontend.wav import read_wav
    d = tmp_path_factory.mktemp("kws")
    subprocess.run(["espeak-ng", "-w", str(d / "s.wav"), "go"], check=True)
    audio, _ = read_wav(d / "s.wav")
    audio = np.concatenate([audio, np.zeros(SAMPLE_RATE // 2, np.int16)])[:HOP * 12]   # whole hops (CPU-only is slow)
    sf.write(d / "clip.wav", audio, SAMPLE_RATE, subtype="PCM_16")
    return d / "clip.wav", audio


@pytest.mark.parametrize("build", ["accelerated", "cpu-only"])
def test_kws_outputs_equal_golden_pipeline(speech_clip, build):
    import numpy as np

    from training.zoo import zoo_model
    path, audio = speech_clip
    model = zoo_model("tiny_mfcc")
    r = subprocess.run([sys.executable, str(ROOT / "soc" / "build.py"), "--board", "sim", "--app", "kws",
                        "--model", str(model), "--wav", str(path), "--gap", "0", "--trace-outputs", "--timeout", "1500",
                        *(["--cpu-only"] if build == "cpu-only" else [])],
                       cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
    got = {int(m.group(1)): np.array(m.group(2).split(), int) for m in re.finditer(r"^out (\d+) (.*)$", r.stdout, re.M)}
    want = golden_kws_outputs(model, audio, "mfcc")
    assert sorted(got) == list(range(1, len(want) + 1)), f"inferences {sorted(got)}"
    mism = [i for i in got if not np.array_equal(got[i], want[i - 1])]
    assert not mism, f"{build}: inferences {mism} differ from the golden pipeline"
    m = re.search(r"mean cycles per hop: front-end (\d+), accelerator (\d+), cpu (\d+)", r.stdout)
    print(f"{build}: {len(got)} inferences, mean cycles per hop fe={m.group(1)} accel={m.group(2)} cpu={m.group(3)}")


def test_kws_zero_copy_odd_tail_equals_golden(speech_clip, tmp_path):
    """The zero-copy path (audio DMA from main RAM -> front-end -> the accelerator's feature ring) on a
    clip that ends with a partial hop of an odd number of samples (the DMA takes the even part, the CPU
    pushes the last sample; like any short last hop it completes no frame: the front-end frames on whole
    hops, kws.pipeline.frames_after): every inference equals the golden pipeline, and the app says it
    ran zero-copy."""
    import numpy as np
    import soundfile as sf

    from frontend.format import HOP, SAMPLE_RATE
    from training.zoo import zoo_model
    _, audio = speech_clip
    audio = np.concatenate([audio, audio[:HOP // 2 + 41]])          # 12 hops + 201 samples
    path = tmp_path / "odd.wav"
    sf.write(path, audio, SAMPLE_RATE, subtype="PCM_16")
    model = zoo_model("tiny_mfcc")
    r = subprocess.run([sys.executable, str(ROOT / "soc" / "build.py"), "--board", "sim", "--app", "kws",
                        "--model", str(model), "--wav", str(path), "--gap", "0", "--trace-outputs", "--timeout", "1500"],
                       cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
    assert "zero-copy: audio by DMA, features in the accelerator's ring" in r.stdout
    got = {int(m.group(1)): np.array(m.group(2).split(), int) for m in re.finditer(r"^out (\d+) (.*)$", r.stdout, re.M)}
    from kws.pipeline import frames_after
    want = golden_kws_outputs(model, audio, "mfcc")[:int(frames_after(len(audio)))]
    assert len(want) == 11 and sorted(got) == list(range(1, len(want) + 1)), f"inferences {sorted(got)}"
    mism = [i for i in got if not np.array_equal(got[i], want[i - 1])]
    assert not mism, f"inferences {mism} differ from the golden pipeline"


def test_detections_are_attributed_by_the_models_window():
    """A detection fires 0.2-1 s after its word: it belongs to the clip with the most audio in the
    model's window at that time, not to the clip that happens to be playing."""
    from soc.flow.clips import attribute
    spans = [("silence", 0.0, 1.0), ("six", 1.5, 2.5), ("yes", 3.0, 4.0), ("no", 4.5, 5.5)]
    assert [spans[attribute(t, spans)][0] for t in (0.5, 2.14, 3.14, 4.2, 4.7, 5.6, 6.9)] == \
        ["silence", "six", "six", "yes", "yes", "no", "no"]
