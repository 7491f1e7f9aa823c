#!/bin/sh
# make-deb.sh - split a `make install PREFIX=/usr LIBDIR=/usr/lib/<multiarch>
# DESTDIR=DIR/root` tree into Debian packages and build them with dpkg-deb,
# for this machine's architecture (dpkg --print-architecture: amd64 here,
# arm64 on a Jetson). `make deb` runs it.
#
#   tools/make-deb.sh DIR VERSION MAJOR BOARD CUDA_ARCH
#
#   libbaton<MAJOR>  the shared library, named after its SONAME
#                    libbaton.so.<MAJOR> (Debian policy 8.1); shlibs file,
#                    ldconfig trigger
#   libbaton-dev     headers, libbaton.so, libbaton.a, baton.pc, the CMake
#                    package; depends on libbaton<MAJOR> (= this version)
#                    and on the -dev packages of baton.pc's Requires.private
#   baton-tools      baton-run, baton-probe, baton-trace, baton-bench and the
#                    board profiles (/usr/share/baton/boards)
#
# Depends of the binaries come from dpkg-shlibdeps (what they link
# dynamically, mapped to the packages that ship it on this machine); the
# -dev package's from dpkg -S of each pkg-config module baton.pc requires.
# The NVIDIA driver (libcuda.so.1, dlopen'ed by CUDA's runtime, which is
# linked in statically) is not a Debian dependency: it comes with the
# driver or JetPack; the descriptions say so.
# Environment: DEB_REVISION (default 1), DEB_MAINTAINER, DEB_STRIP=0 keeps
# debug information.
set -eu
dir=$1 version=$2 major=$3 board=$4 cuda_arch=$5
root=$dir/root
work=$dir/debian # dpkg-shlibdeps wants debian/control and debian/<package>/
arch=$(dpkg --print-architecture)
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2> /dev/null || gcc -print-multiarch)
debver=$version-${DEB_REVISION:-1}
maintainer=${DEB_MAINTAINER:-baton developers <baton@localhost>}
libdir=usr/lib/$multiarch
lib=libbaton$major
[ -f "$root/$libdir/libbaton.so.$version" ] ||
    { echo "make-deb: no $root/$libdir/libbaton.so.$version (make deb installs it there)" >&2; exit 1; }
rm -rf "$work" "$dir"/*.deb
mkdir -p "$work"

take() { # PACKAGE PATH...: move PATHs (relative to the install root) into the package
    p=$1; shift
    for f in "$@"; do
        [ -e "$root/$f" ] || [ -L "$root/$f" ] || { echo "make-deb: $f was not installed" >&2; exit 1; }
        mkdir -p "$work/$p/$(dirname "$f")"
        mv "$root/$f" "$work/$p/$f"
    done
}
take "$lib" "$libdir/libbaton.so.$version" "$libdir/libbaton.so.$major"
take libbaton-dev usr/include/baton "$libdir/libbaton.so" "$libdir/libbaton.a" \
    "$libdir/pkgconfig/baton.pc" "$libdir/cmake/baton"
take baton-tools usr/bin usr/share/baton
left=$(find "$root" ! -type d | sed "s|^$root/||")
[ -z "$left" ] || { echo "make-deb: installed but in no package:" $left >&2; exit 1; }

if [ "${DEB_STRIP:-1}" != 0 ]; then
    strip --strip-unneeded --remove-section=.comment --remove-section=.note \
        "$work/$lib/$libdir/libbaton.so.$version" "$work"/baton-tools/usr/bin/*
    strip --strip-debug "$work/libbaton-dev/$libdir/libbaton.a"
fi

# Depends of the binaries, from what they link dynamically (dpkg-shlibdeps
# finds a package's root by its DEBIAN folder)
mkdir -p "$work/$lib/DEBIAN" "$work/libbaton-dev/DEBIAN" "$work/baton-tools/DEBIAN"
printf 'Source: baton\n\nPackage: %s\nArchitecture: any\n\nPackage: baton-tools\nArchitecture: any\n' \
    "$lib" > "$work/control"
shlibdeps() { # FILE... (relative to DIR): the shlibs:Depends value
    out=$(cd "$dir" && dpkg-shlibdeps -O "$@") || { echo "make-deb: dpkg-shlibdeps $* failed" >&2; exit 1; }
    out=$(echo "$out" | sed -n 's/^shlibs:Depends=//p')
    [ -n "$out" ] || { echo "make-deb: dpkg-shlibdeps found no dependencies of $*" >&2; exit 1; }
    echo "$out"
}
lib_depends=$(shlibdeps "debian/$lib/$libdir/libbaton.so.$version")
tools_depends=$(shlibdeps $(cd "$dir" && echo debian/baton-tools/usr/bin/*))
# the -dev package: the library of this very version, and what pkg-config
# needs to resolve baton.pc's Requires.private
dev_depends="$lib (= $debver)"
for m in $(sed -n 's/^Requires.private://p' "$work/libbaton-dev/$libdir/pkgconfig/baton.pc"); do
    pc=$(pkg-config --path "$m") || { echo "make-deb: pkg-config does not know $m" >&2; exit 1; }
    owner=$(dpkg -S "$(readlink -f "$pc")" 2> /dev/null | head -n 1 | cut -d: -f1) ||
        { echo "make-deb: no package owns $pc ($m)" >&2; exit 1; }
    [ -n "$owner" ] || { echo "make-deb: no package owns $pc ($m)" >&2; exit 1; }
    case ", $dev_depends," in *", $owner,"*) ;; *) dev_depends="$dev_depends, $owner" ;; esac
done

driver_note=" The CUDA runtime is linked in statically: the CUDA stage needs only the
 NVIDIA driver (libcuda.so.1), which is not a Debian dependency; it comes with
 NVIDIA's driver packages or with JetPack on Jetson. Without it baton runs its
 CPU stage. This build's CUDA code is for $cuda_arch (board profile $board)."

control() { # PACKAGE SECTION MULTIARCH DEPENDS SYNOPSIS LONG [EXTRA FIELDS]
    p=$1
    size=$(du -sk --apparent-size --exclude=DEBIAN "$work/$p" | cut -f1)
    {
        printf 'Package: %s\nSource: baton\nVersion: %s\nArchitecture: %s\n' "$p" "$debver" "$arch"
        [ -n "$3" ] && printf 'Multi-Arch: %s\n' "$3"
        printf 'Maintainer: %s\nInstalled-Size: %s\nSection: %s\nPriority: optional\n' \
            "$maintainer" "$size" "$2"
        printf 'Depends: %s\n' "$4"
        [ -n "${7:-}" ] && printf '%s\n' "$7"
        printf 'Description: %s\n%s\n' "$5" "$6"
    } > "$work/$p/DEBIAN/control"
}
control "$lib" libs same "$lib_depends" "frame-sync runtime for CUDA -> Vulkan camera pipelines" \
" baton moves camera frames through an application's CUDA kernels into
 Vulkan and onto a display, on NVIDIA Jetson boards and Linux GPU machines.
 Every hand-off goes through semaphores Vulkan exports and CUDA imports once,
 in an order computed ahead of time; nothing is allocated per frame.
 .
 This package has the shared library libbaton.so.$major. Its gst: source
 and sink need GStreamer's base plugins (videoconvert, appsink, appsrc) at
 run time, and whatever elements a pipeline names (decoders, RTSP, ...).
 .
$driver_note" "Recommends: gstreamer1.0-plugins-base
Suggests: gstreamer1.0-plugins-good, gstreamer1.0-plugins-bad, gstreamer1.0-libav"
control libbaton-dev libdevel same "$dev_depends" "frame-sync runtime for CUDA -> Vulkan camera pipelines (development)" \
" Headers (#include <baton/baton.h>), the shared library's link, the static
 library, baton.pc for pkg-config and the CMake package
 (find_package(baton), target baton::baton). The static library needs the
 CUDA toolkit's static runtime (libcudart_static.a) where you link; the
 shared one does not.
 .
$driver_note" "Recommends: pkg-config"
control baton-tools utils "" "$tools_depends" "frame-sync runtime for CUDA -> Vulkan camera pipelines (tools)" \
" baton-run runs the pipeline (camera or test pattern to display) and reports
 latency and whether the semaphore operations matched the plan; baton-probe
 says what the machine supports and which mode baton picks; baton-trace
 checks and converts traces; baton-bench compares baton with a
 host-synchronised loop. Board profiles are in /usr/share/baton/boards.
 The tools link baton statically (they use its internals), so they do not
 need $lib.
 .
$driver_note"

# the library: its shlibs entry and the ldconfig trigger (policy 8.1.1)
printf 'libbaton %s %s (>= %s)\n' "$major" "$lib" "$version" > "$work/$lib/DEBIAN/shlibs"
printf 'activate-noawait ldconfig\n' > "$work/$lib/DEBIAN/triggers"

for p in "$lib" libbaton-dev baton-tools; do
    (cd "$work/$p" && find . -type f ! -path './DEBIAN/*' -printf '%P\0' | sort -z |
        xargs -0r md5sum > DEBIAN/md5sums)
    find "$work/$p" -type d -exec chmod 755 {} +
    chmod 644 "$work/$p"/DEBIAN/*
    dpkg-deb --root-owner-group --build "$work/$p" "$dir/${p}_${debver}_$arch.deb" > /dev/null
    echo "make-deb: $dir/${p}_${debver}_$arch.deb"
    sed -n 's/^Depends: /  Depends: /p' "$work/$p/DEBIAN/control"
done
