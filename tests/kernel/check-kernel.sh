#!/bin/sh
# check-kernel.sh - the V4L2 source against a real kernel driver (vivid).
#
# Boots Debian's kernel under QEMU (KVM when usable, else software
# emulation) with a tiny initramfs: busybox, vivid and its dependencies,
# and a static test program (tests/kernel/kernel_v4l2_test.c, built from
# runtime/sources/source_v4l2.c + v4l2_userptr.c + format.c + error.c, no
# Vulkan). The program streams frames from vivid's capture node through the
# source (format negotiation incl. a FOURCC in the spec and a size the
# driver adjusts, increasing sequence numbers and timestamps, NEWEST drops),
# then bound with USERPTR to page-aligned buffers (the camera writes into
# them; released from a second thread), the refusal on a second vivid
# instance without USERPTR (allocators=1), and unplugs both; it prints
# "KTEST PASS|FAIL ..." lines to the serial console, which this script
# parses. (The drm sink's test against bochs-drm and vkms is
# tests/kernel/check-kernel-drm.sh; both use tests/kernel/kernel-vm.sh.)
#
# Needs (Debian): linux-image-amd64 qemu-system-x86 busybox-static kmod
#   (--install-deps installs them).
# Environment: KVER (default: newest in /lib/modules with vivid), BUILD
#   (default build), QEMU_TIMEOUT seconds (default 600), KEEP=1 keeps the
#   work directory.
# Exit: 0 all checks passed; 1 a check failed or the boot went wrong;
#   77 something this needs is missing (says what).
set -eu
cd "$(dirname "$0")/../.."

if [ "${1:-}" = "--install-deps" ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends linux-image-amd64 qemu-system-x86 \
        busybox-static kmod
fi

BUILD=${BUILD:-build}
QEMU_TIMEOUT=${QEMU_TIMEOUT:-600}
skip() { echo "check-kernel: SKIP: $*"; exit 77; }
die() { echo "check-kernel: FAIL: $*"; exit 1; }

. tests/kernel/kernel-vm.sh
kvm_find_kernel vivid
kvm_find_tools

WORK=$(mktemp -d /tmp/baton-check-kernel.XXXXXX)
[ "${KEEP:-}" = 1 ] || trap 'rm -rf "$WORK"' EXIT
ROOT=$WORK/root
mkdir -p "$ROOT/bin" "$ROOT/modules" "$ROOT/proc" "$ROOT/sys" "$ROOT/dev" "$ROOT/tmp"

# the test program: just the runtime objects it needs, static, no Vulkan
CFLAGS_K="-std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wconversion \
-Wstrict-prototypes -Wmissing-prototypes -Wno-format-truncation -O2 -Iinclude -Iruntime"
mkdir -p "$BUILD/kernel"
# shellcheck disable=SC2086
${CC:-gcc} $CFLAGS_K -static -o "$BUILD/kernel/kernel_v4l2_test" tests/kernel/kernel_v4l2_test.c \
    runtime/sources/source_v4l2.c runtime/sources/v4l2_userptr.c runtime/core/format.c \
    runtime/core/error.c ||
    die "building the static test program failed"
cp "$BUILD/kernel/kernel_v4l2_test" "$ROOT/bin/"
cp "$BUSYBOX" "$ROOT/bin/busybox"

# vivid with its dependencies, in load order
missing=$(kvm_collect_modules "$ROOT/modules" vivid) || skip "kernel $KVER has no module $missing"
grep -qx vivid.ko "$ROOT/modules/order" || die "could not collect vivid.ko for $KVER"

cat > "$ROOT/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
echo "KTEST BOOTED kernel $(uname -r)"
for m in $(cat /modules/order); do
    # vivid: two instances, single-planar capture + output nodes; the first
    # allocates with vmalloc (USERPTR offered), the second with dma-contig
    # (no USERPTR: the source must fall back to MMAP + copy)
    args=""; [ "$m" = vivid.ko ] && args="n_devs=2 node_types=0x101,0x101 multiplanar=1,1 allocators=0,1"
    insmod /modules/$m $args || echo "KTEST FAIL insmod: $m $args"
done
cap=""; out=""; cap2=""
i=0
while [ $i -lt 100 ] && { [ -z "$cap" ] || [ -z "$cap2" ]; }; do
    for n in /sys/class/video4linux/video*; do
        [ -r "$n/name" ] || continue
        case "$(cat "$n/name")" in
        *000-vid-cap*) cap=/dev/$(basename "$n") ;;
        *000-vid-out*) out=/dev/$(basename "$n") ;;
        *001-vid-cap*) cap2=/dev/$(basename "$n") ;;
        esac
    done
    { [ -n "$cap" ] && [ -n "$cap2" ]; } || { sleep 0.1; i=$((i + 1)); }
done
for n in /sys/class/video4linux/video*; do echo "KTEST NODE $(basename $n): $(cat $n/name)"; done
if [ -z "$cap" ]; then
    echo "KTEST FAIL vivid: no capture node appeared"
    echo "KTEST RESULT: 0 passed, 1 failed"
else
    [ -n "$cap2" ] || echo "KTEST FAIL vivid: no second capture node (allocators=1) appeared"
    /bin/kernel_v4l2_test "$cap" "${out:+v4l2:$out}" $cap2
    echo "KTEST EXIT $?"
fi
sync
poweroff -f
EOF
chmod +x "$ROOT/init"
(cd "$ROOT" && find . | cpio -o -H newc --quiet | gzip -1) > "$WORK/initramfs.gz"

echo "check-kernel: booting $KERNEL ($KVER) with accel $ACCEL; initramfs $(du -h "$WORK/initramfs.gz" | cut -f1)"
LOG=$WORK/console.log
start=$(date +%s)
set +e
timeout -k 10 "$QEMU_TIMEOUT" qemu-system-x86_64 -accel "$ACCEL" -m 768 -smp 2 \
    -nographic -no-reboot -nic none \
    -kernel "$KERNEL" -initrd "$WORK/initramfs.gz" \
    -append "console=ttyS0 panic=-1 loglevel=4 rdinit=/init" < /dev/null > "$LOG" 2>&1
rc=$?
set -e
echo "check-kernel: QEMU ran $(( $(date +%s) - start )) s (exit $rc)"
# the firmware's terminal escapes may precede the first line: keep from KTEST on
mkdir -p "$BUILD/kernel" && tr -d '\r' < "$LOG" > "$BUILD/kernel/console.log"
sed -n 's/^.*\(KTEST [A-Z]\)/\1/p' "$BUILD/kernel/console.log" > "$BUILD/kernel/ktest.log"
cat "$BUILD/kernel/ktest.log"
[ $rc -eq 124 ] && die "QEMU ran past ${QEMU_TIMEOUT} s (console: $BUILD/kernel/console.log)"
grep -q '^KTEST BOOTED' "$BUILD/kernel/ktest.log" ||
    die "the kernel never reached /init (console: $BUILD/kernel/console.log)"
res=$(grep '^KTEST RESULT: ' "$BUILD/kernel/ktest.log" | tail -n 1)
[ -n "$res" ] || die "no KTEST RESULT line: the test program crashed or hung (console: $BUILD/kernel/console.log)"
grep -q '^KTEST FAIL' "$BUILD/kernel/ktest.log" && die "$res"
grep -q '^KTEST EXIT 0$' "$BUILD/kernel/ktest.log" || die "the test program did not exit 0"
echo "check-kernel: OK: ${res#KTEST RESULT: }"
