#!/bin/sh
# check-kernel-drm.sh - baton's DRM/KMS sink against a real kernel KMS driver
# (bochs), checked on the virtual screen.
#
# Boots Debian's kernel under QEMU (KVM when usable, else software
# emulation) with a bochs-display card, which the kernel's bochs DRM driver
# (drivers/gpu/drm/tiny/bochs.ko) drives, and the host's root filesystem
# shared read-only over virtio-9p. The initramfs (busybox) loads the modules,
# mounts the share at /host with proc, sysfs, devtmpfs and tmpfs on top,
# and chroots into it to run build/baton-run from this tree with lavapipe
# (Mesa's CPU Vulkan driver): the pattern source, SIZE FORMAT, FRAMES frames,
# the CPU compute stage and the sink SINK, holding the last frame on screen
# for HOLD seconds. The host then takes QEMU's `screendump` of the display
# and tests/kernel/kernel_screen_check.c decodes the frame number on the screen,
# regenerates that pattern frame and compares it with an independent float
# BT.601 reference (max difference 1 per channel, black border around a
# frame smaller than the mode); the frame shown must be the last one.
#
# When is the last frame on the screen? The guest runs baton-run in the
# background, its output going to a file, polls that file every 0.2 s and
# prints "KTEST DRM SHOWN" as soon as it matches SHOWN_RE: by default
# baton-run's "holding the last frame on the display for N s" note, which
# --hold prints (on stderr, not with --quiet) after the last frame went on
# screen and before the hold starts; the host watches the console for the
# marker (every 0.2 s) and takes the screendump then. Nothing waits a fixed
# time, so slow emulation only has to fit the hold (a few 0.2 s polls and a
# screendump). Should the note not come (--quiet, a changed text) the
# results table matches too, but it comes after the hold, when the console
# is back; so the host also takes a screendump every POLL_S seconds while
# baton-run runs and keeps the newest one that carries a frame code: if the
# dump taken at SHOWN carries none, or SHOWN never comes, that one is checked
# instead, and the output says so.
#
# UNPLUG=1 (make check-kernel runs it second) tests display loss instead:
# the pattern source paced at 30 fps runs with --progress for up to 100000
# frames; once progress shows frames flowing the host grabs the screen (it
# must show a pattern frame), then hot-unplugs the bochs card through the
# monitor (device_del: an ACPI eject the guest's acpiphp driver carries out,
# so the bochs driver unbinds and its DRM device goes away under the running
# sink). baton-run must then stop by itself with exit 1 and "drm sink:
# display Virtual-1 lost (...)" within UNPLUG_BOUND_S seconds, not hang or
# crash, and the guest must shut down cleanly.
#
# CAMERA=1 (make check-kernel runs it too) is the whole path on real
# drivers: vivid is loaded as well and the source is its capture node
# (v4l2:/dev/video0) instead of the pattern: camera -> CPU stage (lavapipe)
# -> drm sink -> bochs. vivid's picture is its colour-bar test pattern, not
# baton's, so the screen check is that the centred frame shows at least 6
# colours of 4% or more each (kernel_screen_check --colour-bars) with a
# black border, besides baton-run's own figures (frames, trace matches plan,
# and "source frames: V4L2 USERPTR ...": vivid writes into the staging).
#
# DISPLAY_LOSS=1 (recovery, make check-kernel runs it) is UNPLUG=1 with
# --on-display-loss headless and a frame count (LOSS_FRAMES, default 600 at
# 30 fps):
# after the device_del baton-run must go on with the headless sink, finish
# every frame and exit 0; its table must say at which frame the display was
# lost ("display loss: headless: display lost at frame N, ...") and that the
# trace matches the plan, its stderr the one "baton: drm sink: display
# Virtual-1 lost ..." note.
#
# CAMERA_LOSS=1 (recovery, make check-kernel runs it) streams from vivid
# (as CAMERA=1, no screendump) with --on-camera-loss resync,30000 for
# LOSS_FRAMES_CAMERA (150) frames while the guest, once frames flow, makes the camera
# fail twice through vivid's controls (tests/kernel/kernel_vivid_ctl.c, on a
# second fd): a stall ("Percentage of Dropped Buffers" 100 for 3 s, then 0:
# vivid fills no buffer meanwhile, so baton-run's waits time out and it
# reopens the node until frames come), then, once frames flow again, an
# unplug ("Disconnect": vivid marks the node unregistered, so every ioctl
# on an open fd fails with ENODEV and poll reports POLLERR|POLLHUP, as for
# an unplugged USB camera). vivid plugs itself in again when the last open
# fd of the node is closed (vivid_fop_release sets it registered again): so
# frames only come back if baton-run closed its fd, and then from a fresh
# open of the same node. (A module reload cannot stand in for the replug:
# baton-run reopens the node within 100 ms of that last close, so vivid is
# in use again before rmmod could run.) baton-run must finish every frame
# (LOSS_FRAMES, 150 here: vivid + lavapipe run at ~5 fps under TCG) with
# exit 0, count 2 resyncs, say "V4L2 USERPTR" (bound again after each
# reopen) and its trace must match the plan.
#
# SANITIZED=1 runs the ASan/UBSan/LSan build of baton-run instead
# (build/sanitize/baton-run from `make check-sanitize`, through a wrapper in
# $BUILD/kernel that sets the sanitizer options and preloads lavapipe as
# check-sanitize does); any sanitizer report in its output fails the run.
#
# VKMS=1 runs the KMS sink against vkms, the kernel's virtual KMS driver,
# whose vblanks are emulated (an hrtimer at the mode's refresh): page flips
# complete at real vblanks with real sequence numbers, which bochs (no vblank
# interrupt: flips complete at once, sequence 0) cannot show. Debian's kernel
# does not ship vkms, so tests/kernel/build-vkms.sh builds it as an external module
# from linux-source-X.Y against linux-headers-KVER ($BUILD/kernel/vkms/
# vkms.ko, reused while it is newer than tests/kernel/build-vkms.sh; a kernel that
# ships vkms uses its own). It is loaded after bochs with its dependencies;
# the guest finds its card (/sys/class/drm/cardN whose device is vkms) and
# runs baton-run with BATON_DRM_DEVICE=/dev/dri/cardN and
#   --source pattern --size VKMS_SIZE (1024x768) --frames VKMS_FRAMES (120)
#   --compute cpu --sink drm:auto,via=kms --json /tmp/run.json
# (no hold, no screendump: vkms has no real scanout), printing the JSON on
# the console (KTEST JSON). Checked, on vblank counters only, never on time:
# baton-run exits 0 with all frames shown; its display line names vkms and
# does not say "counts no vblanks"; its vblanks line counts exactly FRAMES
# page-flip events (one flip a frame, each completion waited for, the last
# one too); the JSON agrees, and its vblank_records (the last
# 64) are consecutive frames whose vblank sequences strictly increase (every
# flip landed on a vblank of its own: the pacing). The intervals (p50/max),
# frames per second, sequence steps and "missed" (flips whose completion took
# longer than three refresh periods: a time bound) are reported as figures,
# not checked.
# Writes $BUILD/kernel/vkms-vblanks.txt (frame sequence ns per record).
#
# ALLOC=1 runs build/tests/check_pipeline_alloc in the guest with
# BATON_ALLOC_SINK=SINK: after warm-up, 300 frames per configuration
# (timeline/binary, S=2/3) through the pipeline with the drm sink on
# bochs-drm, counted by the LD_PRELOAD interposer: no allocation and no fd
# operation by baton on the driving thread, no Vulkan object created.
#
# Needs (Debian): linux-image-amd64 qemu-system-x86 busybox-static kmod
#   mesa-vulkan-drivers (lavapipe), and `make` run first (build/baton-run).
# Environment:
#   SINK (default drm:auto,via=kms), HOLD seconds (default 4; empty: no
#   --hold), SIZE (640x480), FORMAT (YUYV), FRAMES (30), RUN_ARGS (more
#   baton-run arguments, split at spaces), ICD (lavapipe's manifest),
#   BATON_RUN (the program the guest runs with those arguments; default
#   $BUILD/baton-run; a wrapper outside /tmp can stand in to test this script),
#   SHOWN_RE (extended regex, see above), POLL_S (default 1; 0: no polling),
#   PREFLIGHT (default 1: first run baton-run headless on the host and check
#   its dumped last frame, as a test of the checker; 0 skips it),
#   KVER (default: newest in /lib/modules with bochs), BUILD (default build),
#   QEMU_TIMEOUT seconds (default 420), QEMU_MEM MiB (1536), QEMU_SMP (2),
#   KEEP=1 keeps the work directory. VKMS=1: VKMS_SIZE (1024x768),
#   VKMS_FRAMES (120), VKMS_KO (a vkms.ko to use instead of building one).
# Writes $BUILD/kernel/drm-console.log, drm-ktest.log, screen.ppm and
#   kernel_screen_check.
# Exit: 0 the screen showed the expected frame (VKMS=1: the vblank checks
#   passed); 1 it did not, or the boot or the run went wrong; 77 something
#   this needs is missing (says what).
set -eu
cd "$(dirname "$0")/../.."
REPO=$(pwd -P)

if [ "${1:-}" = "--install-deps" ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends linux-image-amd64 qemu-system-x86 \
        busybox-static kmod mesa-vulkan-drivers
fi

BUILD=${BUILD:-build}
QEMU_TIMEOUT=${QEMU_TIMEOUT:-420}
QEMU_MEM=${QEMU_MEM:-1536}
QEMU_SMP=${QEMU_SMP:-2}
SINK=${SINK-drm:auto,via=kms}
HOLD=${HOLD-4}
SIZE=${SIZE:-640x480}
FORMAT=${FORMAT:-YUYV}
FRAMES=${FRAMES:-30}
RUN_ARGS=${RUN_ARGS:-}
ICD=${ICD:-/usr/share/vulkan/icd.d/lvp_icd.x86_64.json}
SHOWN_RE=${SHOWN_RE:-[Hh]olding|^baton-run [^ ]*: .* -> }
POLL_S=${POLL_S:-1}
UNPLUG=${UNPLUG:-0}
ALLOC=${ALLOC:-0}
if [ "$ALLOC" = 1 ]; then
    PREFLIGHT=0
    POLL_S=0
    HOLD=""
fi
CAMERA=${CAMERA:-0}
VKMS=${VKMS:-0}
DISPLAY_LOSS=${DISPLAY_LOSS:-0}
CAMERA_LOSS=${CAMERA_LOSS:-0}
LOSS_FRAMES=${LOSS_FRAMES:-600}
if [ "$VKMS" = 1 ]; then
    if [ "$UNPLUG" = 1 ] || [ "$CAMERA" = 1 ] || [ "$DISPLAY_LOSS" = 1 ] || [ "$CAMERA_LOSS" = 1 ]; then
        echo "check-kernel-drm: FAIL: VKMS=1 does not combine with UNPLUG=1, CAMERA=1, DISPLAY_LOSS=1 or CAMERA_LOSS=1"
        exit 1
    fi
    SIZE=${VKMS_SIZE:-1024x768}
    FRAMES=${VKMS_FRAMES:-120}
    HOLD=""
    SHOWN_RE="" # no screendump: the guest reports when vkms scans out baton-run's buffer
    POLL_S=0
    PREFLIGHT=0
fi
if [ "$CAMERA" = 1 ]; then
    PREFLIGHT=0
    SIZE=${CAMERA_SIZE:-640x360}
fi
UNPLUG_BOUND_S=${UNPLUG_BOUND_S:-20}
if [ "$UNPLUG" = 1 ]; then
    FRAMES=100000
    HOLD=""
    SHOWN_RE='baton-run: [1-9][0-9]*/[0-9]+ frames'
    POLL_S=0
    PREFLIGHT=0
    RUN_ARGS="$RUN_ARGS --progress"
fi
if [ "$DISPLAY_LOSS" = 1 ]; then
    FRAMES=$LOSS_FRAMES
    HOLD=""
    SHOWN_RE='baton-run: [1-9][0-9]*/[0-9]+ frames'
    POLL_S=0
    PREFLIGHT=0
    RUN_ARGS="$RUN_ARGS --progress --on-display-loss headless"
fi
if [ "$CAMERA_LOSS" = 1 ]; then
    FRAMES=${LOSS_FRAMES_CAMERA:-150}
    HOLD=""
    SHOWN_RE=""
    POLL_S=0
    PREFLIGHT=0
    SIZE=${CAMERA_SIZE:-640x360}
    RUN_ARGS="$RUN_ARGS --progress --on-camera-loss resync,30000"
fi
PREFLIGHT=${PREFLIGHT:-1}
skip() { echo "check-kernel-drm: SKIP: $*"; exit 77; }
die() { echo "check-kernel-drm: FAIL: $*"; exit 1; }
say() { echo "check-kernel-drm: $*"; }

case $BUILD in /*) BUILD_ABS=$BUILD ;; *) BUILD_ABS=$REPO/$BUILD ;; esac
case $FRAMES in '' | *[!0-9]*) die "FRAMES=$FRAMES is not a number" ;; esac
[ "$FRAMES" -ge 1 ] || die "FRAMES must be at least 1"
LAST=$((FRAMES - 1))

# ---- what this needs ----------------------------------------------------
. tests/kernel/kernel-vm.sh
kvm_find_kernel bochs
kvm_find_tools
QEMU=qemu-system-x86_64
$QEMU -help 2>/dev/null | grep -q '^-virtfs' ||
    skip "$QEMU has no -virtfs option (built without virtfs/9p support)"
$QEMU -device help 2>/dev/null | grep -q '"virtio-9p-pci"' ||
    skip "$QEMU has no virtio-9p-pci device (built without virtfs/9p support)"
$QEMU -device help 2>/dev/null | grep -q '"bochs-display"' ||
    skip "$QEMU has no bochs-display device"
command -v mkfifo >/dev/null || skip "no mkfifo"
[ -r "$ICD" ] || skip "no lavapipe ICD manifest $ICD (apt-get install mesa-vulkan-drivers)"
[ -x "$BUILD_ABS/baton-run" ] || skip "no $BUILD_ABS/baton-run (run make first)"
if [ "${SANITIZED:-0}" = 1 ]; then
    [ -x "$REPO/build/sanitize/baton-run" ] ||
        skip "no build/sanitize/baton-run (run make check-sanitize first)"
    lvp=$(ls /usr/lib/*/libvulkan_lvp.so 2>/dev/null | head -n 1)
    [ -n "$lvp" ] || skip "no libvulkan_lvp.so to preload"
    mkdir -p "$BUILD_ABS/kernel"
    cat > "$BUILD_ABS/kernel/sanitized-baton-run" <<EOF2
#!/bin/sh
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:verify_asan_link_order=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export LD_PRELOAD=$lvp
exec $REPO/build/sanitize/baton-run "\$@"
EOF2
    chmod +x "$BUILD_ABS/kernel/sanitized-baton-run"
    BATON_RUN=$BUILD_ABS/kernel/sanitized-baton-run
fi
BATON_RUN=${BATON_RUN:-$BUILD_ABS/baton-run}
case $BATON_RUN in /*) ;; *) BATON_RUN=$REPO/$BATON_RUN ;; esac
[ -x "$BATON_RUN" ] || skip "BATON_RUN=$BATON_RUN is not an executable"
case $REPO in /proc/* | /sys/* | /dev/* | /run/*)
    skip "the tree ($REPO) lies under a directory the guest mounts over" ;;
esac
# a tree under /tmp (where CI may clone) is shared a second time and mounted
# back over the guest's tmpfs /tmp
REPO_SHARE=""
case $REPO in /tmp/*) REPO_SHARE="-virtfs local,path=$REPO,mount_tag=repo,security_model=none,readonly=on,multidevs=remap" ;; esac

# ---- the screen checker (host program) ----------------------------------
CFLAGS_K="-std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wconversion \
-Wstrict-prototypes -Wmissing-prototypes -Wno-format-truncation -O2 -Iinclude -Iruntime -Itests \
-isystem ${CUDA:-/usr/local/cuda}/include" # util/fault.h (png_read.c) names CUDA's types
mkdir -p "$BUILD/kernel"
CHECK=$BUILD/kernel/kernel_screen_check
# shellcheck disable=SC2086
${CC:-gcc} $CFLAGS_K -o "$CHECK" tests/kernel/kernel_screen_check.c runtime/sources/pattern.c \
    runtime/core/format.c runtime/core/error.c runtime/util/png_read.c runtime/util/fault.c \
    tests/util_reference.c -lpng -lm ||
    die "building kernel_screen_check failed"
VIVID_CTL=$BUILD_ABS/kernel/kernel_vivid_ctl
if [ "$CAMERA_LOSS" = 1 ]; then
    # shellcheck disable=SC2086
    ${CC:-gcc} $CFLAGS_K -o "$VIVID_CTL" tests/kernel/kernel_vivid_ctl.c ||
        die "building kernel_vivid_ctl failed"
fi

WORK=$(mktemp -d /tmp/baton-check-kernel-drm.XXXXXX)
QPID=""
MPID=""
cleanup() {
    [ -z "$QPID" ] || kill "$QPID" 2>/dev/null || true
    [ -z "$MPID" ] || kill "$MPID" 2>/dev/null || true
    if [ "${KEEP:-}" = 1 ]; then say "work directory kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# the baton-run arguments, the same on the host (preflight) and in the guest
SOURCE=pattern
[ "$UNPLUG" = 1 ] || [ "$DISPLAY_LOSS" = 1 ] && SOURCE=pattern@30
[ "$CAMERA" = 1 ] || [ "$CAMERA_LOSS" = 1 ] && SOURCE=v4l2:/dev/video0
if [ "$VKMS" = 1 ]; then
    set -- --source "$SOURCE" --size "$SIZE" --frames "$FRAMES" --compute cpu
else
    set -- --source "$SOURCE" --size "$SIZE" --format "$FORMAT" \
        --frames "$FRAMES" --compute cpu
fi
# shellcheck disable=SC2086
set -- "$@" $RUN_ARGS

# ---- preflight: baton-run and the checker on the host --------------------
if [ "$PREFLIGHT" = 1 ]; then
    if ! VK_ICD_FILENAMES=$ICD "$BUILD_ABS/baton-run" "$@" --sink headless --quiet --dump "$WORK/dump" \
        --dump-frames "$LAST" > "$WORK/preflight.out" 2>&1; then
        cat "$WORK/preflight.out"
        die "preflight: baton-run --sink headless failed on the host (output above)"
    fi
    png=$WORK/dump/$(printf 'frame-%06d.png' "$LAST")
    [ -f "$png" ] || die "preflight: baton-run wrote no $png"
    "$CHECK" --png-to-ppm "$png" "$WORK/preflight.ppm" 1024x768 > /dev/null ||
        die "preflight: converting $png failed"
    if ! "$CHECK" "$WORK/preflight.ppm" "$FORMAT" "$SIZE" "$LAST" > "$WORK/preflight.check"; then
        cat "$WORK/preflight.check"
        die "preflight: the checker rejects baton-run's own dumped frame $LAST (output above)"
    fi
    say "preflight: host baton-run's dumped frame $LAST, centred on a 1024x768 PPM: $(head -n 1 "$WORK/preflight.check")"
fi

# ---- vkms: the kernel's own, or built by tests/kernel/build-vkms.sh -------------------
VKMS_DEPS=""
if [ "$VKMS" = 1 ]; then
    if [ -n "${VKMS_KO:-}" ]; then
        [ -r "$VKMS_KO" ] || skip "VKMS_KO=$VKMS_KO is not readable"
        say "vkms: using VKMS_KO=$VKMS_KO"
    elif modprobe --show-depends -S "$KVER" vkms > /dev/null 2>&1; then
        say "vkms: kernel $KVER ships vkms: $(modprobe --show-depends -S "$KVER" vkms | tail -n 1)"
    else
        VKMS_KO=$BUILD_ABS/kernel/vkms/vkms.ko
        if [ -f "$VKMS_KO" ] && [ -n "$(find "$VKMS_KO" -newer tests/kernel/build-vkms.sh)" ] &&
            [ "$(modinfo -F vermagic "$VKMS_KO" 2> /dev/null | cut -d' ' -f1)" = "$KVER" ]; then
            say "vkms: reusing $VKMS_KO (newer than tests/kernel/build-vkms.sh, vermagic $KVER)"
        else
            say "vkms: kernel $KVER has no vkms module: building it (tests/kernel/build-vkms.sh $KVER)"
            set +e
            BUILD=$BUILD_ABS tests/kernel/build-vkms.sh "$KVER" > "$WORK/build-vkms.out" 2>&1
            brc=$?
            set -e
            sed 's/^/  /' "$WORK/build-vkms.out"
            [ $brc -eq 77 ] && skip "vkms: $(sed -n 's/^build-vkms: SKIP: //p' "$WORK/build-vkms.out" | head -n 1)"
            [ $brc -eq 0 ] || die "vkms: tests/kernel/build-vkms.sh $KVER failed (exit $brc, output above)"
        fi
    fi
    if [ -n "${VKMS_KO:-}" ]; then
        VKMS_DEPS=$(modinfo -F depends "$VKMS_KO" | tr ',' ' ')
        say "vkms: $(modinfo -F vermagic "$VKMS_KO" | sed 's/ *$//') (vermagic), depends: ${VKMS_DEPS:-none}"
    fi
fi

# ---- initramfs -----------------------------------------------------------
ROOT=$WORK/root
mkdir -p "$ROOT/bin" "$ROOT/modules" "$ROOT/proc" "$ROOT/sys" "$ROOT/dev" "$ROOT/tmp" \
    "$ROOT/host"
cp "$BUSYBOX" "$ROOT/bin/busybox"

# modules with their dependencies, in load order; what is built in has no
# insmod line (e.g. fb, fbcon, devtmpfs, tmpfs in Debian's kernel)
: > "$ROOT/modules/order"
MODULES="virtio_pci 9pnet_virtio 9p bochs"
[ "$CAMERA" = 1 ] || [ "$CAMERA_LOSS" = 1 ] && MODULES="$MODULES vivid"
# vkms after bochs (so bochs is card0); built out of tree: its dependencies here
if [ "$VKMS" = 1 ]; then
    if [ -n "${VKMS_KO:-}" ]; then MODULES="$MODULES $VKMS_DEPS"; else MODULES="$MODULES vkms"; fi
fi
# shellcheck disable=SC2086 # a list on purpose
missing=$(kvm_collect_modules "$ROOT/modules" $MODULES) || skip "kernel $KVER has no module $missing"
if [ "$VKMS" = 1 ] && [ -n "${VKMS_KO:-}" ]; then
    cp "$VKMS_KO" "$ROOT/modules/vkms.ko"
    echo vkms.ko >> "$ROOT/modules/order"
fi
for m in bochs.ko 9p.ko 9pnet_virtio.ko; do
    grep -qx "$m" "$ROOT/modules/order" || die "could not collect $m for $KVER"
done
[ "$VKMS" = 1 ] && ! grep -qx vkms.ko "$ROOT/modules/order" && die "could not collect vkms.ko for $KVER"
[ "$VKMS" = 1 ] && say "modules, in load order: $(tr '\n' ' ' < "$ROOT/modules/order")"

# values for the guest, quoted for sh
shq() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }
{
    echo "REPO=$(shq "$REPO")"
    echo "ICD=$(shq "$ICD")"
    echo "SINK=$(shq "$SINK")"
    echo "HOLD=$(shq "$HOLD")"
    echo "SHOWN_RE=$(shq "$SHOWN_RE")"
    echo "VKMS=$(shq "$VKMS")"
    echo "CAMERA_LOSS=$(shq "$CAMERA_LOSS")"
    echo "VIVID_CTL=$(shq "$VIVID_CTL")"
    printf 'set -- %s' "$(shq "$BATON_RUN")"
    for a in "$@"; do printf ' %s' "$(shq "$a")"; done
    printf ' --sink %s' "$(shq "$SINK")"
    [ -z "$HOLD" ] || printf ' --hold %s' "$(shq "$HOLD")"
    [ "$VKMS" = 1 ] && printf ' --json /tmp/run.json'
    echo
    # ALLOC=1: the steady-state allocation count instead of baton-run
    [ "$ALLOC" = 1 ] && printf 'set -- env BATON_ALLOC_SINK=%s %s\n' "$(shq "$SINK")" \
        "$(shq "$BUILD_ABS/tests/check_pipeline_alloc")"
} > "$ROOT/guest-env.sh"

# Runs inside `chroot /host` (the host's /bin/sh and tools).
cat > "$ROOT/guest-run.sh" <<'EOF'
#!/bin/sh
. /tmp/guest-env.sh
export PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin HOME=/tmp
up() { cut -d' ' -f1 /proc/uptime; }
since() { awk -v a="$1" -v b="$(up)" 'BEGIN { printf "%.1f", b - a }'; }
cd "$REPO" || { echo "KTEST FAIL chroot: no $REPO on the share"; echo "KTEST EXIT 127"; exit 1; }
out=/tmp/baton-run.out
t0=$(up)
echo "KTEST RUN START at $t0 s: VK_ICD_FILENAMES=$ICD $*"
VK_ICD_FILENAMES=$ICD "$@" > "$out" 2>&1 &
pid=$!
shown=""
# CAMERA_LOSS=1: the camera stalls, comes back, is unplugged and plugged in again
frames_done() { sed -n 's/.*baton-run: \([0-9][0-9]*\)\/[0-9]* frames.*/\1/p' "$out" | tail -n 1; }
wait_frames() { # until progress shows more than $1 frames done; at most $2 s
    i=0
    while [ $i -lt $(($2 * 5)) ]; do
        n=$(frames_done)
        [ -n "$n" ] && [ "$n" -gt "$1" ] && return 0
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 0.2
        i=$((i + 1))
    done
    return 1
}
camera_faults() {
    wait_frames 0 90 || { echo "KTEST CAMERA FAULT: frames never flowed"; return; }
    echo "KTEST CAMERA STALL at $(since "$t0") s, $(frames_done) frames done: vivid 'Percentage of Dropped Buffers' = 100"
    "$VIVID_CTL" /dev/video0 "Percentage of Dropped Buffers" 100 || { echo "KTEST CAMERA FAULT: setting it failed"; return; }
    sleep 3
    "$VIVID_CTL" /dev/video0 "Percentage of Dropped Buffers" 0 || { echo "KTEST CAMERA FAULT: setting it back failed"; return; }
    n=$(frames_done)
    echo "KTEST CAMERA STALL END at $(since "$t0") s, $n frames done: 'Percentage of Dropped Buffers' = 0"
    wait_frames $((n + 10)) 90 || { echo "KTEST CAMERA FAULT: frames did not flow again after the stall"; return; }
    echo "KTEST CAMERA UNPLUG at $(since "$t0") s, $(frames_done) frames done: vivid 'Disconnect'"
    n=$(frames_done)
    "$VIVID_CTL" /dev/video0 Disconnect || { echo "KTEST CAMERA FAULT: Disconnect failed"; return; }
    # back only once baton-run closed its fd (vivid re-registers on the last close)
    wait_frames $((n + 10)) 90 ||
        { echo "KTEST CAMERA FAULT: no frames after the Disconnect (baton-run kept the node open?)"; return; }
    echo "KTEST CAMERA REPLUG at $(since "$t0") s, $(frames_done) frames done: frames flow again from the reopened node"
}
fpid=""
if [ "$CAMERA_LOSS" = 1 ]; then
    camera_faults &
    fpid=$!
fi
# The shell reaps the finished child while it waits for `sleep`, so kill -0
# fails once baton-run is gone.
state=/sys/kernel/debug/dri/${DRI_MINOR:-0}/state
# what the kernel scans out now: the CRTC's mode and the primary plane's fb
print_state() {
    [ -r "$state" ] || return 0
    grep -E 'plane\[|crtc\[|fb=|allocated by|format=|size=|mode:|enable=|active=' \
        "$state" | sed 's/^[[:space:]]*/KTEST STATE /'
}
while kill -0 "$pid" 2>/dev/null; do
    if [ -z "$shown" ] && [ -n "$SHOWN_RE" ] && grep -Eq "$SHOWN_RE" "$out"; then
        shown=$(up)
        echo "KTEST DRM SHOWN $(since "$t0") s after the start: $(grep -E "$SHOWN_RE" "$out" | head -n 1)"
        print_state
    fi
    # VKMS=1 (no screendump): report once when a baton-run buffer is on a plane
    if [ -z "$shown" ] && [ "$VKMS" = 1 ] && grep -q 'allocated by = baton-run' "$state" 2>/dev/null; then
        shown=$(up)
        echo "KTEST VKMS SCANOUT $(since "$t0") s after the start: a baton-run framebuffer is on a plane of $BATON_DRM_DEVICE"
        print_state
    fi
    sleep 0.2
done
wait "$pid"
rc=$?
[ -z "$fpid" ] || wait "$fpid"
echo "KTEST RUN END baton-run took $(since "$t0") s (uptime $(up) s)"
sed 's/^/KTEST OUT /' "$out"
[ "$VKMS" = 1 ] && [ -r /tmp/run.json ] && sed 's/^/KTEST JSON /' /tmp/run.json
echo "KTEST EXIT $rc"
EOF

cat > "$ROOT/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
up() { cut -d' ' -f1 /proc/uptime; }
fail() { echo "KTEST FAIL $*"; sync; poweroff -f; }
echo "KTEST BOOTED kernel $(uname -r) at $(up) s"
. /guest-env.sh # VKMS
for m in $(cat /modules/order); do
    # vivid: one instance, a single-planar capture node only (/dev/video0)
    args=""; [ "$m" = vivid.ko ] && args="n_devs=1 node_types=0x1 multiplanar=1"
    insmod /modules/$m $args || echo "KTEST FAIL insmod: $m $args"
done
[ -e /sys/class/video4linux ] && for n in /sys/class/video4linux/video*; do
    [ -r "$n/name" ] && echo "KTEST V4L2 NODE $(basename "$n"): $(cat "$n/name")"
done
i=0
while [ $i -lt 100 ] && [ ! -e /sys/class/drm/card0 ]; do sleep 0.1; i=$((i + 1)); done
echo "KTEST DRM NODES $(ls /sys/class/drm | tr '\n' ' ')"
[ -e /sys/class/drm/card0 ] || fail "bochs: no /sys/class/drm/card0"
echo "KTEST DRM DRIVER $(basename "$(readlink /sys/class/drm/card0/device/driver)")"
vkms_card=""
if [ "$VKMS" = 1 ]; then
    # vkms's card: its device is the platform device "vkms" (bound to no
    # driver, so no device/driver link); the DRM driver name says vkms too
    i=0
    while [ $i -lt 100 ] && [ -z "$vkms_card" ]; do
        for c in /sys/class/drm/card[0-9]*; do
            case $c in *-*) continue ;; esac
            dev=$(basename "$(readlink -f "$c/device")")
            drv=$(basename "$(readlink "$c/device/driver" 2>/dev/null)")
            [ "$dev" = vkms ] || [ "$drv" = vkms ] && vkms_card=$(basename "$c")
        done
        [ -n "$vkms_card" ] || { sleep 0.1; i=$((i + 1)); }
    done
    for c in /sys/class/drm/card[0-9]*; do
        case $c in *-*) continue ;; esac
        echo "KTEST DRM CARD $(basename "$c"): device $(basename "$(readlink -f "$c/device")"), driver $(basename "$(readlink "$c/device/driver" 2>/dev/null)" 2>/dev/null)"
    done
    dmesg | grep -i -E 'vkms|taint' | sed 's/^/KTEST VKMS DMESG /'
    [ -n "$vkms_card" ] || fail "vkms: no /sys/class/drm/cardN whose device is vkms"
    for c in /sys/class/drm/$vkms_card-*; do
        [ -r "$c/status" ] || continue
        echo "KTEST VKMS CONNECTOR ${c#/sys/class/drm/$vkms_card-}: $(cat "$c/status"), $(cat "$c/enabled"), $(wc -l < "$c/modes") modes: $(head -n 8 "$c/modes" | tr '\n' ' ')..."
    done
    echo "KTEST VKMS CARD /dev/dri/$vkms_card"
fi
for c in /sys/class/drm/card0-*; do
    [ -r "$c/status" ] || continue
    echo "KTEST DRM CONNECTOR ${c#/sys/class/drm/card0-}: $(cat "$c/status"), $(cat "$c/enabled"), modes: $(tr '\n' ' ' < "$c/modes")"
done
[ -r /sys/class/graphics/fb0/name ] &&
    echo "KTEST DRM FBDEV fb0 $(cat /sys/class/graphics/fb0/name) $(cat /sys/class/graphics/fb0/virtual_size)"
ls -l /dev/dri | sed 's/^/KTEST DEV /'
# something to see in a screendump of the console
printf '\n\nbaton check-kernel-drm: guest booted, kernel %s\n' "$(uname -r)" > /dev/tty1

mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=262144 hostroot /host ||
    fail "mount 9p hostroot"
mount -t proc proc /host/proc || fail "mount /host/proc"
mount -t sysfs sysfs /host/sys || fail "mount /host/sys"
mount -t devtmpfs devtmpfs /host/dev || fail "mount /host/dev"
mount -t tmpfs tmpfs /host/tmp || fail "mount /host/tmp"
[ -d /host/run ] && { mount -t tmpfs tmpfs /host/run || fail "mount /host/run"; }
[ -d /host/dev/shm ] || mkdir /host/dev/shm
mount -t tmpfs tmpfs /host/dev/shm || fail "mount /host/dev/shm"
[ -d /host/sys/kernel/debug ] && mount -t debugfs debugfs /host/sys/kernel/debug
. /guest-env.sh
case $REPO in /tmp/*)
    mkdir -p "/host$REPO" && mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=262144 repo "/host$REPO" ||
        fail "mount 9p repo at $REPO" ;;
esac
cp /guest-env.sh /guest-run.sh /host/tmp/
if [ -n "$vkms_card" ]; then
    echo "export BATON_DRM_DEVICE=/dev/dri/$vkms_card DRI_MINOR=${vkms_card#card}" >> /host/tmp/guest-env.sh
fi
echo "KTEST CHROOT ready at $(up) s"
chroot /host /bin/sh /tmp/guest-run.sh
echo "KTEST CHROOT done rc $? at $(up) s"
sync
poweroff -f
EOF
chmod +x "$ROOT/init" "$ROOT/guest-run.sh"
(cd "$ROOT" && find . | cpio -o -H newc --quiet | gzip -1) > "$WORK/initramfs.gz"

# ---- boot ----------------------------------------------------------------
mkfifo "$WORK/mon.in" "$WORK/mon.out"
# commands go in through fd 3, held open read-write: a write never blocks,
# not even when QEMU has gone; the replies are collected for the log
exec 3<> "$WORK/mon.in"
cat "$WORK/mon.out" > "$WORK/monitor.log" &
MPID=$!
LOG=$WORK/console.log
: > "$LOG"
say "booting $KERNEL ($KVER) with accel $ACCEL, bochs-display, / over 9p; initramfs $(du -h "$WORK/initramfs.gz" | cut -f1)"
say "guest runs: $(sed -n 's/^set -- //p' "$ROOT/guest-env.sh")"
now() { date +%s.%N | cut -c1-14; }
start=$(now)
# QEMU opens both monitor FIFOs read-write, so it never blocks on them
timeout -k 10 "$QEMU_TIMEOUT" $QEMU -accel "$ACCEL" -cpu max -m "$QEMU_MEM" -smp "$QEMU_SMP" \
    -display none -vga none -device bochs-display,id=disp -no-reboot -nic none \
    -serial "file:$LOG" -monitor "pipe:$WORK/mon" \
    -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
    $REPO_SHARE \
    -kernel "$KERNEL" -initrd "$WORK/initramfs.gz" \
    -append "console=ttyS0 panic=-1 loglevel=4 rdinit=/init" > "$WORK/qemu.log" 2>&1 &
QPID=$!

elapsed() { awk -v a="$start" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
seen() { grep -q "$1" "$LOG"; }

# screendump FILE: ask the monitor for it and wait until the file holds the
# whole image (the size its header announces); 0 when it does
screendump() {
    rm -f "$1"
    printf 'screendump %s\n' "$1" >&3
    n=0
    while [ $n -lt 200 ]; do
        if [ -s "$1" ] && [ "$(head -n 3 "$1" 2>/dev/null | wc -l)" -eq 3 ]; then
            # shellcheck disable=SC2046 # "W H" from the header, split on purpose
            set -- "$1" $(head -n 2 "$1" | tail -n 1)
            want=$(($(head -n 3 "$1" | wc -c) + ${2:-0} * ${3:-0} * 3))
            [ "$(wc -c < "$1")" -eq "$want" ] && [ "$want" -gt 20 ] && return 0
        fi
        kill -0 "$QPID" 2>/dev/null || return 1
        sleep 0.1
        n=$((n + 1))
    done
    return 1
}

t_boot="" t_start="" t_shown="" shown_ok="" poll_next=0 poll_frame="" poll_at=""
while kill -0 "$QPID" 2>/dev/null; do
    if [ -z "$t_boot" ] && seen 'KTEST BOOTED'; then t_boot=$(elapsed); fi
    if [ -z "$t_start" ] && seen 'KTEST RUN START'; then t_start=$(elapsed); fi
    if [ -n "$t_start" ] && seen 'KTEST DRM SHOWN'; then
        t_shown=$(elapsed)
        if screendump "$WORK/screen.ppm"; then shown_ok=1; fi
        say "screendump at KTEST DRM SHOWN (${t_shown} s after boot start): $([ -n "$shown_ok" ] && echo "done" || echo FAILED)"
        seen 'KTEST RUN END' && say "note: baton-run had already ended when the dump was taken"
        if [ "$UNPLUG" = 1 ] || [ "$DISPLAY_LOSS" = 1 ]; then
            printf 'device_del disp\n' >&3
            t_unplug=$(elapsed)
            say "device_del disp sent at ${t_unplug} s: the bochs card is being unplugged under the sink"
            while kill -0 "$QPID" 2>/dev/null && ! seen 'KTEST RUN END'; do sleep 0.2; done
            t_unplug_end=$(elapsed)
        fi
        break
    fi
    if [ -n "$t_start" ] && [ "$POLL_S" != 0 ] && ! seen 'KTEST RUN END' &&
        [ "$(date +%s)" -ge "$poll_next" ]; then
        poll_next=$(($(date +%s) + POLL_S))
        if screendump "$WORK/poll.ppm"; then
            "$CHECK" "$WORK/poll.ppm" "$FORMAT" "$SIZE" > "$WORK/poll.check" 2>&1 || true
            if grep -q ' shows frame ' "$WORK/poll.check"; then
                cp "$WORK/poll.ppm" "$WORK/poll-last.ppm"
                poll_frame=$(sed -n 's/.* shows frame \([0-9]*\).*/\1/p' "$WORK/poll.check")
                poll_at=$(elapsed)
            fi
        fi
    fi
    sleep 0.2
done
set +e
wait "$QPID"
rc=$?
set -e
QPID=""
end=$(elapsed)
kill "$MPID" 2>/dev/null || true
MPID=""
cp "$WORK/monitor.log" "$BUILD/kernel/drm-monitor.log"

tr -d '\r' < "$LOG" > "$BUILD/kernel/drm-console.log"
sed -n 's/^.*\(KTEST [A-Z]\)/\1/p' "$BUILD/kernel/drm-console.log" > "$BUILD/kernel/drm-ktest.log"
cat "$BUILD/kernel/drm-ktest.log"
say "QEMU ran $end s (exit $rc); host clock: /init reached after ${t_boot:-?} s, baton-run started after ${t_start:-?} s"
[ -s "$WORK/qemu.log" ] && sed 's/^/qemu: /' "$WORK/qemu.log"
[ $rc -eq 124 ] && die "QEMU ran past ${QEMU_TIMEOUT} s (console: $BUILD/kernel/drm-console.log)"
K=$BUILD/kernel/drm-ktest.log
grep -q '^KTEST BOOTED' "$K" ||
    die "the kernel never reached /init (console: $BUILD/kernel/drm-console.log)"
grep -q '^KTEST FAIL' "$K" && die "$(grep '^KTEST FAIL' "$K" | head -n 1)"
if grep -Eq '^KTEST OUT .*(ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|SUMMARY: [A-Za-z]*Sanitizer)' "$K"; then
    die "a sanitizer reported an error in baton-run (see the KTEST OUT lines above)"
fi
[ "${SANITIZED:-0}" = 1 ] && say "sanitized build: no ASan/UBSan/LSan report"
exitline=$(grep '^KTEST EXIT ' "$K" | tail -n 1)
[ -n "$exitline" ] || die "no KTEST EXIT line: the guest command crashed or hung (console: $BUILD/kernel/drm-console.log)"
g_boot=$(sed -n 's/^KTEST BOOTED .* at \([0-9.]*\) s$/\1/p' "$K")
g_chroot=$(sed -n 's/^KTEST CHROOT ready at \([0-9.]*\) s$/\1/p' "$K")
g_run=$(sed -n 's/^KTEST RUN END baton-run took \([0-9.]*\) s.*/\1/p' "$K")
say "timings (guest uptime): /init at ${g_boot:-?} s, modules + 9p chroot ready at ${g_chroot:-?} s, baton-run took ${g_run:-?} s"

# ---- vkms: paced by vblanks ----------------------------------------------------
# Only counters and vblank sequence numbers are checked, never wall-clock
# times: the intervals and frames per second are figures for the reader.
if [ "$VKMS" = 1 ]; then
    [ "$exitline" = "KTEST EXIT 0" ] || die "baton-run in the guest: ${exitline#KTEST } (see the KTEST OUT lines above)"
    card=$(sed -n 's/^KTEST VKMS CARD //p' "$K" | head -n 1)
    [ -n "$card" ] || die "the guest found no vkms card"
    grep -q "^KTEST OUT   frames: *$FRAMES of $FRAMES\$" "$K" || die "baton-run did not show all $FRAMES frames"
    grep -q '^KTEST OUT   trace: .*matches plan' "$K" || die "the trace does not match the plan"
    disp=$(sed -n 's/^KTEST OUT   display: *//p' "$K" | head -n 1)
    [ -n "$disp" ] || die "baton-run printed no display: line"
    case $disp in
    *"on $card (vkms)"*) ;;
    *) die "the display is not vkms on $card: $disp" ;;
    esac
    case $disp in *"counts no vblanks"*) die "vkms counts no vblanks?: $disp" ;; esac
    vbl=$(sed -n 's/^KTEST OUT   vblanks: *//p' "$K" | head -n 1)
    [ -n "$vbl" ] || die "baton-run printed no vblanks: line"
    # "120 page-flip events (last 64: interval ...), 0 missed"
    v_total=$(echo "$vbl" | sed -n 's/^\([0-9]*\) .*/\1/p')
    v_missed=$(echo "$vbl" | sed -n 's/.*, \([0-9]*\) missed$/\1/p')
    case $vbl in
    *"(no vblank IRQ)"*) die "the flips were not paced by vblanks: $vbl" ;;
    *" page-flip events"*) ;;
    *) die "the vblank records are not from page-flip events: $vbl" ;;
    esac
    # every frame is flipped and every flip's completion waited for (the
    # last one's too): exactly FRAMES events
    [ "$v_total" = "$FRAMES" ] || die "$FRAMES frames but ${v_total:-?} page-flip events: $vbl"
    json=$(sed -n 's/^KTEST JSON //p' "$K" | head -n 1)
    [ -n "$json" ] || die "no KTEST JSON line (baton-run --json /tmp/run.json)"
    j_num() { echo "$json" | sed -n "s/.*\"$1\":\([0-9.e+-]*\).*/\1/p" | head -n 1; }
    [ "$(j_num vblanks)" = "$FRAMES" ] || die "the JSON's display says vblanks $(j_num vblanks), want $FRAMES"
    echo "$json" | sed -n 's/.*"vblank_records":\[\([^]]*\)\].*/\1/p' | tr '{' '\n' |
        sed -n 's/^"frame":\([0-9]*\),"sequence":\([0-9]*\),"ns":\([0-9]*\)}.*/\1 \2 \3/p' \
            > "$BUILD/kernel/vkms-vblanks.txt"
    nrec=$(wc -l < "$BUILD/kernel/vkms-vblanks.txt")
    want=$((FRAMES < 64 ? FRAMES : 64)) # BATON_DISPLAY_VBLANKS_KEEP
    [ "$nrec" -eq "$want" ] || die "the JSON has $nrec vblank records, want $want (the last $want frames)"
    # consecutive frames ending with the last; strictly increasing sequences;
    # the steps between sequences as figures
    verdict=$(awk -v last="$LAST" -v n="$nrec" '
        NR == 1 { f0 = $1 - 1; s0 = $2; first = $2 }
        {
            if ($1 != f0 + 1) { print "BAD frames " f0 " then " $1; bad = 1; exit }
            if (NR > 1 && $2 <= s0) { print "BAD frame " $1 " at vblank " $2 " after vblank " s0; bad = 1; exit }
            if (NR > 1) { d = $2 - s0; step[d > 3 ? 4 : d]++ }
            f0 = $1; s0 = $2
        }
        END {
            if (bad) exit
            if (f0 != last) { print "BAD the last record is frame " f0 ", not " last; exit }
            printf "OK frames %d..%d at vblanks %d..%d: %d vblanks for %d flips; steps +1: %d, +2: %d, +3: %d, more: %d\n",
                last - n + 1, last, first, s0, s0 - first, n - 1, step[1], step[2], step[3], step[4]
        }' "$BUILD/kernel/vkms-vblanks.txt")
    case $verdict in
    OK*) ;;
    *) die "vblank_records ($BUILD/kernel/vkms-vblanks.txt): ${verdict#BAD }" ;;
    esac
    say "vkms display: $disp"
    say "vkms vblanks: $vbl"
    say "vkms vblank_records: every flip on a vblank of its own, ${verdict#OK }"
    say "figures (not checked): ${v_missed:-?} flips past the 3-period completion bound; $(sed -n 's/^KTEST OUT   frames per second: *//p' "$K") frames per second; vblank interval p50 $(j_num vblank_interval_p50_ms) ms, max $(j_num vblank_interval_max_ms) ms, refresh period $(j_num refresh_period_ms) ms; latency $(sed -n 's/^KTEST OUT   latency: *//p' "$K")"
    say "OK: $FRAMES frames page-flipped on vkms ($card), $v_total flip events on strictly increasing vblanks"
    exit 0
fi

# ---- no allocation per frame -------------------------------------------------
if [ "$ALLOC" = 1 ]; then
    [ -x "$BUILD_ABS/tests/check_pipeline_alloc" ] || die "no $BUILD_ABS/tests/check_pipeline_alloc (make check first)"
    [ "$exitline" = "KTEST EXIT 0" ] || die "check_pipeline_alloc in the guest: ${exitline#KTEST } (see the KTEST OUT lines above)"
    # the counter's line: "... steady-state frames: 0 allocation/fd calls on the driving
    # thread, 0 on baton's threads, 0 Vulkan objects, 0 CUDA objects created (...)"
    n=$(grep -c "^KTEST OUT CPU stage, .*, sink $SINK: [0-9]* steady-state frames: 0 allocation/fd calls on the driving thread, 0 on baton's threads, 0 Vulkan objects, 0 CUDA objects" "$K" || true)
    [ "$n" -eq 4 ] || die "$n of 4 steady-state counts with sink $SINK came out zero (see above)"
    grep '^KTEST OUT CPU stage, .*, sink ' "$K" | sed 's/^KTEST OUT /check-kernel-drm: /'
    say "OK: the drm sink ($SINK) on bochs-drm allocates nothing per frame (4 configurations)"
    exit 0
fi

# ---- display loss ------------------------------------------------------------
if [ "$UNPLUG" = 1 ]; then
    [ -n "${t_unplug:-}" ] || die "the unplug was never sent (no KTEST DRM SHOWN: frames never flowed?)"
    [ -n "$shown_ok" ] || die "no screendump before the unplug"
    cp "$WORK/screen.ppm" "$BUILD/kernel/screen-before-unplug.ppm"
    "$CHECK" "$BUILD/kernel/screen-before-unplug.ppm" "$FORMAT" "$SIZE" ||
        die "before the unplug the screen showed no pattern frame"
    took=$(awk -v a="$t_unplug" -v b="$t_unplug_end" 'BEGIN { printf "%.1f", b - a }')
    say "baton-run ended ${took} s after device_del (bound ${UNPLUG_BOUND_S} s)"
    awk -v t="$took" -v b="$UNPLUG_BOUND_S" 'BEGIN { exit !(t <= b) }' ||
        die "baton-run took ${took} s to notice the unplug (bound ${UNPLUG_BOUND_S} s)"
    grep -q '^KTEST CHROOT done' "$K" || die "the guest did not get back from the chroot after the unplug"
    [ "$exitline" = "KTEST EXIT 1" ] ||
        die "baton-run in the guest after the unplug: ${exitline#KTEST } (want EXIT 1, see above)"
    lost=$(grep '^KTEST OUT .*drm sink: display .* lost' "$K" | head -n 1)
    [ -n "$lost" ] || die "baton-run exited 1 but not with 'drm sink: display ... lost' (see above)"
    if grep -Eq '^KTEST OUT .*(Segmentation|Aborted|core dumped|AddressSanitizer)' "$K"; then
        die "baton-run crashed after the unplug"
    fi
    say "OK: unplugged display reported: ${lost#KTEST OUT }"
    exit 0
fi

# ---- display loss, going on headless (--on-display-loss headless) -------------
if [ "$DISPLAY_LOSS" = 1 ]; then
    [ -n "${t_unplug:-}" ] || die "the unplug was never sent (no KTEST DRM SHOWN: frames never flowed?)"
    [ -n "$shown_ok" ] || die "no screendump before the unplug"
    cp "$WORK/screen.ppm" "$BUILD/kernel/screen-before-unplug.ppm"
    "$CHECK" "$BUILD/kernel/screen-before-unplug.ppm" "$FORMAT" "$SIZE" ||
        die "before the unplug the screen showed no pattern frame"
    grep -q '^KTEST CHROOT done' "$K" || die "the guest did not get back from the chroot after the unplug"
    if grep -Eq '^KTEST OUT .*(Segmentation|Aborted|core dumped|AddressSanitizer)' "$K"; then
        die "baton-run crashed after the unplug"
    fi
    [ "$exitline" = "KTEST EXIT 0" ] ||
        die "baton-run --on-display-loss headless after the unplug: ${exitline#KTEST } (want EXIT 0, see above)"
    grep -q "^KTEST OUT   frames: *$FRAMES of $FRAMES\$" "$K" || die "baton-run did not finish its $FRAMES frames"
    loss=$(sed -n 's/^KTEST OUT   display loss: *//p' "$K" | head -n 1)
    case $loss in
    "headless: display lost at frame "*"drm sink: display "*" lost"*) ;;
    *) die "baton-run's display loss row: '${loss:-(none)}', want 'headless: display lost at frame N ...'" ;;
    esac
    n=$(grep -c '^KTEST OUT baton: drm sink: display .* lost .*on_display_lost = HEADLESS' "$K" || true)
    [ "$n" -eq 1 ] || die "the display loss was reported $n times on stderr, want once"
    grep -q '^KTEST OUT   display: *headless$' "$K" || die "the display row does not say headless after the loss"
    grep -q '^KTEST OUT   trace: .*matches plan' "$K" || die "the trace does not match the plan"
    say "display loss: $loss"
    say "$(grep '^KTEST OUT baton: drm sink: display' "$K" | sed 's/^KTEST OUT //')"
    say "$(sed -n 's/^KTEST OUT   accounted: *//p' "$K" | head -n 1); trace: $(sed -n 's/^KTEST OUT   trace: *//p' "$K" | head -n 1)"
    say "OK: the bochs card unplugged under the drm sink, baton-run went on headless and finished its $FRAMES frames"
    exit 0
fi

# ---- camera loss, resynchronised (--on-camera-loss resync) --------------------
if [ "$CAMERA_LOSS" = 1 ]; then
    grep -q '^KTEST CAMERA FAULT' "$K" && die "$(grep '^KTEST CAMERA FAULT' "$K" | head -n 1)"
    for step in "STALL" "STALL END" "UNPLUG" "REPLUG"; do
        grep -q "^KTEST CAMERA $step at " "$K" || die "the guest never got to the camera's $step"
    done
    if grep -Eq '^KTEST OUT .*(Segmentation|Aborted|core dumped|AddressSanitizer)' "$K"; then
        die "baton-run crashed"
    fi
    [ "$exitline" = "KTEST EXIT 0" ] ||
        die "baton-run --on-camera-loss resync: ${exitline#KTEST } (want EXIT 0, see above)"
    grep -q "^KTEST OUT   frames: *$FRAMES of $FRAMES\$" "$K" || die "baton-run did not finish its $FRAMES frames"
    grep -q '^KTEST OUT   trace: .*matches plan' "$K" || die "the trace does not match the plan"
    loss=$(sed -n 's/^KTEST OUT   camera loss: *//p' "$K" | head -n 1)
    case $loss in
    "resync within 30000 ms: 2 resyncs, "*) ;;
    *) die "baton-run's camera loss row: '${loss:-(none)}', want 2 resyncs (the stall and the unplug)" ;;
    esac
    io=$(sed -n 's/^KTEST OUT   source frames: *//p' "$K" | head -n 1)
    case $io in
    "V4L2 USERPTR: the camera writes into staging (no CPU copy)") ;;
    *) die "after the resyncs baton-run's source frames: '${io:-(no such line)}', want V4L2 USERPTR" ;;
    esac
    say "camera loss: $loss"
    say "$(sed -n 's/^KTEST OUT   accounted: *//p' "$K" | head -n 1); trace: $(sed -n 's/^KTEST OUT   trace: *//p' "$K" | head -n 1)"
    say "OK: vivid stalled and came back, was unplugged and plugged in again; baton-run resynchronised both times and finished its $FRAMES frames"
    exit 0
fi

# ---- the camera's picture -------------------------------------------------------
if [ "$CAMERA" = 1 ]; then
    [ -n "$shown_ok" ] || die "no screendump was taken while the last camera frame was held"
    cp "$WORK/screen.ppm" "$BUILD/kernel/screen-camera.ppm"
    [ "$exitline" = "KTEST EXIT 0" ] || die "baton-run in the guest: ${exitline#KTEST } (see the KTEST OUT lines above)"
    grep -q "^KTEST OUT   frames: *$FRAMES of $FRAMES" "$K" || die "baton-run did not show all $FRAMES camera frames"
    grep -q '^KTEST OUT   trace: .*matches plan' "$K" || die "the trace does not match the plan"
    "$CHECK" --colour-bars "$BUILD/kernel/screen-camera.ppm" "$SIZE" 6 ||
        die "the screen ($BUILD/kernel/screen-camera.ppm) does not show vivid's colour bars"
    # vivid (vmalloc) takes USERPTR and the CPU stage's staging is page-aligned:
    # the camera must have written straight into the slots' staging
    io=$(sed -n 's/^KTEST OUT   source frames: *//p' "$K" | head -n 1)
    case $io in
    "V4L2 USERPTR: the camera writes into staging (no CPU copy)") ;;
    *) die "baton-run's source frames: '${io:-(no such line)}', want V4L2 USERPTR" ;;
    esac
    say "source frames: $io; $(sed -n 's/^KTEST OUT   accounted: *//p' "$K" | head -n 1)"
    say "OK: $FRAMES frames from vivid ($SOURCE) through the pipeline onto the bochs display ($SINK)"
    exit 0
fi

# ---- the screen ------------------------------------------------------------
screen=""
if [ -n "$shown_ok" ]; then
    "$CHECK" "$WORK/screen.ppm" "$FORMAT" "$SIZE" > "$WORK/screen.check" 2>&1 || true
    if grep -q ' shows frame ' "$WORK/screen.check" || [ -z "$poll_frame" ]; then
        screen=$WORK/screen.ppm
        say "checking the screendump taken at KTEST DRM SHOWN"
    else
        say "the screendump taken at KTEST DRM SHOWN carries no frame code (the hold was over?)"
    fi
else
    say "no screendump at KTEST DRM SHOWN ($([ -n "$t_shown" ] && echo "it failed" || echo "the guest never printed it: SHOWN_RE did not match baton-run's output while it ran"))"
    case $HOLD in '' | 0) say "note: HOLD=${HOLD:-(empty)}: without a hold the console is back as soon as baton-run exits" ;; esac
fi
if [ -z "$screen" ] && [ -n "$poll_frame" ]; then
    screen=$WORK/poll-last.ppm
    say "checking instead the newest periodic screendump with a frame code, taken ${poll_at} s after boot start (it showed frame $poll_frame)"
fi
if [ -z "$screen" ] && [ -f "$WORK/poll.ppm" ]; then
    screen=$WORK/poll.ppm
    say "checking the last periodic screendump (none carried a frame code)"
fi
[ -n "$screen" ] || die "no screendump was taken (monitor log: $BUILD/kernel/drm-monitor.log)"
cp "$screen" "$BUILD/kernel/screen.ppm"
set +e
"$CHECK" "$BUILD/kernel/screen.ppm" "$FORMAT" "$SIZE" "$LAST"
crc=$?
set -e
[ "$exitline" = "KTEST EXIT 0" ] || die "baton-run in the guest: ${exitline#KTEST } (see the KTEST OUT lines above)"
[ $crc -eq 0 ] || die "the screen ($BUILD/kernel/screen.ppm) does not show the $FORMAT $SIZE pattern frame $LAST (sink $SINK)"
say "OK: sink $SINK put frame $LAST on the bochs display, matching the reference"
