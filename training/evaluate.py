"""Measuring a trained model: int8 predictions through tflite-micro, accuracy per split and per engine,
the issue's acceptance sets, and the held-out-voice WAV clips written beside a bundled model.
Used by training/train.py's eval and clips phases."""
from __future__ import annotations

import sys
from pathlib import Path

from frontend.format import SAMPLE_RATE
from training.labels import LABELS, SILENCE_INDEX, UNKNOWN_INDEX, TrainingError


def split_table(y, preds, data, splits):
    """{split: {"all": {...}, engine: {...}}} of float / int8 accuracy and clip counts."""
    from training.report import accuracy
    out = {}
    for s in splits:
        row = {"all": {"n": int(len(y[s])), **{k: round(accuracy(y[s], p), 4) for k, p in preds[s].items()}}}
        engs = data[s].get("engines")
        if engs is not None:
            for e in sorted(set(engs.tolist()) - {""}):
                m = (engs == e) | (engs == "")       # silence clips belong to every engine's row
                row[e] = {"n": int(m.sum()), **{k: round(accuracy(y[s][m], p[m]), 4)
                                                  for k, p in preds[s].items()}}
        out[s] = row
    return out


ACCEPT = {"held_out_engine": (0.85, 0.90), "held_out_voices": (0.95, 0.97)}


def acceptance(table, held_out_engines):
    """The issue's acceptance sets (int8): each held-out engine (test_engine, per engine), the
    held-out kokoro voices (test, kokoro) and the held-out voices of the training engines (test)."""
    rows = []
    for suffix in ("", "_clean"):
        te, t = table.get("test_engine" + suffix, {}), table.get("test" + suffix, {})
        for e in held_out_engines:
            if e in te:
                rows.append((f"test_engine{suffix}/{e}", "held_out_engine", te[e]))
        if "kokoro" in t:
            rows.append((f"test{suffix}/kokoro", "held_out_engine", t["kokoro"]))
        if "all" in t:
            rows.append((f"test{suffix}", "held_out_voices", t["all"]))
    out = {}
    for name, kind, r in rows:
        req, goal = ACCEPT[kind]
        out[name] = {"kind": kind, "n": r["n"], "int8": r["int8"], "float": r["float"], "required": req,
                     "goal": goal, "pass_required": bool(r["int8"] >= req), "pass_goal": bool(r["int8"] >= goal)}
    return out


def print_table(table):
    print("[eval] int8 (tflite-micro) / float accuracy per split and engine:")
    print(f"  {'split':<20} {'engine':<10} {'clips':>6} {'int8':>8} {'float':>8}")
    for s, row in table.items():
        for e, r in row.items():
            print(f"  {s:<20} {e:<10} {r['n']:>6} {100 * r['int8']:>7.2f}% {100 * r['float']:>7.2f}%")
    sys.stdout.flush()


def tflite_io_quant(path):
    """((in_scale, in_zp), (out_scale, out_zp)) of a .tflite file, from accel's importer (the IR)."""
    from accel.tflite_import import load_tflite
    from accel.ir import ModelError
    try:
        m = load_tflite(path)
    except ModelError as exc:
        raise TrainingError(str(exc)) from None
    return (m.input.scale, m.input.zero_point), (m.output.scale, m.output.zero_point)


def int8_predict(path, q_feats, fe_quant, model_in_quant, quiet=False, desc="int8 (tflite-micro)"):
    """Class predictions of the int8 model with tflite-micro (the oracle), fed the front-end's int8
    features directly (requantized only if the model's input quantization differs)."""
    import numpy as np
    from accel.tflm import predict_tflm

    (s_m, z_m), (s_f, z_f) = model_in_quant, fe_quant
    same = np.float32(s_m) == np.float32(s_f) and z_m == z_f
    x = q_feats if same else np.clip(np.rint((q_feats.astype(np.float64) - z_f) * s_f / s_m) + z_m,
                                     -128, 127).astype(np.int8)
    progress = None
    if not quiet:
        from tqdm import tqdm

        def progress(it):
            return tqdm(it, desc=desc, unit="clip", mininterval=1.0, file=sys.stderr)
    out = predict_tflm(path, x, progress=progress)
    return np.argmax(out.reshape(len(x), -1), axis=1).astype(np.int64)


# ------------------------------------------------------------------------------------------------
# clips

def write_clips(data, out_dir, int8_path, fe_mode, fe_quant, model_in_quant, seed):
    """One test-split clip per keyword, two unknown, two silence: clear ones (no noise or SNR >= 10 dB),
    picked by a seeded draw, never by the model's answer. Returns the index written to clips.json."""
    import numpy as np
    from training import features as F
    from training.report import write_json

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.glob("*.wav"):
        old.unlink()
    test = data["test"]
    meta = test.get("meta")
    rng = np.random.default_rng([seed, 41])
    picks = []
    for k, name in enumerate(LABELS):
        idx = np.nonzero(test["labels"] == k)[0]
        if meta is not None and k != SILENCE_INDEX:
            idx = [i for i in idx if meta[i].get("snr_db") is None or meta[i]["snr_db"] >= 10]
        want, words = (2 if k in (SILENCE_INDEX, UNKNOWN_INDEX) else 1), set()
        for i in rng.permutation(idx):
            w = str(test["words"][i])
            if len(words) < want and (k == SILENCE_INDEX or w not in words):
                words.add(w if k != SILENCE_INDEX else len(words))
                picks.append((k, int(i)))
    audio = np.stack([test["audio"][i] for _, i in picks])
    q = F.compute(audio, fe_mode, quiet=True)
    preds = int8_predict(int8_path, q, fe_quant, model_in_quant, quiet=True)
    import soundfile as sf
    index = []
    for n, ((k, i), p) in enumerate(zip(picks, preds)):
        word = str(test["words"][i]) or "silence"
        name = f"{n:02d}_{LABELS[k].strip('_')}" + (f"_{word}" if k == UNKNOWN_INDEX else "") + ".wav"
        sf.write(out_dir / name, test["audio"][i], SAMPLE_RATE, subtype="PCM_16")
        entry = {"file": name, "label": LABELS[k], "word": word, "voice": str(test["speakers"][i]) or None,
                 "predicted_int8": LABELS[int(p)]}
        if meta is not None:
            entry.update({k2: meta[i].get(k2) for k2 in ("accent", "rate", "pitch", "noise", "snr_db",
                                                            "level_dbfs") if k2 in meta[i]})
        index.append(entry)
    write_json({"note": "1 s, 16 kHz mono int16 clips from the test split (voices never used in training); "
                        "predicted_int8 is the bundled int8 model's answer through the front-end golden "
                        "model and tflite-micro.", "clips": index}, out_dir / "clips.json")
    return index


# ------------------------------------------------------------------------------------------------
