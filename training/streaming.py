"""Streaming evaluation as the product runs: a long generated stream, the SoC's per-hop pipeline, FA/h and FRR.

    python -m training.streaming --model models/dscnn_int8.tflite --hours 1 --out reports/streaming

**The stream** (training/stream_gen.py :func:`generate`, deterministic from ``--seed``, cached in
``.cache/streaming/``): speech, noise and keywords from held-out voices at known times; its docstring
says how it is made.

**The pipeline** is :mod:`kws.pipeline`: golden front-end, ring started with silence, one golden int8
inference per 20 ms hop (batched, over ``--jobs`` processes), TFLM's int8 softmax, and the firmware's
detector (firmware/src/kws_detect.c compiled natively) with the SoC's settings; the softmax outputs are
cached per (stream, model), so a threshold sweep runs the detector only.

**Metrics** (:func:`score`): a detection is *correct* when a keyword of the same label ended at most
``post_s`` (1.5 s) before it (detection time in [end, end + 1.5 s]); the first correct detection of an
occurrence is its hit, later ones in the same window are *duplicates* (reported, not counted as false
accepts); every other detection (wrong label, or no keyword ending in the 1.5 s before it) is a *false
accept*. FA/h = false accepts / stream hours; FRR = occurrences with no hit / occurrences. The operating
point is the threshold with the lowest FRR among those with FA/h <= ``--max-fa-per-hour`` (2; ties: the
fewest FA/h, then the highest threshold), at the given smoothing and refractory time.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

from training.labels import KEYWORDS  # noqa: F401  (re-exported with the stream's names)
from training.stream_gen import CACHE, Stream, StreamConfig, generate, held_out_voices  # noqa: F401
from training.synth import sentence_words  # noqa: F401  (re-exported: the stream's vocabulary)


# ---- the pipeline over the stream ---------------------------------------------------------------------

_WORK: dict = {}


def _worker_init():
    import signal
    signal.signal(signal.SIGTERM, signal.SIG_DFL)     # the pool ends its workers with SIGTERM
    signal.signal(signal.SIGINT, signal.SIG_IGN)      # Ctrl-C is the parent's to handle


def _infer_chunk(bounds):
    from kws import pipeline as P
    a, b = bounds
    return P.infer(_WORK["model"], _WORK["feats"], _WORK["frames"][a:b])


def softmax_outputs(model, samples, jobs: int = 2, progress=True, cache_key=None) -> tuple[np.ndarray, np.ndarray, dict]:
    """(t_ms, int8 softmax outputs, timings) of the SoC pipeline on ``samples``; cached per (stream, model)."""
    from kws import pipeline as P
    timings = {}
    frames, t_ms = P.inference_times(len(samples))
    path = None
    if cache_key:
        mh = hashlib.sha256(Path(model.path).read_bytes()).hexdigest()[:16]
        path = CACHE / f"{cache_key}-{mh}.probs.npy"
        if path.exists():
            probs = np.load(path)
            if len(probs) == len(frames):
                return t_ms, probs, dict(cached=True)
    t0 = time.time()
    feats = P.features(samples, model.mode)
    timings["features_s"] = round(time.time() - t0, 2)
    t0 = time.time()
    chunk = 2000
    bounds = [(a, min(a + chunk, len(frames))) for a in range(0, len(frames), chunk)]
    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(total=len(frames), desc="golden int8", unit="hop", leave=False)
    parts = []
    if jobs > 1 and len(bounds) > 1:
        import multiprocessing as mp
        _WORK.update(model=model, feats=feats, frames=frames)
        try:
            with mp.get_context("fork").Pool(jobs, _worker_init) as pool:
                for (a, b), out in zip(bounds, pool.imap(_infer_chunk, bounds)):
                    parts.append(out)
                    if bar:
                        bar.update(b - a)
        finally:
            _WORK.clear()
    else:
        for a, b in bounds:
            parts.append(P.infer(model, feats, frames[a:b]))
            if bar:
                bar.update(b - a)
    if bar:
        bar.close()
    probs = np.concatenate(parts) if parts else np.zeros((0, model.n_classes), np.int8)
    dt = time.time() - t0
    timings.update(inference_s=round(dt, 1), inferences=len(frames), hops_per_s=round(len(frames) / max(dt, 1e-9), 1),
                   jobs=jobs)
    if path is not None:
        CACHE.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npy")
        np.save(tmp, probs)
        tmp.replace(path)
    return t_ms, probs, timings


def score(detections, truth, seconds: float, post_s: float = 1.5, pre_s: float = 0.0) -> dict:
    """Count hits, false accepts and false rejects.

    ``detections``: [(label, conf, t_ms)]; ``truth``: [{label, end}] (s). A detection at t is correct for
    an occurrence of its label with end - pre_s <= t <= end + post_s; the first correct detection is the
    occurrence's hit, later ones duplicates; any other detection is a false accept."""
    ends = np.array([float(k["end"]) for k in truth])
    labels = [k["label"] for k in truth]
    hit = np.zeros(len(truth), bool)
    fa, dup, fa_list = 0, 0, []
    for label, conf, t_ms in detections:
        t = t_ms / 1000.0
        cand = [i for i in np.flatnonzero((ends - pre_s <= t + 1e-9) & (t <= ends + post_s + 1e-9)) if labels[i] == label]
        if not cand:
            fa += 1
            fa_list.append((label, conf, t_ms))
        elif all(hit[i] for i in cand):
            dup += 1
        else:
            hit[next(i for i in cand if not hit[i])] = True
    n = len(truth)
    hours = seconds / 3600.0
    return dict(keywords=n, hits=int(hit.sum()), false_rejects=int(n - hit.sum()),
                frr=float((n - hit.sum()) / n) if n else 0.0, false_accepts=fa,
                fa_per_hour=float(fa / hours) if hours > 0 else 0.0, duplicates=dup, fa_detections=fa_list,
                missed=[int(i) for i in np.flatnonzero(~hit)])


def sweep(model, t_ms, probs, truth, seconds, thresholds, smooth_hops=25, refractory=1.0, post_s=1.5) -> list:
    from kws import pipeline as P
    rows = []
    for thr in thresholds:
        s = P.Settings(float(thr), int(smooth_hops), float(refractory))
        dets = P.detections_of(model, probs, t_ms, s)
        r = score(dets, truth, seconds, post_s)
        r.pop("fa_detections")
        r.pop("missed")
        rows.append(dict(threshold=round(float(thr), 4), c_threshold=s.c_threshold(), detections=len(dets), **r))
    return rows


def operating_point(rows, max_fa_per_hour: float = 2.0):
    ok = [r for r in rows if r["fa_per_hour"] <= max_fa_per_hour]
    if not ok:
        return None
    return min(ok, key=lambda r: (r["frr"], r["fa_per_hour"], -r["threshold"]))


def det_plot(rows, path, title, chosen=None, default=None):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fa = np.array([r["fa_per_hour"] for r in rows])
    frr = np.array([r["frr"] for r in rows]) * 100
    fig, ax = plt.subplots(figsize=(6.4, 4.8))
    ax.plot(fa, frr, "o-", ms=3, label="threshold sweep")
    for r in rows[::2]:
        ax.annotate(f"{r['threshold']:.2f}", (r["fa_per_hour"], r["frr"] * 100), fontsize=6,
                    xytext=(3, 3), textcoords="offset points")
    if default:
        ax.plot(default["fa_per_hour"], default["frr"] * 100, "s", color="tab:orange", ms=8, mfc="none",
                label=f"SoC default (threshold {default['threshold']:.2f})")
    if chosen:
        ax.plot(chosen["fa_per_hour"], chosen["frr"] * 100, "*", color="tab:red", ms=12,
                label=f"operating point (threshold {chosen['threshold']:.2f})")
    ax.axvline(2.0, color="gray", ls=":", lw=1)
    ax.axhline(10.0, color="gray", ls=":", lw=1)
    ax.set_xscale("symlog", linthresh=0.5)
    ax.set_xlim(left=0, right=max(10.0, float(fa.max(initial=0)) * 1.5))
    ax.set_ylim(-2, 102)
    ax.set_xlabel("false accepts per hour")
    ax.set_ylabel("false reject rate (%)")
    ax.set_title(title, fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def table(rows, chosen=None) -> str:
    lines = [f"{'threshold':>9} {'/255':>5} {'det':>5} {'hits':>5} {'FR':>4} {'FRR %':>6} {'FA':>4} {'FA/h':>6} {'dup':>4}"]
    for r in rows:
        mark = "  <- operating point" if chosen and r["threshold"] == chosen["threshold"] else ""
        lines.append(f"{r['threshold']:9.2f} {r['c_threshold']:5d} {r['detections']:5d} {r['hits']:5d} "
                     f"{r['false_rejects']:4d} {100 * r['frr']:6.1f} {r['false_accepts']:4d} "
                     f"{r['fa_per_hour']:6.2f} {r['duplicates']:4d}{mark}")
    return "\n".join(lines)


def diagnose(labels, t_ms, probs, truth, timeline, scored, post_s: float = 1.5) -> dict:
    """Where a detector point fails (``scored``: a :func:`score` result). Each false accept is put on its
    event: the last keyword, sentence, burst or pause that starts before it and ends at most 1 s before
    it, else the bed alone. Each keyword without a hit gets the class of highest mean output over
    [start, end + post_s]: what the model heard instead (``_silence_``: too quiet or masked for it)."""
    ev = [e for e in timeline if e[0] != "bed"]
    starts = np.array([e[1] for e in ev]) if ev else np.zeros(0)
    by_kind, sentences = {}, []
    for label, conf, tm in scored["fa_detections"]:
        ts = tm / 1000.0
        k = int(np.searchsorted(starts, ts + 0.1)) - 1
        e = ev[k] if k >= 0 and ts <= ev[k][2] + 1.0 else ["bed", 0, 0, ""]
        by_kind[e[0]] = by_kind.get(e[0], 0) + 1
        if e[0] == "sentence":
            sentences.append([label, round(ts, 2), e[3]])
    t = np.asarray(t_ms) / 1000.0
    heard = {}
    for i in scored["missed"]:
        m = (t >= truth[i]["start"]) & (t <= truth[i]["end"] + post_s)
        if m.any():
            c = labels[int(np.argmax(probs[m].astype(np.float64).mean(0)))]
            heard[c] = heard.get(c, 0) + 1
    return dict(false_accepts_by_event=dict(sorted(by_kind.items(), key=lambda kv: -kv[1])),
                missed_heard_as=dict(sorted(heard.items(), key=lambda kv: -kv[1])),
                false_accepts_in_sentences=sentences)


def evaluate(model_path, cfg: StreamConfig, out_dir, thresholds, smooth_hops=25, refractory=1.0, jobs=2,
             max_fa_per_hour=2.0, default_threshold=0.7, progress=True, cache=True, log=print) -> dict:
    from kws import pipeline as P
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    model = P.load_model(model_path)
    stream = generate(cfg, cache=cache, progress=progress)
    t_gen = time.time() - t0
    log(f"stream: {stream.seconds / 3600:.3f} h ({stream.seconds:.0f} s), {len(stream.truth)} keywords, "
        f"events {stream.events} ({t_gen:.1f} s)")
    t1 = time.time()
    t_ms, probs, timings = softmax_outputs(model, stream.samples, jobs, progress, stream.key if cache else None)
    t_inf = time.time() - t1
    if "hops_per_s" in timings:
        log(f"pipeline: {timings['inferences']} inferences in {timings['inference_s']} s "
            f"({timings['hops_per_s']} hops/s = {timings['hops_per_s'] / 50:.1f}x real time, {jobs} job(s)); "
            f"features {timings['features_s']} s")
    else:
        log("pipeline: softmax outputs from the cache")
    rows = sweep(model, t_ms, probs, stream.truth, stream.seconds, thresholds, smooth_hops, refractory)
    default = sweep(model, t_ms, probs, stream.truth, stream.seconds, [default_threshold], smooth_hops, refractory)[0]
    chosen = operating_point(rows, max_fa_per_hour)
    # the false accepts at the default and chosen points, for inspection
    fa_lists, diagnosis, dets = {}, {}, {}
    for name, r in (("default", default), ("chosen", chosen)):
        if r:
            dets[name] = P.detections_of(model, probs, t_ms, P.Settings(r["threshold"], smooth_hops, refractory))
            sc = score(dets[name], stream.truth, stream.seconds)
            fa_lists[name] = sc["fa_detections"]
            diagnosis[name] = diagnose(model.labels, t_ms, probs, stream.truth, stream.timeline, sc)
    per_engine = {}
    if chosen:
        for eng in sorted({k["engine"] for k in stream.truth}):
            tr = [k for k in stream.truth if k["engine"] == eng]
            r = score(dets["chosen"], tr, stream.seconds)
            per_engine[eng] = dict(keywords=r["keywords"], frr=round(r["frr"], 4))
    report = dict(model=str(model_path), mode=model.mode, stream=dict(config=dataclasses.asdict(cfg), key=stream.key,
                                                                      seconds=stream.seconds, keywords=len(stream.truth),
                                                                      events=stream.events),
                  detector=dict(smooth_hops=smooth_hops, refractory_s=refractory, post_s=1.5),
                  timings=dict(timings, generate_s=round(t_gen, 1), pipeline_s=round(t_inf, 1),
                               total_s=round(time.time() - t0, 1)),
                  sweep=rows, default=default, max_fa_per_hour=max_fa_per_hour, operating_point=chosen,
                  frr_per_engine_at_operating_point=per_engine,
                  false_accepts=fa_lists, diagnosis=diagnosis)
    (out_dir / "streaming.json").write_text(json.dumps(report, indent=1))
    det_plot(rows, out_dir / "det.png", f"{Path(model_path).name}: {stream.seconds / 3600:.2f} h stream ({cfg.voices} voices), "
             f"{len(stream.truth)} keywords, smoothing {smooth_hops} hops, refractory {refractory} s",
             chosen, default)
    return report


def _thresholds(text):
    import argparse
    try:
        a, b, s = (float(v) for v in text.split(":"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not LO:HI:STEP (e.g. 0.3:0.95:0.05)")
    if not (0 <= a <= b <= 1 and s > 0):
        raise argparse.ArgumentTypeError(f"{text}: need 0 <= LO <= HI <= 1 and STEP > 0")
    return [round(v, 6) for v in np.arange(a, b + s / 2, s)]


def main(argv=None):
    from kws import cli
    from kws import pipeline as P
    _, max_window = P.detector_limits()
    p = cli.ArgumentParser(prog="python -m training.streaming", description=__doc__.split("\n\n")[0])
    p.add_argument("--model", type=cli.input_file, default=None, help="int8 .tflite (default: the bundled model)")
    p.add_argument("--hours", type=cli.float_range(0, 24, lo_open=True), default=1.0, help="stream length")
    p.add_argument("--out", default="reports/streaming", help="output directory (streaming.json, det.png)")
    p.add_argument("--seed", type=cli.nonneg_int, default=1)
    p.add_argument("--jobs", type=cli.int_range(1, 64), default=min(2, os.cpu_count() or 1),
                   help="processes for the golden inferences")
    p.add_argument("--thresholds", type=_thresholds, default=_thresholds("0.3:0.95:0.05"), help="LO:HI:STEP")
    p.add_argument("--smooth-hops", type=cli.int_range(1, max_window), default=P.DEFAULT_SMOOTH_HOPS)
    p.add_argument("--refractory", type=cli.float_range(0, 60), default=P.DEFAULT_REFRACTORY)
    p.add_argument("--max-fa-per-hour", type=cli.nonneg_float, default=2.0)
    p.add_argument("--engines", nargs="+", default=None, help="engines to use (default: every available one)")
    p.add_argument("--voices", choices=("test", "val"), default="test",
                   help="test: the corpus's held-out test voices and engines (the reported figures); val: its "
                        "validation voices (a stream for choices such as the threshold)")
    p.add_argument("--no-cache", action="store_true", help="regenerate the stream and the model outputs")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.add_argument("--verbose", action="store_true")
    args = p.parse_args(argv)

    def body(args):
        from training import engines as E
        model = args.model or P.default_model()
        for e in args.engines or ():
            if e not in E.ENGINES:
                raise cli.UserError(f"--engines {e}: unknown engine (known: {', '.join(E.ENGINES)})")
        cli.check_writable_dir(args.out)
        cfg = StreamConfig(hours=args.hours, seed=args.seed, engines=tuple(args.engines) if args.engines else None,
                           voices=args.voices)
        for n in E.notes():
            print(f"note: {n}")
        rep = evaluate(model, cfg, args.out, args.thresholds, args.smooth_hops, args.refractory, args.jobs,
                       args.max_fa_per_hour, progress=not args.quiet, cache=not args.no_cache)
        print(table(rep["sweep"], rep["operating_point"]))
        d = rep["default"]
        print(f"SoC default threshold {d['threshold']:.2f}: FA/h {d['fa_per_hour']:.2f}, FRR {100 * d['frr']:.1f} %")
        g = rep["diagnosis"].get("default")
        if g:
            print(f"  false accepts by event: {g['false_accepts_by_event'] or 'none'}; "
                  f"missed keywords heard as: {g['missed_heard_as'] or 'none'}")
        c = rep["operating_point"]
        if c:
            print(f"operating point (lowest FRR with FA/h <= {args.max_fa_per_hour:g}): threshold {c['threshold']:.2f} "
                  f"({c['c_threshold']}/255): FA/h {c['fa_per_hour']:.2f}, FRR {100 * c['frr']:.1f} %")
        else:
            print(f"no threshold of the sweep reaches FA/h <= {args.max_fa_per_hour:g}")
        print(f"wrote {Path(args.out) / 'streaming.json'}, {Path(args.out) / 'det.png'} "
              f"({rep['timings']['total_s']} s)")
        return 0
    return cli.run_main(body, args)


if __name__ == "__main__":
    sys.exit(main())
