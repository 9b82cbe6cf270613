#!/usr/bin/env bash
# One-call GPU benchmark: our JAX and PyTorch backends side by side with the
# PyTorch peer, for the figures of issue #14. Needs a machine with PyTorch,
# JAX (and, on a GPU machine, their CUDA builds) but not TensorFlow; it
# installs nothing from the network. Prints one JSON line per figure and a
# ratio table per figure (ours / peer; below 1 is faster than the peer).
#
#   bash benchmarks/gpu.sh                    # full sizes, < 8 minutes on one GPU
#   bash benchmarks/gpu.sh --smoke            # tiny sizes: checks the script on a CPU
#   bash benchmarks/gpu.sh --wheels DIR       # first install keras / keras-style
#                                             # from wheels in DIR (--no-index)
#
# Environment: PYTHON (default python3), PEER (default ../shared/bench/peer_torch.py),
# BACKENDS (default jax,torch), REPEATS (default 3; 1 with --smoke).
set -euo pipefail
cd "$(dirname "$0")/.."

smoke=0
wheels=""
while [ $# -gt 0 ]; do
    case "$1" in
        --smoke) smoke=1 ;;
        --wheels) wheels="$2"; shift ;;
        -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
        *) echo "gpu.sh: unknown option. Received: $1" >&2; exit 2 ;;
    esac
    shift
done

PYTHON="${PYTHON:-python3}"
PEER="${PEER:-../shared/bench/peer_torch.py}"
BACKENDS="${BACKENDS:-jax,torch}"
if [ ! -f "$PEER" ]; then
    echo "gpu.sh: peer script not found. Received: PEER=$PEER" >&2
    exit 2
fi
if [ -n "$wheels" ]; then
    "$PYTHON" -m pip install -q --no-index --find-links "$wheels" keras keras-style
fi
"$PYTHON" - <<'EOF'
import importlib.util, sys
missing = [m for m in ("keras", "keras_style", "torch", "jax") if importlib.util.find_spec(m) is None]
if missing:
    sys.exit(f"gpu.sh: missing Python packages {missing} (use --wheels DIR for keras/keras-style)")
EOF

if [ "$smoke" = 1 ]; then
    REPEATS="${REPEATS:-1}"
    train=(--batch 1 --size 32 --iterations 2)
    infer=(--height 48 --width 64 --iterations 2)
    gatys=(--size 32 --optimizer lbfgs --iterations 2)
else
    REPEATS="${REPEATS:-3}"
    train=(--batch 4 --size 256 --iterations 20)
    infer=(--height 1080 --width 1920 --iterations 20)
    # Step time over 20 steady iterations; the JSON's s_for_500_it is the
    # wall time of a 500-iteration run at that pace.
    gatys=(--size 512 --optimizer lbfgs --iterations 20)
fi

log="$(mktemp -d)/gpu-bench"
compare() {
    "$PYTHON" benchmarks/compare.py "$1" --backends "$BACKENDS" \
        --repeats "$REPEATS" --peer "$PEER" "${@:2}" | tee -a "$log"
}
start=$(date +%s)
compare train "${train[@]}" --precision fp32
compare train "${train[@]}" --precision bf16
compare infer "${infer[@]}" --precision fp32
compare infer "${infer[@]}" --precision bf16
compare gatys "${gatys[@]}"
echo
echo "## Ratio tables ($(( $(date +%s) - start )) s)"
grep '^|' "$log" | awk '!(/^\| date/ && seen++) && !(/^\|---/ && dashes++)'
