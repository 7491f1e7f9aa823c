#!/bin/bash
# gpu-run.sh - run baton's GPU checks and benchmarks from the bundle that
# `make gpu-bundle` fills (gpu/), on a machine with a CUDA device and the
# NVIDIA driver but no Vulkan loader. Results go under $OUT (default
# /tmp/baton-gpu-out): summary.txt, probe.json, logs-PHASE.tgz and the benchmark
# files. Usage, from the repository root:
#   bash gpu/gpu-run.sh [check|sanitize|bench|soak|all]
#     check     probe, make check-gpu's suites (full length), check_faults (every
#               FAULT_STRIDE-th seam call, default 4), the other portable suites
#     sanitize  compute-sanitizer (memcheck, synccheck) and the Vulkan validation
#               layer with synchronization validation over short GPU runs
#     bench     baton-run and baton-bench
#     soak      the CUDA stage for SOAK_FRAMES frames (default 500000): memory,
#               fds and GPU memory flat, every frame accounted for
set -u
PHASE=${1:-all}
BUNDLE=$(cd "$(dirname "$0")" && pwd)
cd "$BUNDLE/.."
OUT=${OUT:-/tmp/baton-gpu-out}
mkdir -p "$OUT"
LOGS=$(mktemp -d)   # every log, packed into $OUT/logs-$PHASE.tgz at the end
export LD_LIBRARY_PATH="$BUNDLE${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}:$BUNDLE/fallback"
export PATH="$PATH:/usr/local/cuda/bin:$BUNDLE/bin"
# GStreamer: only the bundle's plugins (make gpu-bundle), a registry of its
# own, scanned in-process (no gst-plugin-scanner in the bundle)
export GST_PLUGIN_SYSTEM_PATH_1_0="$BUNDLE/gst-plugins" GST_PLUGIN_PATH_1_0= \
    GST_REGISTRY_1_0="$(mktemp -d)/gst-registry.bin" GST_REGISTRY_FORK=no
SUMMARY="$OUT/summary.txt"
touch "$SUMMARY"
status=0
step() { # name, command...
    local name=$1; shift
    echo "== $name" | tee -a "$SUMMARY"
    timeout -k 5 "${STEP_TIMEOUT:-300}" "$@" > "$LOGS/$name.log" 2>&1; local rc=$?
    [ $rc -eq 124 ] && echo "   $name: killed after ${STEP_TIMEOUT:-300} s" | tee -a "$SUMMARY"
    grep -E "^(SKIP|\(expected\)|[0-9]+%: Checks|== suites|YUYV|UYVY|NV12|GREY|RGB24|CPU stage|CUDA stage|bars |pipeline |udp loopback|pool of|[0-9]+ round trips|=+ ERROR SUMMARY|.*Validation Error|.*seam calls in a run|   (teardown|left spinning|released after|note):)" \
        "$LOGS/$name.log" | head -n 90 | tee -a "$SUMMARY"
    echo "-- $name: rc=$rc" | tee -a "$SUMMARY"
    [ $rc -eq 0 ] || status=1
    return $rc
}

nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | tee -a "$SUMMARY"
export BATON_REQUIRE_GPU=1 BATON_REQUIRE_VULKAN=1 BATON_TOOLS_DIR="$BUNDLE" BUILD="$BUNDLE"
if [ "$PHASE" = check ] || [ "$PHASE" = all ]; then
    echo "== probe with the stock ICD manifest (expected to show the headless fix)" | tee -a "$SUMMARY"
    "$BUNDLE/baton-probe" --no-pool > "$LOGS/probe-stock.log" 2>&1
    echo "   rc=$?" | tee -a "$SUMMARY"; grep -E "no instance" "$LOGS/probe-stock.log" | head -2 | tee -a "$SUMMARY"
fi
export VK_ICD_FILENAMES="$BUNDLE/nvidia_icd_egl.json"
if [ "$PHASE" = check ] || [ "$PHASE" = all ]; then
    "$BUNDLE/baton-probe" > "$LOGS/probe.log" 2>&1; echo "probe rc=$?" | tee -a "$SUMMARY"
    cat "$LOGS/probe.log" | tee -a "$SUMMARY"
    "$BUNDLE/baton-probe" --json > "$OUT/probe.json" 2>/dev/null
    # this machine has no display: the drm sink must say so and exit 1
    for sink in drm drm,via=vulkan drm,via=kms; do
        "$BUNDLE/baton-run" -q --frames 10 --sink "$sink" > "$LOGS/sink-$sink.log" 2>&1; rc=$?
        echo "== baton-run --sink $sink (no display here: expected exit 1 with a clear error): rc=$rc" | tee -a "$SUMMARY"
        head -n 2 "$LOGS/sink-$sink.log" | tee -a "$SUMMARY"
        [ $rc -eq 1 ] || status=1
    done
    STEP_TIMEOUT=560 step check-gpu "$BUNDLE/run-suites" "$BUNDLE"/tests/gpu_*
    # check_faults in a step of its own: here it also sweeps the CUDA stage
    # (scenarios 3-5), each run making a context (Vulkan device, hand-off
    # measurement) and failing one of hundreds of seam calls; every
    # FAULT_STRIDE-th call keeps it within the step, and the portable
    # suites' step is not spent on it
    BATON_FAULT_STRIDE=${FAULT_STRIDE:-4} SUITE_TIMEOUT=560 STEP_TIMEOUT=560 \
        step check-faults "$BUNDLE/run-suites" "$BUNDLE/tests/check_faults"
    # PORTABLE="check_nvtx check_example" runs only those (CI runs them all on lavapipe)
    if [ -n "${PORTABLE:-}" ]; then portable=$(for t in $PORTABLE; do echo "$BUNDLE/tests/$t"; done)
    else portable=$(ls "$BUNDLE"/tests/check_* | grep -v '/check_faults$'); fi
    step check-portable "$BUNDLE/run-suites" $portable
fi
if [ "$PHASE" = sanitize ] || [ "$PHASE" = all ]; then
    export BATON_GPU_QUICK=1
    if command -v compute-sanitizer >/dev/null; then
        for t in "$BUNDLE"/tests/gpu_*; do
            # gpu_faults' kernels trap and store to an illegal address on
            # purpose: memcheck would report exactly that
            [ "$(basename "$t")" = gpu_faults ] && continue
            step "memcheck-$(basename "$t")" compute-sanitizer --tool memcheck --error-exitcode 9 "$t"
            step "synccheck-$(basename "$t")" compute-sanitizer --tool synccheck --error-exitcode 9 "$t"
        done
    else
        echo "compute-sanitizer not found: sanitizer runs NOT done" | tee -a "$SUMMARY"; status=1
    fi
    if [ -d "$BUNDLE/layers" ]; then
        for t in "$BUNDLE"/tests/gpu_*; do
            # gpu_faults leaves a pipeline and its device undestroyed by design
            # (a hung kernel) and signals from the host what a dead CUDA stream
            # never will: nothing for the layer to judge
            [ "$(basename "$t")" = gpu_faults ] && continue
            VK_LAYER_PATH="$BUNDLE/layers" VK_INSTANCE_LAYERS=VK_LAYER_KHRONOS_validation \
            VK_LAYER_ENABLES=VK_VALIDATION_FEATURE_ENABLE_SYNCHRONIZATION_VALIDATION_EXT \
                step "validation-$(basename "$t")" "$t"
            n=$(grep -c "Validation Error" "$LOGS/validation-$(basename "$t").log")
            echo "   validation errors: $n" | tee -a "$SUMMARY"; [ "$n" -eq 0 ] || status=1
        done
    fi
    unset BATON_GPU_QUICK
fi
if [ "$PHASE" = bench ] || [ "$PHASE" = all ]; then
    [ -x "$BUNDLE/baton-run" ] && step baton-run "$BUNDLE/baton-run" --frames 2000 --size 1920x1080 --format YUYV \
        --trace "$OUT/run.trace" && tail -n 20 "$LOGS/baton-run.log" | tee -a "$SUMMARY"
    # at camera rate, as the latency issue measured it (then: p50 16.665 ms
    # at 60 fps, 8.33 ms at 120, 33.3 ms for 4K at 30), and Jetson's
    # zero-copy upload path forced on this discrete GPU
    for run in "pattern@60 1920x1080 YUYV 600" "pattern@120 1920x1080 YUYV 1200" \
               "pattern@30 3840x2160 NV12 300" "pattern@60 1920x1080 YUYV 600 --zero-copy-upload"; do
        set -- $run
        name="paced-${1#pattern@}-${2}${5:+-zero-copy}"
        step "$name" "$BUNDLE/baton-run" --compute cuda --source "$1" --size "$2" --format "$3" \
            --slots 2 --frames "$4" ${5:-}
        grep -E "latency|capture|GPU done|hand-off|upload|frames|CPU|trace" "$LOGS/$name.log" | head -n 16 >> "$SUMMARY"
    done
    # the allocation target is counted with the interposer preloaded
    [ -x "$BUNDLE/baton-bench" ] && LD_PRELOAD="$BUNDLE/tests/preload_alloc_count.so" \
        STEP_TIMEOUT=${BENCH_TIMEOUT:-420} step baton-bench "$BUNDLE/baton-bench" \
        --json "$OUT/bench.json" --svg "$OUT/bench.svg" ${BENCH_ARGS:-}
    cat "$LOGS/baton-bench.log" >> "$SUMMARY"
    # One row each is noisy; the runtime-overhead comparison is repeated,
    # alternating the raw loop and baton, to show its spread.
    for i in $(seq 1 "${BENCH_REPEATS:-5}"); do
        "$BUNDLE/baton-bench" --rows raw,timeline-s2 --workloads 1080p,4k --frames 1000 \
            --json "$LOGS/repeat$i.json" --svg "$LOGS/repeat$i.svg" > "$LOGS/repeat$i.log" 2>&1
        echo "== repeat $i (rc=$?)" >> "$SUMMARY"
        grep -E "^(1080p|4k) +(raw loop|baton timeline)|vs raw loop" "$LOGS/repeat$i.log" >> "$SUMMARY"
    done
fi
if [ "$PHASE" = soak ] || [ "$PHASE" = all ]; then
    STEP_TIMEOUT=${SOAK_TIMEOUT:-400} step soak "$BUNDLE/tests/soak" --compute cuda \
        --frames "${SOAK_FRAMES:-500000}" --size 640x360
    grep -vE "^(SKIP|[0-9]+%: Checks)" "$LOGS/soak.log" | tail -n 20 >> "$SUMMARY"
fi
tar czf "$OUT/logs-$PHASE.tgz" -C "$LOGS" . && rm -rf "$LOGS"
echo "== overall ($PHASE): $([ $status -eq 0 ] && echo PASS || echo FAIL)" | tee -a "$SUMMARY"
exit $status
