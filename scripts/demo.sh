#!/usr/bin/env bash
# The README's main job: installs the -dev packages if missing, builds, and runs the tiny default.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
swift build -c release --product kimi-sft 2>&1 | tail -n 3
BIN=.build/release/kimi-sft
"$BIN" --help
