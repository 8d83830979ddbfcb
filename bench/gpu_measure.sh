#!/usr/bin/env bash
# One-shot GPU measurement for a lent GPU machine (about 9 minutes at most: 90 + 3 × 75 + 2 × 120 s; never run in CI).
#
# Installs what is needed (`deno task setup --webgpu --torch`), then measures Qwen2.5-0.5B and
# Qwen2.5-3B shapes, LoRA rank 16 and full fine-tuning, with
# `bench/model_bench.ts --backend webgpu --torch` (PyTorch on CUDA in the same run, same shapes,
# same LoRA), batch 4 × seq 128, random weights (--quick-init 1). Each measurement appends one
# JSON line to results/gpu/<card>.jsonl, <card> being nvidia-smi's GPU name in lowercase with
# spaces as dashes (e.g. nvidia-h100-80gb-hbm3). A measurement that fails or passes its time
# limit appends {"error": …, "measurement": …} instead, so the file always says what happened;
# progress lines go to results/gpu/<card>.log.
#
# Usage: bench/gpu_measure.sh [--dry-run] [--no-setup] [--out DIR]
#   --dry-run   print the card name, output file and planned commands; run nothing
#   --no-setup  skip `deno task setup --webgpu --torch`
#   --out DIR   output folder (default results/gpu)
#
# Budget: setup ≤ 90 s, the 0.5B runs ≤ 75 s each (LoRA 16 twice: with the WGSL fused kernels,
# then with MSGRPO_WEBGPU_FUSED=0, their A/B), the two 3B runs ≤ 120 s each (LoRA first: full
# fine-tuning of 3B in fp32 needs ~50 GB before activations and may not fit or finish).
set -u
cd "$(dirname "$0")/.."

dry=0
setup=1
out=results/gpu
while [ $# -gt 0 ]; do
  case "$1" in
    --dry-run) dry=1 ;;
    --no-setup) setup=0 ;;
    --out)
      [ $# -ge 2 ] || { echo "gpu_measure.sh: --out needs a folder" >&2; exit 2; }
      out="$2"
      shift
      ;;
    *)
      echo "gpu_measure.sh: unknown argument \"$1\" (expected --dry-run, --no-setup, --out DIR)" >&2
      exit 2
      ;;
  esac
  shift
done

card=unknown-gpu
if command -v nvidia-smi >/dev/null 2>&1; then
  name=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -n 1)
  [ -n "$name" ] && card=$(printf '%s' "$name" | tr '[:upper:]' '[:lower:]' | tr -s ' ' '-')
fi
file="$out/$card.jsonl"
log="$out/$card.log"

SHAPE_05B="--vocab 151936 --hidden 896 --layers 24 --heads 14 --kv-heads 2 --intermediate 4864"
SHAPE_3B="--vocab 151936 --hidden 2048 --layers 36 --heads 16 --kv-heads 2 --intermediate 11008"
COMMON="--backend webgpu --torch --quick-init 1 --batch 4 --seq 128 --steps 2 --warmup 1"
BENCH="deno run -A --unstable-webgpu bench/model_bench.ts"

# name | time limit (s) | extra flags | environment (optional)
PLAN=(
  "qwen2.5-0.5b-lora16|75|$SHAPE_05B --lora-rank 16"
  "qwen2.5-0.5b-lora16-unfused|75|$SHAPE_05B --lora-rank 16|MSGRPO_WEBGPU_FUSED=0"
  "qwen2.5-0.5b-full|75|$SHAPE_05B"
  "qwen2.5-3b-lora16|120|$SHAPE_3B --lora-rank 16 --new 16"
  "qwen2.5-3b-full|120|$SHAPE_3B --new 16 --steps 1"
)

echo "card: $card"
echo "output: $file"
if [ "$setup" = 1 ]; then
  echo "plan: timeout 90 deno task setup --webgpu --torch"
fi
for item in "${PLAN[@]}"; do
  IFS='|' read -r what limit flags envs <<<"$item"
  echo "plan: ${envs:+env $envs }timeout -k 10 $limit $BENCH $COMMON $flags  # $what"
done
[ "$dry" = 1 ] && exit 0

mkdir -p "$out"
if [ "$setup" = 1 ]; then
  timeout 90 deno task setup --webgpu --torch >>"$log" 2>&1 || echo "gpu_measure.sh: setup failed (see $log); measuring anyway" >&2
fi
for item in "${PLAN[@]}"; do
  IFS='|' read -r what limit flags envs <<<"$item"
  echo "gpu_measure.sh: $what (limit ${limit} s)" >&2
  echo "== $what" >>"$log"
  # shellcheck disable=SC2086  # the flag strings are meant to split into words
  env ${envs:-} timeout -k 10 "$limit" $BENCH $COMMON $flags >"$out/.last.json" 2>>"$log"
  rc=$?
  line=$(tail -n 1 "$out/.last.json")
  if [ "$rc" = 0 ] && [ "${line:0:1}" = "{" ]; then
    printf '{"measurement":"%s","card":"%s",%s\n' "$what" "$card" "${line:1}" >>"$file"
  else
    reason="exit status $rc"
    [ "$rc" = 124 ] || [ "$rc" = 137 ] && reason="time limit ${limit} s"
    printf '{"measurement":"%s","card":"%s","error":"%s"}\n' "$what" "$card" "$reason" >>"$file"
  fi
done
rm -f "$out/.last.json"
echo "gpu_measure.sh: wrote $file" >&2
