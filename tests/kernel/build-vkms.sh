#!/bin/sh
# build-vkms.sh - vkms.ko, the kernel's virtual KMS driver, built as an
# external module for an installed Debian kernel that does not ship it.
#
# Debian's kernels leave CONFIG_DRM_VKMS unset, yet vkms is the one KMS
# driver in a VM that emulates vblanks (an hrtimer at the mode's refresh):
# its page flips complete at real vblanks with real sequence numbers, which
# bochs (no vblank interrupt) cannot give. tests/kernel/check-kernel-drm.sh VKMS=1
# tests baton's KMS sink against it.
#
# Takes only drivers/gpu/drm/vkms/ (and the top Makefile, for its version)
# out of Debian's kernel source tarball (/usr/src/linux-source-X.Y.tar.xz,
# package linux-source-X.Y), builds it against the kernel's headers
# (/lib/modules/KVER/build, package linux-headers-KVER) with vkms's own
# Makefile:
#   make -C /lib/modules/KVER/build M=<dir> CONFIG_DRM_VKMS=m modules
# strips the debug info (as Debian's packaged modules are) and writes
# $BUILD/kernel/vkms/vkms.ko (the build's output: $BUILD/kernel/vkms/build.log).
# Checks that modpost found every symbol, that the module's vermagic is the
# kernel's (the same as the kernel's own drm.ko) and that every module it
# depends on (modinfo's depends:) exists for KVER as a module or built in
# (modprobe --show-depends -S KVER).
#
# Usage: tests/kernel/build-vkms.sh [--install-deps] [KVER]
#   KVER: default the newest /lib/modules/* that has headers (build/), else
#   the newest with a /boot/vmlinuz-*. --install-deps installs (apt-get)
#   linux-headers-KVER (else linux-headers-amd64), linux-source-X.Y, make,
#   gcc, xz-utils and kmod.
# Environment: BUILD (default build), SRC_TARBALL (default
#   /usr/src/linux-source-X.Y.tar.xz for KVER's X.Y).
# Exit: 0 built and checked; 1 the build or a check failed (says why);
#   77 headers, source or tools missing (says which).
set -eu
cd "$(dirname "$0")/../.."
REPO=$(pwd -P)

skip() { echo "build-vkms: SKIP: $*"; exit 77; }
die() { echo "build-vkms: FAIL: $*"; exit 1; }
say() { echo "build-vkms: $*"; }
now() { date +%s.%N | cut -c1-14; }
secs() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

INSTALL=0
if [ "${1:-}" = "--install-deps" ]; then
    INSTALL=1
    shift
fi
KVER=${1:-${KVER:-}}
if [ -z "$KVER" ]; then
    for d in $(ls -d /lib/modules/*/ 2>/dev/null | sort -V -r); do
        [ -e "$d/build/Makefile" ] && { KVER=$(basename "$d"); break; }
    done
fi
if [ -z "$KVER" ]; then
    for d in $(ls -d /lib/modules/*/ 2>/dev/null | sort -V -r); do
        [ -f "/boot/vmlinuz-$(basename "$d")" ] && { KVER=$(basename "$d"); break; }
    done
fi
[ -n "$KVER" ] || skip "no kernel in /lib/modules (apt-get install linux-image-amd64)"
# X.Y of KVER (6.1.0-56-amd64 -> 6.1): the linux-source-X.Y package
SERIES=$(echo "$KVER" | sed -n 's/^\([0-9]*\.[0-9]*\).*/\1/p')
[ -n "$SERIES" ] || die "cannot tell the kernel series (X.Y) of KVER=$KVER"

if [ "$INSTALL" = 1 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    hdr=linux-headers-$KVER
    if ! apt-cache show "$hdr" > /dev/null 2>&1; then
        say "no package $hdr, installing linux-headers-amd64 (headers for the newest kernel)"
        hdr=linux-headers-amd64
    fi
    apt-get install -y -q --no-install-recommends "$hdr" "linux-source-$SERIES" make gcc \
        xz-utils kmod
fi

BUILD=${BUILD:-build}
case $BUILD in /*) BUILD_ABS=$BUILD ;; *) BUILD_ABS=$REPO/$BUILD ;; esac
KBUILD=/lib/modules/$KVER/build
TARBALL=${SRC_TARBALL:-/usr/src/linux-source-$SERIES.tar.xz}

# ---- what this needs ----------------------------------------------------
[ -d "/lib/modules/$KVER" ] || skip "no /lib/modules/$KVER: kernel $KVER is not installed"
[ -e "$KBUILD/Makefile" ] ||
    skip "no kernel headers for $KVER: $KBUILD/Makefile missing (apt-get install linux-headers-$KVER, or tests/kernel/build-vkms.sh --install-deps)"
[ -f "$KBUILD/.config" ] || skip "the headers in $KBUILD have no .config"
[ -f "$KBUILD/Module.symvers" ] ||
    skip "the headers in $KBUILD have no Module.symvers (symbol versions for modpost)"
[ -r "$TARBALL" ] ||
    skip "no kernel source $TARBALL (apt-get install linux-source-$SERIES, or tests/kernel/build-vkms.sh --install-deps)"
for t in make tar xz modinfo modprobe awk; do
    command -v $t > /dev/null || skip "no $t"
done
command -v "${CC:-gcc}" > /dev/null || skip "no C compiler ${CC:-gcc} (apt-get install gcc)"
if grep -q '^CONFIG_DRM_VKMS=[ym]' "$KBUILD/.config"; then
    say "note: kernel $KVER has vkms itself ($(grep '^CONFIG_DRM_VKMS=' "$KBUILD/.config")); building it anyway"
fi
grep -q '^CONFIG_DRM=[ym]' "$KBUILD/.config" || die "kernel $KVER has no DRM (CONFIG_DRM unset)"
for c in DRM_KMS_HELPER DRM_GEM_SHMEM_HELPER; do
    # vkms's Kconfig selects these; an external build cannot turn them on
    grep -q "^CONFIG_$c=[ym]" "$KBUILD/.config" ||
        die "kernel $KVER lacks CONFIG_$c, which vkms needs (its Kconfig selects it)"
done

# ---- versions ----------------------------------------------------------------
pkgver() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || true; }
hdr_ver=$(sed -n 's/^#define UTS_VERSION "\(.*\)"/\1/p' "$KBUILD/include/generated/utsversion.h" \
    "$KBUILD/include/generated/compile.h" 2>/dev/null | head -n 1)
hdr_deb=$(pkgver "linux-headers-$KVER")
img_deb=$(pkgver "linux-image-$KVER")
src_deb=$(pkgver "linux-source-$SERIES")

start=$(now)
OUT=$BUILD_ABS/kernel/vkms
SRC=$OUT/src
rm -rf "$SRC"
mkdir -p "$SRC"
# the tarball's top directory (linux-source-6.1): from its first entry
top=$(tar -tJf "$TARBALL" 2>/dev/null | head -n 1)
top=${top%%/*}
[ -n "$top" ] || die "cannot list $TARBALL"
t0=$(now)
tar -xJf "$TARBALL" -C "$SRC" --strip-components=1 "$top/drivers/gpu/drm/vkms/" "$top/Makefile" ||
    die "$TARBALL has no $top/drivers/gpu/drm/vkms/"
t_extract=$(secs "$t0")
src_ver=$(awk '/^VERSION =/ { v = $3 } /^PATCHLEVEL =/ { p = $3 } /^SUBLEVEL =/ { s = $3 }
    END { printf "%s.%s.%s", v, p, s }' "$SRC/Makefile")
# the headers' upstream version: linux-headers-KVER's Makefile includes the
# -common package's, which carries VERSION/PATCHLEVEL/SUBLEVEL
hdr_mk=$(sed -n 's/^include \(.*\/Makefile\)$/\1/p' "$KBUILD/Makefile" | head -n 1)
[ -n "$hdr_mk" ] && [ -r "$hdr_mk" ] || hdr_mk=$KBUILD/Makefile
hdr_upstream=$(awk '/^VERSION =/ { v = $3 } /^PATCHLEVEL =/ { p = $3 } /^SUBLEVEL =/ { s = $3 }
    END { printf "%s.%s.%s", v, p, s }' "$hdr_mk")
say "kernel $KVER: image ${img_deb:-?} (Debian package), headers ${hdr_deb:-?} in $KBUILD (upstream $hdr_upstream; ${hdr_ver:-no UTS_VERSION})"
say "source $TARBALL: linux-source-$SERIES ${src_deb:-?}, upstream $src_ver (its Makefile)"
if [ "$src_ver" != "$hdr_upstream" ] || { [ -n "$src_deb" ] && [ -n "$hdr_deb" ] && [ "$src_deb" != "$hdr_deb" ]; }; then
    say "WARNING: the source ($src_ver, ${src_deb:-?}) is not the headers' version ($hdr_upstream, ${hdr_deb:-?}):"
    say "WARNING: vkms is compiled against the headers, but its own code is from the source; a"
    say "WARNING: change to vkms or to DRM's internal API between the two can break the build or the module"
else
    say "source and headers are the same version ($src_ver, ${src_deb:-?})"
fi
say "extracted $top/drivers/gpu/drm/vkms/ ($(ls "$SRC/drivers/gpu/drm/vkms" | tr '\n' ' ')) in ${t_extract} s"

# ---- build -------------------------------------------------------------------
DIR=$SRC/drivers/gpu/drm/vkms
case $DIR in *' '*) die "kbuild cannot build in a path with spaces: $DIR" ;; esac
JOBS=$(nproc 2> /dev/null || echo 2)
say "make -C $KBUILD M=$DIR CONFIG_DRM_VKMS=m -j$JOBS modules"
t0=$(now)
set +e
make -C "$KBUILD" M="$DIR" CONFIG_DRM_VKMS=m -j"$JOBS" modules > "$OUT/build.log" 2>&1
rc=$?
set -e
t_build=$(secs "$t0")
if [ $rc -ne 0 ]; then
    tail -n 30 "$OUT/build.log"
    die "make failed (exit $rc) after ${t_build} s; whole output: $OUT/build.log"
fi
if grep -E 'WARNING: modpost: .*undefined!|ERROR: modpost' "$OUT/build.log"; then
    die "modpost: vkms uses symbols kernel $KVER does not export (above; $OUT/build.log)"
fi
[ -f "$DIR/vkms.ko" ] || die "make succeeded but wrote no $DIR/vkms.ko ($OUT/build.log)"
${STRIP:-strip} --strip-debug -o "$OUT/vkms.ko" "$DIR/vkms.ko" 2> /dev/null ||
    cp "$DIR/vkms.ko" "$OUT/vkms.ko"
say "built in ${t_build} s: $OUT/vkms.ko ($(wc -c < "$OUT/vkms.ko") bytes, debug info stripped; unstripped $(wc -c < "$DIR/vkms.ko"))"

# ---- checks ------------------------------------------------------------------
vermagic=$(modinfo -F vermagic "$OUT/vkms.ko" | sed 's/ *$//')
[ "${vermagic%% *}" = "$KVER" ] || die "vkms.ko's vermagic '$vermagic' is not for $KVER"
ref=$(modinfo -k "$KVER" -F vermagic drm 2> /dev/null | sed 's/ *$//' || true)
if [ -n "$ref" ]; then
    [ "$vermagic" = "$ref" ] ||
        die "vkms.ko's vermagic '$vermagic' differs from the kernel's drm.ko: '$ref'"
    say "vermagic: $vermagic (the same as $KVER's drm.ko)"
else
    say "vermagic: $vermagic (no drm.ko to compare with: drm is built in)"
fi
depends=$(modinfo -F depends "$OUT/vkms.ko")
say "depends: ${depends:-(none)}"
for d in $(echo "$depends" | tr ',' ' '); do
    how=$(modprobe --show-depends -S "$KVER" "$d" 2> /dev/null) ||
        die "vkms.ko depends on $d, which kernel $KVER has neither as a module nor built in"
    say "  $d: $(echo "$how" | tail -n 1 | sed 's/ *$//')"
done
params=$(modinfo -F parm "$OUT/vkms.ko" | sed 's/:.*//' | tr '\n' ' ' | sed 's/ *$//')
say "parameters: $params"
say "OK: $OUT/vkms.ko for $KVER in $(secs "$start") s (extract ${t_extract} s, make ${t_build} s)"
