#!/usr/bin/env bash
# The README's test command: installs the -dev packages if missing, then runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
swift build -c release --product kimi-sft 2>&1 | tail -n 3
swift test 2>&1
