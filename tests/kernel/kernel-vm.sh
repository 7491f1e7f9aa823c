# kernel-vm.sh - what tests/kernel/check-kernel.sh and tests/kernel/check-kernel-drm.sh
# share to boot Debian's kernel in QEMU: sourced (POSIX sh), after the
# caller has defined skip() (exit 77 with a reason).

# kvm_find_kernel MODULE: KVER (unless set) = the newest /lib/modules/* with
# a /boot/vmlinuz-* and MODULE; KERNEL = its image. Skips when none.
kvm_find_kernel() {
    if [ -z "${KVER:-}" ]; then
        for d in $(ls -d /lib/modules/*/ 2>/dev/null | sort -V -r); do
            v=$(basename "$d")
            if [ -f "/boot/vmlinuz-$v" ] && find "$d" -name "$1.ko*" | grep -q .; then
                KVER=$v
                break
            fi
        done
    fi
    [ -n "${KVER:-}" ] || skip "no /boot/vmlinuz-* with the $1 module (apt-get install linux-image-amd64)"
    KERNEL=/boot/vmlinuz-$KVER
    [ -r "$KERNEL" ] || skip "$KERNEL not readable"
}

# kvm_find_tools: BUSYBOX (a static busybox for the initramfs), ACCEL (KVM
# when usable, else TCG); skips without qemu, busybox, modprobe or cpio.
kvm_find_tools() {
    command -v qemu-system-x86_64 >/dev/null || skip "no qemu-system-x86_64 (apt-get install qemu-system-x86)"
    BUSYBOX=""
    for b in /bin/busybox /usr/bin/busybox; do
        if [ -x "$b" ] && file -L "$b" 2>/dev/null | grep -q 'statically linked'; then BUSYBOX=$b; fi
    done
    [ -n "$BUSYBOX" ] || [ ! -x /bin/busybox ] || BUSYBOX=/bin/busybox # no 'file': trust it
    [ -n "$BUSYBOX" ] || skip "no static busybox (apt-get install busybox-static)"
    command -v modprobe >/dev/null || skip "no modprobe (apt-get install kmod)"
    command -v cpio >/dev/null || skip "no cpio"
    ACCEL=tcg
    if [ -w /dev/kvm ] && grep -qE 'vmx|svm' /proc/cpuinfo; then ACCEL=kvm:tcg; fi
}

# kvm_collect_modules DIR MODULE...: each module of KVER with its
# dependencies, decompressed, into DIR, and their names in load order in
# DIR/order (appended; what is built in has no entry). Returns 1 naming the
# first module KVER does not have.
kvm_collect_modules() {
    dir=$1
    shift
    touch "$dir/order"
    for m in "$@"; do
        deps=$(modprobe --show-depends -S "$KVER" "$m" 2>/dev/null) || {
            echo "$m"
            return 1
        }
        echo "$deps" | while read -r kind path _; do
            [ "$kind" = insmod ] || continue # builtin
            name=$(basename "$path")
            name=${name%.xz}
            name=${name%.zst}
            name=${name%.gz}
            grep -qx "$name" "$dir/order" && continue
            case "$path" in
            *.ko) cp "$path" "$dir/" ;;
            *.ko.xz) xz -dc "$path" > "$dir/$name" ;;
            *.ko.zst) zstd -qdc "$path" > "$dir/$name" ;;
            *.ko.gz) gzip -dc "$path" > "$dir/$name" ;;
            esac
            echo "$name" >> "$dir/order"
        done
    done
}
