#!/usr/bin/env bash
# The GPU self-test (issue 13): one prepared run on a CUDA machine, at most ~8 minutes, one log.
#
#   scripts/gpu_selftest.sh            # writes $OUT/gpu_selftest.log (or ./gpu_selftest.log)
#
# With the device tool: run(command="bash scripts/gpu_selftest.sh", timeout_s=540); the log
# comes back under $OUT. The machine needs python3 with CuPy (cupy-cuda13x), PyTorch,
# torchvision/timm and gluonkit's dependencies; it installs gluonkit itself without network.
#
# Stages, each under its own time limit so the whole run ends inside the budget:
#   1. the machine (nvidia-smi, versions) and an offline editable install
#   2. every test marked gpu: the op table, fused kernels, multi-tensor updates, CUDA graphs,
#      model steps and layers on the GPU against the CPU (float32, TF32 off)
#   3. lenet_mnist.yaml for two epochs on the GPU in float32, float16 and bfloat16
#   4. benchmark rows with PyTorch ratios (every model workload in float32; ResNet-50 training in
#      float16 against PyTorch AMP channels-last) and the per-op CUDA-event profile of a
#      ResNet-50 replay
# The limits add up to 479 s; a stage that runs out is logged as failed and the rest still run.
set -u
OUTDIR="${OUT:-$PWD}"
LOG="$OUTDIR/gpu_selftest.log"
PY="${PYTHON:-python3}"
export PYTHONUNBUFFERED=1 GLUONKIT_HOME="${GLUONKIT_HOME:-/tmp/gluonkit_home}"
: >"$LOG"
failures=()

stage() {  # stage NAME SECONDS COMMAND...: run with a limit, log everything, remember failures
    local name="$1" limit="$2"
    shift 2
    echo "=== $name ($(date -u +%H:%M:%S), limit ${limit}s): $*" | tee -a "$LOG"
    local t0=$SECONDS
    timeout --signal=INT --kill-after=10 "$limit" "$@" >>"$LOG" 2>&1
    local rc=$?
    echo "=== $name: exit $rc after $((SECONDS - t0))s" | tee -a "$LOG"
    [ "$rc" -eq 0 ] || failures+=("$name (exit $rc)")
}

stage machine 20 bash -c "nvidia-smi; $PY -c 'import sys, numpy, cupy; print(sys.version); \
print(\"numpy\", numpy.__version__, \"cupy\", cupy.__version__, cupy.cuda.runtime.getDeviceCount(), \
\"GPU(s)\")'; $PY -c 'import torch; print(\"torch\", torch.__version__, torch.cuda.is_available())'"
# (an existing install is kept: the import runs outside the checkout, which would shadow it)
stage install 45 bash -c "(cd /tmp && $PY -c 'import gluonkit.core') 2>/dev/null || \
$PY -m pip install -q --no-deps --no-index --no-build-isolation -e ."

stage gpu-tests 140 "$PY" -m pytest -q -m gpu -n 4 -p no:cacheprovider -rfE tests

for dtype in float32 float16 bfloat16; do
    stage "lenet-$dtype" 38 "$PY" scripts/train.py --config configs/lenet_mnist.yaml --set \
        train.epochs=2 train.device=gpu "train.dtype=$dtype" train.progress=false \
        "train.output_dir=/tmp/gk_lenet_$dtype"
    tail -n 2 "/tmp/gk_lenet_$dtype/log.jsonl" >>"$LOG" 2>/dev/null
done

stage bench-float32 85 "$PY" scripts/benchmark.py --workload models --device gpu \
    --compare torch --steps 3
stage bench-amp 45 "$PY" scripts/benchmark.py --workload resnet50_train --device gpu \
    --dtype float16 --compare torch --steps 5
stage profile 30 "$PY" scripts/benchmark.py --workload resnet50_infer --device gpu --profile

echo "=== benchmark rows (images/s, ratio to PyTorch)" | tee -a "$LOG"
grep '"images_per_s"' "$LOG" | "$PY" -c '
import json, sys
for line in sys.stdin:
    r = json.loads(line)
    print(f"{r[\"workload\"]:<22} {r.get(\"batch\", \"\"):>5} {r[\"images_per_s\"]:>10.1f} "
          f"torch {r.get(\"torch_images_per_s\") or 0:>10.1f} ratio {r.get(\"ratio\") or 0:.2f}")
' | tee -a "$LOG"
if [ "${#failures[@]}" -eq 0 ]; then
    echo "GPU SELFTEST PASSED" | tee -a "$LOG"
    exit 0
fi
printf 'GPU SELFTEST FAILED: %s\n' "${failures[@]}" | tee -a "$LOG"
exit 1
