"""Train the keyword-spotting DS-CNN, export it as int8 TFLite and measure it.

    python training/train.py                       # multi-engine synthetic set, MFCC, MLPerf-shaped DS-CNN
    python training/train.py --data-dir ~/speech_commands_v0.02     # Google Speech Commands v2
    python training/train.py --out models --clips models/clips      # regenerate the bundled model
    python training/train.py --quick --out /tmp/kws                 # tiny configuration (tests)

Phases (each timed): data (generated or loaded, cached), features (front-end golden model, cached),
training (early stopping on validation accuracy), int8 export (per-channel weights, int8 input and
output, representative dataset), evaluation (float with Keras, int8 with tflite-micro) and report
(``report.json``, ``confusion.png``). A bad input ends with one ``error: ...`` line and exit status 2.
"""
from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from pathlib import Path

# The repo is installed (editable) in the venv by scripts/setup.sh: no sys.path edits needed.
from kws.cli import (ArgumentParser, check_writable_dir, float_range, int_range, nonneg_int, positive_float,
                     positive_int, run_main)
from frontend.format import MODES as FE_MODES
from training.labels import LABELS, TrainingError

from training.evaluate import acceptance, int8_predict, print_table, split_table, tflite_io_quant, write_clips
from training.fit import build_model, representative_set, setup_tf, train

ROOT = Path(__file__).resolve().parents[1]

MODEL_NAME = "dscnn_int8.tflite"
# --quick: only the cheap engines (espeak-ng, flite for training; piper held out), few takes
QUICK_SYNTH = dict(engines=("espeak", "flite", "piper"), held_out_engines=("piper",),
                   takes=(("espeak", 40, 10, 12), ("flite", 20, 5, 6), ("piper", 0, 0, 8)),
                   copies=(("espeak", 2), ("flite", 2)))


def _names(text):
    return tuple(n.strip() for n in text.split(",") if n.strip())


def parse_args(argv=None):
    p = ArgumentParser(description=__doc__.split("\n")[0])
    g = p.add_argument_group("data")
    g.add_argument("--data-dir", type=Path, default=None,
                   help="Speech Commands v2 folder (standard layout); default: the synthetic multi-engine set")
    g.add_argument("--engines", type=_names, default=None,
                   help="synthetic set: comma-separated engines (default espeak,flite,festival,piper,kokoro; "
                        "--quick espeak,flite,piper); a missing optional engine is a note")
    g.add_argument("--held-out-engines", type=_names, default=None,
                   help="synthetic set: engines used only for the test_engine split (default piper); "
                        "'' holds none out")
    g.add_argument("--takes-scale", type=positive_float, default=1.0,
                   help="synthetic set: multiply every engine's number of takes (default 1)")
    g.add_argument("--no-augment", dest="augment", action="store_false",
                   help="synthetic set: no waveform augmentation (level and a noise floor only)")
    g.add_argument("--features", choices=FE_MODES, default="mfcc",
                   help="front-end mode: mfcc gives 49x10 (MLPerf shape), logmel/pcen 49x40")
    g.add_argument("--seed", type=nonneg_int, default=1234)
    g.add_argument("--cache-dir", type=Path, default=ROOT / ".cache" / "training",
                   help="where data sets and features are cached")
    g.add_argument("--workers", type=int_range(1, 64), default=min(2, os.cpu_count() or 1),
                   help="augmentation / front-end processes (the result does not depend on it)")
    m = p.add_argument_group("model")
    m.add_argument("--width", type=int_range(1, 1024), default=None, help="filters of every layer (default 64; --quick 32)")
    m.add_argument("--blocks", type=int_range(0, 16), default=None, help="depthwise-separable blocks (default 5: MLPerf's 4 + 1, the most that fits the "
                        "SMALL/TINY accelerators' 32 KiB of weights at width 64; --quick 2)")
    m.add_argument("--dropout", type=float_range(0, 1, hi_open=True), default=None, help="dropout before the classifier (default 0.1)")
    t = p.add_argument_group("training")
    t.add_argument("--epochs", type=positive_int, default=None, help="maximum epochs (default 80; --quick 40)")
    t.add_argument("--batch-size", type=positive_int, default=None, help="default 100; --quick 32")
    t.add_argument("--bn-momentum", type=float_range(0, 1, hi_open=True), default=0.9, help="BatchNormalization moving-average momentum")
    t.add_argument("--lr", type=positive_float, default=2e-3, help="initial Adam learning rate")
    t.add_argument("--label-smoothing", type=float_range(0, 1, hi_open=True), default=None,
                   help="cross-entropy label smoothing (default 0.1; --quick 0)")
    t.add_argument("--time-shift", type=int_range(0, 24), default=None,
                   help="augmentation: shift each training example by up to this many frames, "
                        "edges repeated (default 3; --quick 0)")
    t.add_argument("--time-masks", type=nonneg_int, default=None,
                   help="augmentation: SpecAugment time masks per example, each up to --mask-frames "
                        "frames set to the example's mean (default 2; --quick 0)")
    t.add_argument("--mask-frames", type=int_range(1, 49), default=4, help="widest time mask, frames")
    t.add_argument("--feature-masks", type=nonneg_int, default=None,
                   help="augmentation: masks over up to --mask-features feature rows (MFCC "
                        "coefficients / mel bands), set to the example's mean (default 1; --quick 0)")
    t.add_argument("--mask-features", type=int_range(1, 40), default=2, help="widest feature mask, rows")
    t.add_argument("--lr-schedule", choices=("cosine", "plateau"), default="cosine",
                   help="cosine: decay to --min-lr over the epochs that fit the time budget (re-planned "
                        "after every epoch); plateau: halve on a flat validation loss")
    t.add_argument("--min-lr", type=positive_float, default=1e-5, help="lowest learning rate of either schedule")
    t.add_argument("--patience", type=positive_int, default=None,
                   help="early stopping: epochs without a better validation accuracy (default 8)")
    t.add_argument("--time-budget", type=positive_float, default=None,
                   help="minutes for the whole run (data + features + training + export + eval): training "
                        "stops early enough to finish within it (default 58; --quick 10, a safety cap: --quick always runs its epochs)")
    t.add_argument("--train-minutes", type=positive_float, default=None,
                   help="cap on the training phase alone, minutes (default 27: a cached re-run stays "
                        "under 30 min; --quick 10)")
    t.add_argument("--threads", type=nonneg_int, default=0,
                   help="TensorFlow threads (0: $TF_NUM_INTRAOP_THREADS, else all cores)")
    o = p.add_argument_group("output")
    o.add_argument("--out", type=Path, default=ROOT / "out" / "training",
                   help="directory for the .tflite model, report.json and confusion.png")
    o.add_argument("--clips", type=Path, default=None,
                   help="also write a few test-split WAV clips (held-out voices) to this directory")
    o.add_argument("--quick", action="store_true", help="tiny data set and model (for tests)")
    o.add_argument("--quiet", action="store_true", help="no progress bars")
    o.add_argument("--verbose", action="store_true", help="tracebacks on unexpected errors")
    a = p.parse_args(argv)
    q = a.quick
    for name, default, quick in (("width", 64, 32), ("blocks", 5, 2), ("epochs", 80, 40), ("patience", 8, 40),
                                 ("time_budget", 58.0, 10.0), ("train_minutes", 27.0, 10.0), ("dropout", 0.1, 0.0),
                                 ("label_smoothing", 0.1, 0.0), ("time_shift", 3, 0), ("time_masks", 2, 0),
                                 ("feature_masks", 1, 0),
                                 ("batch_size", 100, 32)):
        if getattr(a, name) is None:
            setattr(a, name, quick if q else default)
    if a.min_lr > a.lr:
        p.error(f"--min-lr {a.min_lr:g} is above --lr {a.lr:g}")
    if a.data_dir is not None and not a.data_dir.is_dir():
        p.error(f"--data-dir {a.data_dir}: not a directory")
    return a


class Phases:
    """Wall-clock time of each phase, printed as it ends."""

    def __init__(self):
        self.t0 = time.time()
        self.times = {}

    def run(self, name, fn, *args, **kw):
        t = time.time()
        out = fn(*args, **kw)
        self.times[name] = round(time.time() - t, 1)
        print(f"[time] {name}: {self.times[name]:.1f} s", flush=True)
        return out

    @property
    def total(self):
        return round(time.time() - self.t0, 1)


# ------------------------------------------------------------------------------------------------
# data

def synth_config(a):
    from training import synth
    kw = dict(QUICK_SYNTH) if a.quick else {}
    if a.engines is not None:
        kw["engines"] = a.engines
        if a.held_out_engines is None:
            kw["held_out_engines"] = tuple(n for n in synth.SynthConfig().held_out_engines if n in a.engines)
    if a.held_out_engines is not None:
        kw["held_out_engines"] = a.held_out_engines
    return synth.SynthConfig(seed=a.seed, takes_scale=a.takes_scale, augment=a.augment, **kw)


def load_data(a):
    from training import features as F
    if a.data_dir is not None:
        from training import speech_commands
        data = speech_commands.load(a.data_dir, seed=a.seed, cache_dir=a.cache_dir, quiet=a.quiet)
    else:
        from training import synth
        data = synth.load_or_generate(synth_config(a), a.cache_dir, quiet=a.quiet, workers=a.workers)
    for s in ("train", "val", "test"):
        if len(data[s]["labels"]) == 0:
            raise TrainingError(f"the {s} split is empty")
    F.quant(a.features)   # fails early (and clearly) if the front-end is missing
    return data


def eval_splits(data):
    """The evaluation sets present, in report order (val first: the only one used for choices)."""
    order = ("val", "test", "test_engine", "val_clean", "test_clean", "test_engine_clean")
    return [s for s in order if s in data and len(data[s]["labels"])]


def check_speaker_split(data):
    """No speaker of train in any evaluation set, and no engine of test_engine in train/val."""
    splits = ["train"] + eval_splits(data)
    sets = {s: set(data[s]["speakers"].tolist()) - {""} for s in splits}
    shared = set()
    for s in splits[1:]:
        shared |= sets["train"] & sets[s]
    if shared:
        raise TrainingError(f"speakers in both training and validation/test: {sorted(shared)[:5]}")
    if "engines" in data["train"] and "test_engine" in data:
        seen = set(data["train"]["engines"].tolist()) | set(data["val"]["engines"].tolist())
        leak = (set(data["test_engine"]["engines"].tolist()) - {""}) & seen
        if leak:
            raise TrainingError(f"held-out engine(s) {sorted(leak)} also in train/val")
    return {s: len(v) for s, v in sets.items()}


def run(a):
    import numpy as np
    # Every output is checked writable before the long phases (a bad --out is not found after training).
    check_writable_dir(a.out, "--out")
    if a.out.resolve() == a.cache_dir.resolve() or (a.clips is not None and a.clips.resolve() in
                                                    (a.out.resolve(), a.cache_dir.resolve())):
        raise TrainingError("--out, --clips and --cache-dir must be different directories "
                            "(the cache is keyed files the outputs would mix with)")
    check_writable_dir(a.cache_dir, "--cache-dir")
    if a.clips is not None:
        check_writable_dir(a.clips, "--clips")
    ph = Phases()
    if a.data_dir is None:
        from training import synth
        synth.check_engines(synth_config(a))   # a missing espeak-ng / bad engine list before anything else
    data = ph.run("data", load_data, a)
    speakers = check_speaker_split(data)
    from training import features as F
    from training.report import accuracy, confusion, per_class, plot_confusion, write_json
    fe_quant = F.quant(a.features)
    data_key = data["info"].get("key", "data")
    ev = eval_splits(data)
    qf, finfo = ph.run("features", F.load_or_compute, data, data_key, a.features, a.cache_dir,
                       ["train"] + ev, quiet=a.quiet, workers=a.workers)
    x = {s: F.dequantize(qf[s], *fe_quant) for s in qf}
    y = {s: data[s]["labels"] for s in qf}

    threads = setup_tf(a.threads)
    import tensorflow as tf
    model = build_model(a, x["train"].shape[1:])
    from training.dscnn import count_macs
    print(f"[model] DS-CNN {a.blocks} blocks x {a.width} filters, {model.count_params()} parameters, "
          f"{count_macs(model) / 1e6:.2f} M MACs; input {x['train'].shape[1:]} ({a.features}); "
          f"{len(y['train'])} training clips; TF {tf.__version__}, {threads} thread(s)", flush=True)
    # what is left of the run's budget, less a reserve for export and evaluation (tflite-micro runs
    # ~2 ms per clip for the MLPerf model; the converter takes ~10-20 s)
    n_eval = sum(len(y[s]) for s in ev)
    reserve = 30 + 0.004 * n_eval * count_macs(model) / 2.66e6
    seconds = max(60.0, min(a.train_minutes * 60, a.time_budget * 60 - ph.total - reserve))
    print(f"[train] up to {a.epochs} epochs, batch {a.batch_size}; training time budget {seconds:.0f} s "
          f"(run budget {a.time_budget:.1f} min)", flush=True)
    tinfo = ph.run("train", train, a, model, x["train"], y["train"], x["val"], y["val"], seconds)
    tinfo["time_budget_s"] = round(seconds, 1)

    a.out.mkdir(parents=True, exist_ok=True)
    int8_path = a.out / MODEL_NAME
    rep = representative_set(x["train"], y["train"], 600 if not a.quick else 120, a.seed, *fe_quant)
    from training.export import export_int8
    ph.run("export", export_int8, model, rep, int8_path, labels=LABELS)
    in_q, out_q = tflite_io_quant(int8_path)
    match = bool(np.float32(in_q[0]) == np.float32(fe_quant[0]) and in_q[1] == fe_quant[1])
    print(f"[export] {int8_path} ({int8_path.stat().st_size} bytes); input quant {in_q} vs front-end "
          f"{fe_quant}: {'exact match' if match else 'MISMATCH (features are requantized)'}", flush=True)

    def evaluate():
        res = {}
        for s in ev:
            pf = np.argmax(model.predict(x[s], batch_size=256, verbose=0), axis=1)
            pq = int8_predict(int8_path, qf[s], fe_quant, in_q, quiet=a.quiet, desc=f"int8 {s}")
            res[s] = {"float": pf, "int8": pq}
        return res

    preds = ph.run("eval", evaluate)
    acc = {s: {k: round(accuracy(y[s], p), 4) for k, p in preds[s].items()} for s in preds}
    cm = {k: confusion(y["test"], preds["test"][k], len(LABELS)) for k in ("float", "int8")}
    table = split_table(y, preds, data, ev)
    print_table(table)
    held_out = list(data["info"].get("held_out_engines", []))
    accept = acceptance(table, held_out) if a.data_dir is None else {}
    for name, r in accept.items():
        print(f"[accept] {name:<24} int8 {100 * r['int8']:6.2f}% (required {100 * r['required']:.0f}%, "
              f"goal {100 * r['goal']:.0f}%): {'goal' if r['pass_goal'] else 'required' if r['pass_required'] else 'FAIL'}")
    print(f"[eval] test ({len(y['test'])} clips, {speakers['test']} held-out voices): "
          f"float {100 * acc['test']['float']:.2f}%  int8 {100 * acc['test']['int8']:.2f}%  "
          f"(val float {100 * acc['val']['float']:.2f}%, int8 {100 * acc['val']['int8']:.2f}%)", flush=True)

    clips = None
    if a.clips is not None:
        clips = ph.run("clips", write_clips, data, a.clips, int8_path, a.features, fe_quant, in_q, a.seed)
        ok = sum(c["label"] == c["predicted_int8"] for c in clips)
        print(f"[clips] {len(clips)} WAV clips in {a.clips} ({ok} classified correctly by the int8 model)")

    title = (f"int8 DS-CNN ({a.features}), test split: {100 * acc['test']['int8']:.1f}% "
             f"({len(y['test'])} clips, held-out voices)")
    plot_confusion(cm["int8"], LABELS, a.out / "confusion.png", title)
    info = {k: v for k, v in data["info"].items() if k not in ("config",)}
    report = {
        "command": "python training/train.py " + " ".join(sys.argv[1:]),
        "labels": LABELS,
        "data": {"source": "speech_commands" if a.data_dir else "synthetic_multi_engine",
                 "sizes": {s: int(len(y[s])) for s in y},
                 "per_class": {s: np.bincount(y[s], minlength=len(LABELS)).tolist() for s in y},
                 "speakers": speakers, "info": info,
                 "config": data["info"].get("config")},
        "features": {"mode": a.features, "shape": list(qf["train"].shape[1:]), "scale": fe_quant[0],
                     "zero_point": fe_quant[1], **finfo},
        "model": {"file": MODEL_NAME, "bytes": int_path_size(int8_path), "blocks": a.blocks, "width": a.width,
                  "params": int(model.count_params()), "macs": count_macs(model),
                  "input_quant": in_q, "output_quant": out_q, "input_quant_matches_frontend": match},
        "training": {k: v for k, v in tinfo.items()} | {
            "batch_size": a.batch_size, "lr": a.lr, "lr_schedule": a.lr_schedule, "min_lr": a.min_lr, "max_epochs": a.epochs, "patience": a.patience,
            "dropout": a.dropout, "label_smoothing": a.label_smoothing,
            "augmentation": {"time_shift": a.time_shift, "time_masks": a.time_masks, "mask_frames": a.mask_frames,
                             "feature_masks": a.feature_masks, "mask_features": a.mask_features},
            "bn_momentum": a.bn_momentum, "run_budget_min": a.time_budget, "train_minutes": a.train_minutes,
            "threads": threads, "seed": a.seed},
        "accuracy": acc,
        "accuracy_by_engine": table,
        "acceptance": accept,
        "per_class_test_int8": per_class(cm["int8"], LABELS),
        "confusion_test": {k: v.tolist() for k, v in cm.items()},
        "agreement_float_int8_test": round(float(np.mean(preds["test"]["float"] == preds["test"]["int8"])), 4),
        "clips": clips,
        "times_s": dict(ph.times, total=ph.total),
        "machine": {"cpus": os.cpu_count(), "load_avg_at_end": [round(v, 2) for v in os.getloadavg()],
                    "python": platform.python_version(), "tensorflow": tf.__version__,
                    "numpy": np.__version__, "git": _git_rev()},
    }
    write_json(report, a.out / "report.json")
    print(f"[report] {a.out / 'report.json'}, {a.out / 'confusion.png'}")
    print("[time] " + ", ".join(f"{k} {v:.1f} s" for k, v in ph.times.items()) + f"; total {ph.total:.1f} s"
          f" ({ph.total / 60:.1f} min)")
    return report


def int_path_size(p):
    return int(Path(p).stat().st_size)


def _git_rev():
    try:
        return subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, timeout=10).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def main(argv=None) -> int:
    a = parse_args(argv)
    return run_main(lambda args: run(args) and None, a)


if __name__ == "__main__":
    sys.exit(main())
