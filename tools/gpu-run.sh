#!/bin/bash
# gpu-run.sh - run baton's GPU checks and benchmarks from the bundle that
# `make gpu-bundle` fills (gpu/), on a machine with a CUDA device and the
# NVIDIA driver but no Vulkan loader. Results go under $OUT (default
# /tmp/baton-gpu-out). Usage, from the repository root: bash gpu/gpu-run.sh
set -u
BUNDLE=$(cd "$(dirname "$0")" && pwd)
cd "$BUNDLE/.."
OUT=${OUT:-/tmp/baton-gpu-out}
mkdir -p "$OUT"
LOGS=$(mktemp -d)   # every log, packed into $OUT/logs.tgz at the end
export LD_LIBRARY_PATH="$BUNDLE${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export PATH="$PATH:/usr/local/cuda/bin"
SUMMARY="$OUT/summary.txt"
: > "$SUMMARY"
status=0
step() { # name, command...
    local name=$1; shift
    echo "== $name" | tee -a "$SUMMARY"
    timeout -k 5 "${STEP_TIMEOUT:-240}" "$@" > "$LOGS/$name.log" 2>&1; local rc=$?
    [ $rc -eq 124 ] && echo "   $name: killed after ${STEP_TIMEOUT:-240} s" | tee -a "$SUMMARY"
    tail -n 25 "$LOGS/$name.log"
    echo "-- $name: rc=$rc" | tee -a "$SUMMARY"
    [ $rc -eq 0 ] || status=1
    return $rc
}

nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | tee -a "$SUMMARY"
echo "== probe with the stock ICD manifest (expected to show the headless fix)"
"$BUNDLE/baton-probe" --no-pool > "$LOGS/probe-stock.log" 2>&1
echo "   rc=$?"; grep -E "no instance|fix|selected" "$LOGS/probe-stock.log" | head -5

export VK_ICD_FILENAMES="$BUNDLE/nvidia_icd_egl.json"
step probe "$BUNDLE/baton-probe"
"$BUNDLE/baton-probe" --json > "$OUT/probe.json" 2>/dev/null
export BATON_REQUIRE_GPU=1 BATON_REQUIRE_VULKAN=1
step check-gpu "$BUNDLE/run-suites" "$BUNDLE"/tests/gpu_*
step check-portable "$BUNDLE/run-suites" "$BUNDLE"/tests/check_*
if command -v compute-sanitizer >/dev/null; then
    for t in "$BUNDLE"/tests/gpu_*; do
        step "memcheck-$(basename "$t")" compute-sanitizer --tool memcheck --error-exitcode 9 "$t"
        step "synccheck-$(basename "$t")" compute-sanitizer --tool synccheck --error-exitcode 9 "$t"
    done
else
    echo "compute-sanitizer not found: sanitizer runs NOT done" | tee -a "$SUMMARY"; status=1
fi
if [ -d "$BUNDLE/layers" ]; then
    export VK_LAYER_PATH="$BUNDLE/layers" VK_INSTANCE_LAYERS=VK_LAYER_KHRONOS_validation
    export VK_LAYER_ENABLES=VK_VALIDATION_FEATURE_ENABLE_SYNCHRONIZATION_VALIDATION_EXT
    for t in "$BUNDLE"/tests/gpu_*; do
        step "validation-$(basename "$t")" "$t"
        n=$(grep -c "Validation Error" "$LOGS/validation-$(basename "$t").log")
        echo "   validation errors: $n" | tee -a "$SUMMARY"; [ "$n" -eq 0 ] || status=1
    done
    unset VK_INSTANCE_LAYERS VK_LAYER_ENABLES
fi
[ -x "$BUNDLE/gpu-extra.sh" ] && step extra "$BUNDLE/gpu-extra.sh"
tar czf "$OUT/logs.tgz" -C "$LOGS" . && rm -rf "$LOGS"
echo "== overall: $([ $status -eq 0 ] && echo PASS || echo FAIL)" | tee -a "$SUMMARY"
exit $status
