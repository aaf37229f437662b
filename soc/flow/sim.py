"""Sim phase: the Verilator model runs the firmware; the UART goes to the terminal (or, with --audio
uart, to a TCP socket this process streams the clip into). Ends when the firmware writes LiteX's
sim_finish register after printing its exit status; ``timeout`` bounds a hung firmware. The simulator
runs in its own process group and is killed with the build (soc/flow/proc.py).
"""
from __future__ import annotations

import dataclasses
import resource
import subprocess
import sys
import threading
import time

from soc.flow import BuildError, log, proc
from soc.flow.console import EXIT_MARK, SIM_BANNER_RE, ConsoleLines


@dataclasses.dataclass(frozen=True)
class SimResult:
    code: int                   # the firmware's exit status
    lines: tuple                # its console lines
    detections: tuple           # [(label, conf, t s)]
    cycles: int | None          # simulated cycles (the firmware's counter at exit)
    wall_s: float


def run_sim(gw, timeout: float, verbose: bool, stream=None) -> SimResult:
    """Run ``gw``'s Verilator model. ``stream``: int16 samples to send over the simulated UART."""
    if not gw.vsim.exists():
        raise BuildError(f"no Verilator model at {gw.vsim}; rerun with --rebuild-gateware")
    uart = stream is not None
    port = None
    cwd = gw.dir
    if uart:
        from soc.flow.uart_stream import uart_run_dir
        cwd, port = uart_run_dir(gw.dir)
    console = ConsoleLines(verbose)
    sim_out = console if not uart else ConsoleLines(verbose)   # with uart: Verilator's own lines
    t0, cpu0 = time.time(), _children_cpu()
    with proc.group([str(gw.vsim)], cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT) as vsim:
        def pump():
            while True:
                chunk = vsim.stdout.read1(4096)
                if not chunk:
                    break
                sim_out.feed(chunk)
            sim_out.flush()

        threads = [threading.Thread(target=pump, daemon=True)]
        if uart:
            from soc.flow.uart_stream import stream_uart
            threads.append(threading.Thread(target=stream_uart, args=(port, stream, vsim, console), daemon=True))
        for t in threads:
            t.start()
        try:
            vsim.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill_group(vsim)
            for t in threads:
                t.join(2)
            raise BuildError(f"firmware did not finish within {timeout:g} s of simulation "
                             f"(last output: {console.last().strip()[:100]!r}); it may hang, or raise --timeout")
        for t in threads:
            t.join(5)
    wall, cpu = time.time() - t0, _children_cpu() - cpu0
    console.flush()
    if console.code is None:
        if uart and sim_out.lines:
            print("\n".join(l for l in sim_out.lines if not SIM_BANNER_RE.search(l))[-2000:], file=sys.stderr)
        raise BuildError(f"simulation ended (Vsim status {vsim.returncode}) without the firmware "
                         f"reporting {EXIT_MARK}<status>")
    if console.cycles:
        per_cpu = f", {console.cycles / cpu / 1e6:.2f} M per CPU-second of Vsim" if cpu > 0.05 else ""
        log(f"sim: {console.cycles / 1e6:.1f} M cycles simulated in {wall:.1f} s = "
            f"{console.cycles / wall / 1e6:.2f} M cycles/s{per_cpu}")
    return SimResult(console.code, tuple(console.lines), tuple(console.detections()), console.cycles, wall)


def _children_cpu() -> float:
    """CPU seconds of this process's reaped children (Vsim, once it has exited)."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime
