#!/usr/bin/env bash
# The README's main job: installs the -dev packages if missing, builds (release), creates the tiny
# random Kimi model when absent, LoRA-trains it on the bundled sample chats (recipes/tiny-demo.yaml),
# merges the adapter when this build has `kimi-sft merge`, and prints where every output is.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
swift build -c release --product kimi-sft 2>&1 | tail -n 3
BIN=.build/release/kimi-sft
MODEL=models/kimi-tiny
RUN=runs/tiny-demo

if [ ! -f "$MODEL/config.json" ]; then
  "$BIN" init --preset tiny --out "$MODEL"
fi

start=$(date +%s)
"$BIN" train recipes/tiny-demo.yaml "$@"

merged=""
if "$BIN" help merge >/dev/null 2>&1; then
  "$BIN" merge --model "$MODEL" --adapter "$RUN" --out "$RUN/merged" --overwrite --quiet
  merged="$RUN/merged"
fi
end=$(date +%s)

echo
echo "kimi-sft demo done in $((end - start)) s (after the build):"
echo "  adapter (PEFT):     $RUN/adapter_config.json, $RUN/adapter_model.safetensors"
echo "  checkpoints:        $(ls -d "$RUN"/checkpoint-* 2>/dev/null | tr '\n' ' ')"
if [ -n "$merged" ]; then
  echo "  merged checkpoint:  $merged"
else
  echo "  merged checkpoint:  (this build has no 'kimi-sft merge' yet)"
fi
echo "  metrics:            $RUN/metrics.jsonl, $RUN/trainer_log.jsonl"
echo "  loss plot:          $RUN/training_loss.svg"
