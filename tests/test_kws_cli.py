"""kws.cli: the one error path and the argument types every command line uses."""
import argparse
import os
import signal
import subprocess
import sys
import textwrap

import pytest

from kws import cli


def test_user_error_is_one_line(capsys):
    def body(_):
        raise cli.UserError("the thing is wrong;\n do this instead")
    assert cli.run_main(body, argparse.Namespace(verbose=False)) == 2
    err = capsys.readouterr().err
    assert err == "error: the thing is wrong; do this instead\n"


def test_unexpected_error_points_at_verbose(capsys):
    def body(_):
        raise ZeroDivisionError("division by zero")
    assert cli.run_main(body, argparse.Namespace(verbose=False)) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "ZeroDivisionError" in err and "--verbose" in err
    assert cli.run_main(body, argparse.Namespace(verbose=True)) == 3
    assert "Traceback" in capsys.readouterr().err


def test_os_error_names_the_file(capsys):
    def body(_):
        open("/nonexistent-dir/x")
    assert cli.run_main(body, argparse.Namespace()) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: No such file or directory: /nonexistent-dir/x")


def test_usage_error_is_one_line():
    code = textwrap.dedent("""
        from kws.cli import ArgumentParser, positive_int
        p = ArgumentParser()
        p.add_argument("--n", type=positive_int)
        p.parse_args(["--n", "0"])
    """)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("error: argument --n: 0 is out of range")


@pytest.mark.parametrize("typ,good,bad", [
    (cli.positive_int, ["1", "7"], ["0", "-3", "x", "1.5"]),
    (cli.nonneg_float, ["0", "2.5"], ["-0.1", "nan", "inf", "x"]),
    (cli.float_range(0, 1, lo_open=True), ["1", "0.5"], ["0", "1.01"]),
    (cli.int_range(1, 32), ["1", "32"], ["0", "33"]),
    (cli.pow2_bytes(16384, 1 << 20), ["16k", "131072", "0x20000", "1024K"], ["8k", "100000", "2048k", "k", "lots"]),
])
def test_argument_types(typ, good, bad):
    for g in good:
        typ(g)
    for b in bad:
        with pytest.raises(argparse.ArgumentTypeError):
            typ(b)


def test_check_writable(tmp_path):
    src = tmp_path / "in.npy"
    src.write_bytes(b"x")
    with pytest.raises(cli.UserError, match="also an input"):
        cli.check_writable(src, inputs=[src])
    with pytest.raises(cli.UserError, match="is a directory"):
        cli.check_writable(tmp_path)
    assert cli.check_writable(tmp_path / "new" / "out.npy") == tmp_path / "new" / "out.npy"
    # a parent that is a file, and a directory nobody can create files in (also root: found by trying)
    with pytest.raises(cli.UserError, match="not a writable directory"):
        cli.check_writable(src / "x.npy")
    with pytest.raises(cli.UserError, match="not a writable directory"):
        cli.check_writable("/proc/nope/y.npy")
    with pytest.raises(cli.UserError, match="not a writable directory"):
        cli.check_writable_dir("/proc/nope/d")
    assert sorted(q.name for q in tmp_path.iterdir()) == ["in.npy"]        # the checks leave nothing behind
    if os.geteuid() != 0:         # root may write anywhere
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o500)
        with pytest.raises(cli.UserError, match="not writable"):
            cli.check_writable(ro / "x.npy")


def test_sigterm_runs_cleanup_and_exits_143(tmp_path):
    """SIGTERM becomes an exception in the main thread, so `finally` blocks (child processes) run."""
    flag = tmp_path / "cleaned"
    code = textwrap.dedent(f"""
        import sys, time
        from kws.cli import run_main
        def body():
            try:
                print("ready", flush=True)
                time.sleep(60)
            finally:
                open({str(flag)!r}, "w").write("yes")
        sys.exit(run_main(body))
    """)
    p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "ready"
    p.send_signal(signal.SIGTERM)
    _, err = p.communicate(timeout=30)
    assert p.returncode == 143 and err.strip() == "error: terminated"
    assert flag.read_text() == "yes"
