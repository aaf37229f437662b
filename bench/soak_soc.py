"""Soak test of the KWS app in the Verilator SoC (hardware front-end + accelerator + CPU softmax +
detector) on minutes of generated audio, every inference compared with the golden pipeline.

The audio is bench/soak_native.py's (TTS words, silence, noise, clipping, DC, level ramps; the same
--seed gives the same audio). By default the whole clip is ONE continuous stream in ONE Verilator run
of `soc/build.py --board sim --app kws --wav clip.wav --gap 0 --trace-outputs`: the simulated board's
main RAM (1 MiB in boards/sim.py: ~32 s of audio) is enlarged for this run only, to the next power of
two that holds the clip (4 MiB for 2 min), by running soc/build.py with a SimBoard subclass whose
main_ram_size is that; its gateware goes to its own --output-dir (build/soak/soc/sim-ram<N>k), so the
project's sim builds and their caches are untouched. Everything else (CPU, front-end, accelerator,
firmware) is the sim board's. --piece-s N instead splits the audio into N-second pieces (<= 32), each a
fresh boot of the standard sim SoC. --audio uart streams the whole clip over the UART (~290k simulated
cycles per 20 ms hop against ~90k from main RAM: slow).

Per piece: every `out <n> ...` line (the int8 softmax output of inference n) against
tests/test_soc_kws.py's golden_kws_outputs (golden frames into a ring that starts as the silence
frame, golden model on the ring), the number of inferences, the detections (`detect:` lines) against
the detector's definition on the golden outputs, the firmware's exit status.

    nice -n 10 flock /tmp/kws-heavy.lock .venv/bin/python bench/soak_soc.py --minutes 2
"""
from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
import soak_native as SN  # noqa: E402

BUILD = ROOT / "build" / "soak" / "soc"
SR, HOP = SN.SR, SN.HOP


# soc/build.py on a sim board whose main RAM is argv[1] bytes (the rest of argv: soc/build.py's).
BIG_RAM_BUILD = """
import sys
import boards
from boards.sim import SimBoard
class SoakSimBoard(SimBoard):
    main_ram_size = int(sys.argv[1])
def get_board(name, variant=None, toolchain=None):
    if name != "sim":
        raise ValueError("soak_soc: sim only")
    return SoakSimBoard()
boards.get_board = get_board
from soc import build
sys.exit(build.main(sys.argv[2:]))
"""


def ram_bytes_for(n_samples: int) -> int:
    from soc.audio import HEADER_WORDS
    need = 4 * (HEADER_WORDS + (n_samples + 1) // 2)
    size = 1 << 20
    while size < need:
        size <<= 1
    return size


def golden_pipeline(model, mode, audio, first_kw):
    from accel import golden_fast as golden         # == accel.golden.run (tests/test_accel_golden_batch.py)
    from frontend import format as F
    from frontend import golden as G
    frames = G.features(audio, mode)
    silence = G.features(np.zeros(F.WINDOW_SAMPLES, np.int16), mode)[0]
    wins = []
    for i in range(1, len(frames) + 1):
        wins.append(np.stack([frames[j] if j >= 0 else silence for j in range(i - F.FRAMES_PER_WINDOW, i)]))
    outs = []
    for s in range(0, len(wins), 512):
        outs.append(golden.run(model, np.stack(wins[s:s + 512])[..., None]).reshape(len(wins[s:s + 512]), -1))
    outs = np.concatenate(outs) if outs else np.zeros((0, int(np.prod(model.output.shape))), np.int8)
    det = SN.RefDetector(outs.shape[1], SN.SMOOTH, SN.THRESHOLD, SN.REFRACTORY, first_kw)
    hits = [det.step(o)[0] for o in outs]
    return outs, hits


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--minutes", type=float, default=2.0, help="minutes of audio (default 2)")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--audio", choices=["mem", "uart"], default="mem",
                    help="mem: the clip in (enlarged) main RAM (default); uart: streamed over the UART")
    ap.add_argument("--piece-s", type=float, default=0.0,
                    help="mem: split into runs of this many seconds (<= 32) in the standard sim SoC; "
                         "0 (default): one continuous run")
    ap.add_argument("--timeout", type=float, default=3600.0, help="wall seconds per simulation run")
    ap.add_argument("--stop-at", metavar="HH:MM", default=None,
                    help="UTC wall-clock time: stop the simulation then and compare the inferences made so far")
    ap.add_argument("--compare-log", type=Path, default=None,
                    help="compare a saved run's output (a piece log of one continuous run, e.g. one stopped "
                         "by a signal) with the golden pipeline instead of simulating")
    a = ap.parse_args(argv)
    stop_at = None
    if a.stop_at is not None:
        try:
            stop_at = SN.utc_deadline(a.stop_at)
        except ValueError:
            print(f"error: --stop-at {a.stop_at!r}: expected HH:MM (UTC)", file=sys.stderr)
            return 2
    if not (a.minutes > 0 and (a.piece_s == 0 or 1 <= a.piece_s <= 32) and a.timeout > 0):
        print("error: --minutes must be > 0, --piece-s 0 or in [1, 32], --timeout > 0", file=sys.stderr)
        return 2
    if a.compare_log and (a.piece_s or a.audio != "mem" or not a.compare_log.is_file()):
        print("error: --compare-log takes the log file of one continuous --audio mem run (--piece-s 0)",
              file=sys.stderr)
        return 2
    import soundfile as sf

    from accel.tflite_import import load_tflite
    from frontend import format as F
    model = load_tflite(SN.MODEL)
    mode = next(m for m in ("logmel", "pcen", "mfcc") if np.isclose(F.output_quant(m)[0], model.input.scale)
                and F.output_quant(m)[1] == model.input.zero_point)
    labels = SN.MODEL.with_suffix(".labels.txt").read_text().split()
    first_kw = next(i for i, l in enumerate(labels) if not l.startswith("_"))
    bank = SN.word_bank(a.seed)
    BUILD.mkdir(parents=True, exist_ok=True)
    total = int(a.minutes * 60 * SR) // HOP * HOP
    audio = np.concatenate([SN.make_chunk(bank, a.seed, 1000, c, 60.0)[0] for c in range(int(np.ceil(a.minutes)))])
    audio = audio[:total]
    piece = total if (a.audio == "uart" or a.piece_s == 0) else int(a.piece_s * SR) // HOP * HOP
    big_ram = ram_bytes_for(total) if (a.audio == "mem" and piece == total) else None
    t_all = time.time()
    tot = dict(inferences=0, mismatches=0, missing=0, det_soc=0, det_gold=0, det_diff=0, cycles=0, sim_s=0.0)
    for k, s in enumerate(range(0, total, piece)):
        x = audio[s:s + piece]
        wav = BUILD / f"piece{k}.wav"
        sf.write(wav, x, SR, subtype="PCM_16")
        cmd = ["--board", "sim", "--app", "kws", "--wav", str(wav), "--gap", "0", "--trace-outputs",
               "--timeout", str(a.timeout)]
        if big_ram is not None and big_ram > (1 << 20):
            cmd = [sys.executable, "-c", BIG_RAM_BUILD, str(big_ram)] + cmd + [
                "--output-dir", str(BUILD / f"sim-ram{big_ram // 1024}k")]
        else:
            cmd = [sys.executable, str(ROOT / "soc" / "build.py")] + cmd
        if a.audio == "uart":
            cmd += ["--audio", "uart"]
        t0 = time.time()
        log_path = BUILD / f"piece{k}.log"
        if a.compare_log:                                   # a saved run's output instead of a new run
            log_path = a.compare_log
            stopped = "KWS_EXIT=" not in log_path.read_text(errors="replace")
            rc = 0
        else:
            # The run's output goes to its log as it comes, so a run stopped by --stop-at still has every
            # inference it made up to then (compared below as a partial run).
            with log_path.open("w") as logf:
                p = subprocess.Popen(cmd, cwd=ROOT, stdout=logf, stderr=subprocess.STDOUT,
                                     env=dict(os.environ, PYTHONUNBUFFERED="1"))
                stopped = False
                while p.poll() is None:
                    if stop_at is not None and time.time() > stop_at:
                        p.send_signal(signal.SIGTERM)        # soc/build.py takes the simulator down with it
                        p.wait(60)
                        stopped = True
                        break
                    time.sleep(2)
            rc = p.returncode
        wall = time.time() - t0
        out = log_path.read_text(errors="replace")
        if rc != 0 and not stopped:
            print(f"error: piece {k}: soc/build.py exit status {rc}: {out.strip()[-500:]}",
                  file=sys.stderr)
            return 2
        got = {int(m.group(1)): np.array(m.group(2).split(), dtype=int)
               for m in re.finditer(r"^out (\d+)((?: -?\d+)+)$", out, re.M)}
        gold, hits = golden_pipeline(model, mode, x, first_kw)
        n_exp = len(gold)
        if stopped:                                         # compare what came, up to the last inference seen
            n_exp = max(got, default=0)
            print(f"piece {k}: stopped ({'log ' + str(a.compare_log) if a.compare_log else '--stop-at ' + str(a.stop_at)}) after {wall:.0f} s: inferences 1..{n_exp} "
                  f"of {len(gold)} came out", flush=True)
            tot["stopped"] = True
        mism = sum(1 for i, v in got.items() if not (1 <= i <= len(gold) and np.array_equal(v, gold[i - 1])))
        missing = n_exp - len(got)
        t_end = (n_exp + 1) * 1000 * HOP // SR
        det_soc = [(m.group(1), int(m.group(2))) for m in re.finditer(r"^detect: (\S+) conf=\d+/255 t=(\d+)ms",
                                                                       out, re.M)]
        # inference i (from 1) runs after hop i + 1: t = (i + 1) * 20 ms
        det_gold = [(labels[h], (i + 2) * 1000 * HOP // SR) for i, h in enumerate(hits) if h >= 0
                    and (i + 2) * 1000 * HOP // SR <= t_end]
        det_soc = [d for d in det_soc if d[1] <= t_end]
        cyc = re.search(r"sim: ([\d.]+) M cycles simulated in ([\d.]+) s", out)
        skipped = re.search(r"(\d+) inference\(s\) skipped", out)
        cont = re.search(r"audio: clip in main RAM, (\d+) samples", out)
        print(f"piece {k}: {len(x) / SR:.1f} s audio (firmware: {cont.group(1) if cont else '?'} samples in main "
              f"RAM{f' of {big_ram // 1024} KiB' if big_ram else ''}), {len(got)} inferences ({len(gold)} golden), {mism} mismatches, "
              f"{missing} missing, detections SoC {len(det_soc)} / golden {len(det_gold)} "
              f"({'same' if det_soc == det_gold else 'DIFFERENT'}), skipped {skipped.group(1) if skipped else '?'}, "
              f"{cyc.group(1) if cyc else '?'} M cycles, {wall:.0f} s wall", flush=True)
        tot["inferences"] += len(got)
        tot["mismatches"] += mism
        tot["missing"] += missing
        tot["det_soc"] += len(det_soc)
        tot["det_gold"] += len(det_gold)
        tot["det_diff"] += det_soc != det_gold
        if cyc:
            tot["cycles"] += float(cyc.group(1))
            tot["sim_s"] += float(cyc.group(2))
    wall = time.time() - t_all
    bad = tot["mismatches"] + tot["missing"] + tot["det_diff"]
    if tot.get("stopped"):
        print(f"soak_soc: PARTIAL (the run was stopped): "
              f"{tot['inferences'] * HOP / SR / 60:.2f} min of the {total / SR / 60:.2f} min stream simulated")
    print(f"soak_soc: {total / SR / 60:.2f} min of audio ({'one UART stream' if a.audio == 'uart' else (f'one continuous stream, one run, {big_ram // 1024} KiB main RAM' if big_ram else f'{-(-total // piece)} run(s) of <= {piece / SR:.0f} s in main RAM')}), "
          f"{tot['inferences']} inferences compared, {tot['mismatches']} mismatches, {tot['missing']} missing, "
          f"{tot['det_soc']} detections (golden {tot['det_gold']}, {tot['det_diff']} piece(s) differ), "
          f"{tot['cycles']:.0f} M cycles simulated in {tot['sim_s']:.0f} s, {wall / 60:.1f} min wall")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
