"""The simulated UART on a TCP socket: a run directory whose sim_config.js swaps LiteX's
serial2console for our flow-controlled serial2tcp_fc module (soc/sim_modules), and a streamer that
sends the clip(s) as soc/stream_wav.py does to a board and feeds the firmware's replies to the console.
"""
from __future__ import annotations

import json
import shutil
import socket
import sys
import threading
import time
from pathlib import Path

from soc.flow import ROOT, BuildError, log, proc

SIM_MODULES = ROOT / "soc" / "sim_modules"
UART_READY = "audio: waiting for a UART stream"   # firmware/src/audio_src.c
CONNECT_TIMEOUT_S = 120


def uart_run_dir(gw_dir: Path):
    """(run directory, TCP port): the gateware's files (linked), the serial2tcp_fc module, and a
    sim_config.js that puts the UART on a free local port."""
    import litex.build.sim as litex_sim
    mods = gw_dir / "modules"
    so = mods / "serial2tcp_fc.so"
    src = SIM_MODULES / "serial2tcp_fc" / "serial2tcp_fc.c"
    if not so.exists() or so.stat().st_mtime < src.stat().st_mtime:
        core = Path(litex_sim.__file__).parent / "core"
        r = proc.run(["gcc", "-Wall", "-O2", "-fPIC", "-shared", f"-I{core}", "-o", str(so), str(src), "-levent"])
        if r.returncode != 0:
            print(r.stdout, file=sys.stderr)
            raise BuildError("could not build the serial2tcp_fc simulation module (gcc output above; "
                             "it needs libevent-dev and libjson-c-dev: run scripts/setup.sh)")
    run = gw_dir / "uart-run"
    if run.exists():
        shutil.rmtree(run)
    run.mkdir()
    for f in gw_dir.iterdir():
        if f.name not in ("sim_config.js", "uart-run"):
            (run / f.name).symlink_to(f)
    with socket.socket() as sk:                 # a free port on this machine
        sk.bind(("127.0.0.1", 0))
        port = sk.getsockname()[1]
    config = json.loads((gw_dir / "sim_config.js").read_text())
    for entry in config:
        if entry.get("module") == "serial2console":
            entry["module"] = "serial2tcp_fc"
            entry["args"] = {"port": port}
    (run / "sim_config.js").write_text(json.dumps(config, indent=2))
    return run, port


def stream_uart(port: int, samples, vsim, console):
    """Connect to the simulated UART, stream ``samples`` as soc/stream_wav.py does (frames, then the
    end-of-stream frame; TCP flow control paces it to the simulation), and feed the firmware's output
    to ``console``. Runs in a thread; returns when the simulation closes the socket."""
    from frontend.format import SAMPLE_RATE
    from soc.stream_wav import send_clip
    deadline = time.time() + CONNECT_TIMEOUT_S
    while True:
        try:
            sk = socket.create_connection(("127.0.0.1", port), timeout=5)
            break
        except OSError:
            if vsim.poll() is not None or time.time() > deadline:
                console.feed(b"stream: could not connect to the simulated UART\n")
                return
            time.sleep(0.2)
    sk.settimeout(None)

    def sender():
        # Like a user starting soc/stream_wav.py: once the firmware says it listens (bytes sent
        # before the UART is initialised would be lost at its FIFO reset).
        t_end = time.time() + CONNECT_TIMEOUT_S
        while not any(l.startswith(UART_READY) for l in list(console.lines)):
            if time.time() > t_end or vsim.poll() is not None:
                return
            time.sleep(0.05)
        try:
            sent, frames = send_clip(sk.sendall, samples)
            log(f"stream: sent {sent} samples ({sent / SAMPLE_RATE:.2f} s) in {frames} frames + end of stream")
        except OSError:
            pass

    threading.Thread(target=sender, daemon=True).start()
    try:
        while True:
            chunk = sk.recv(4096)
            if not chunk:
                break
            console.feed(chunk)
    except OSError:
        pass
    finally:
        sk.close()
