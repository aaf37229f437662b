"""Shared pytest setup: repo root on sys.path, opt-in slow tests, printed seeds."""
import os
import sys
import zlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# Two cores are shared by everything: keep numeric libraries single-threaded inside tests.
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "TF_NUM_INTRAOP_THREADS",
            "TF_NUM_INTEROP_THREADS"):
    os.environ.setdefault(var, "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("NUMBA_CACHE_DIR", str(ROOT / ".cache" / "numba"))


def pytest_addoption(parser):
    parser.addoption("--runslow", action="store_true", default=False,
                     help="also run long checks marked @pytest.mark.slow")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--runslow"):
        return
    skip = pytest.mark.skip(reason="long check: run with --runslow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def seed(request):
    """A per-test random seed, printed so a failure can be replayed (KWS_SEED=N overrides)."""
    value = int(os.environ.get("KWS_SEED", "0")) or (zlib.crc32(request.node.nodeid.encode()) % (1 << 31))
    print(f"\n[seed] {request.node.nodeid}: KWS_SEED={value}")
    return value
