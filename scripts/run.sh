#!/usr/bin/env bash
# Set everything up (idempotent) and run the main job: keyword spotting in the Verilator SoC simulation.
# Extra arguments go to soc/build.py (e.g. --verbose).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/setup.sh
# The KWS demo: bundled model (models/*.tflite) on the bundled clips (models/clips/*.wav).
exec .venv/bin/python soc/build.py --board sim --app kws "$@"
