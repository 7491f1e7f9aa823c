#!/bin/sh
# toolkit-check.sh - can this nvcc build CUDA code for the board? The
# Makefile runs it before any nvcc call, so a toolkit too new (CUDA 13 has
# no Volta: jetson-xavier's sm_72) or too old (CUDA 12.x has no sm_110:
# Thor) is named with the toolkit the board profile asks for, instead of
# nvcc's "Unsupported gpu architecture 'compute_72'".
#
#   tools/toolkit-check.sh BOARD BOARD_FILE CUDA_ARCH ARCH_ORIGIN NVCC
#
# ARCH_ORIGIN is make's $(origin CUDA_ARCH): "file" when the arch is the
# profile's, "command line" / "environment" when it was set by hand.
# Exit 0 (silent) when nvcc lists the arch, or when this nvcc is too old to
# list what it supports (it then speaks for itself); else a message on
# stderr and exit 1.
set -u
board=$1 board_file=$2 arch=$3 origin=$4 nvcc=$5

if ! command -v "$nvcc" > /dev/null 2>&1; then
    cat >&2 <<EOF
baton: no nvcc at $nvcc. Install the CUDA toolkit (x86-64) or JetPack (Jetson),
  or point CUDA= at it (make CUDA=/usr/local/cuda-12.6).
EOF
    exit 1
fi
codes=$("$nvcc" --list-gpu-code 2> /dev/null) || exit 0 # nvcc before 11.0 cannot list
echo "$codes" | grep -qx "$arch" && exit 0

# The profile's keys: "key = value", a trailing '\' continues the value.
key() {
    sed -e ':a' -e '/\\$/{N; s/[[:space:]]*\\\n[[:space:]]*/ /; ba' -e '}' "$board_file" |
        sed -n "s/^[[:space:]]*$1[[:space:]]*=[[:space:]]*//p" | head -n 1
}
release=$("$nvcc" --version 2> /dev/null | sed -n 's/.*release \([0-9.]*\), \(V[0-9.]*\).*/CUDA \1, \2/p')
cuda=$(key cuda)
jetpack=$(key jetpack)
if [ "$origin" = file ]; then
    what="BOARD=$board needs CUDA code for $arch, for its $(key gpu)"
else
    what="CUDA_ARCH=$arch (set by hand; BOARD=$board) needs CUDA code for $arch"
fi
{
    echo "baton: $what,"
    echo "  but $nvcc (${release:-version unknown}) cannot build for it:"
    echo "  it builds for $(echo "$codes" | tr '\n' ' ' | sed 's/ $//')."
    if [ "$origin" = file ]; then
        case $jetpack in none | '') jp="" ;; *) jp=" (JetPack $jetpack)" ;; esac
        echo "  $board_file asks for CUDA $cuda$jp: build with that toolkit,"
        echo "  e.g. make BOARD=$board CUDA=/usr/local/cuda-$cuda"
        notes=$(key notes)
        [ -n "$notes" ] && echo "$notes" | fold -s -w 74 | sed 's/ *$//; s/^/  | /'
    else
        echo "  pick a CUDA_ARCH this nvcc lists, or a toolkit that knows $arch."
    fi
} >&2
exit 1
