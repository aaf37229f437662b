#!/usr/bin/env bash
# Set everything up (idempotent) and run the test suite; prints the time of each step.
# Extra arguments go to pytest (e.g. -k soc, --runslow).
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
t0=$(date +%s)
bash scripts/setup.sh || exit 1
t1=$(date +%s)
echo "setup time: $((t1 - t0)) s"
.venv/bin/python -m pytest "$@"
rc=$?
t2=$(date +%s)
echo "test time: $((t2 - t1)) s"
if [ $rc -eq 5 ]; then
  echo "error: pytest collected no tests" >&2
fi
exit $rc
