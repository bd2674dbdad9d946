#!/usr/bin/env bash
# Build (or reuse) a bootable disk for the real-kernel host kind: the container image's root for
# SUITE plus Debian's kernel, as a raw ext4 file system made with `mkfs.ext4 -d` (no loop devices,
# no root mounts). Prints the directory holding vmlinuz, initrd.img and disk.raw.
#   build-vm-image.sh bookworm|bullseye|trixie
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
IMAGES="${SANDBOX_IMAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hybridfleet-sandbox}"  # as build-image.sh
SUITE="${1:?usage: build-vm-image.sh SUITE}"
# The VM proves the kernel-facing install on a bare server; container flavours (SUITE+docker) have no VM twin.
case "$SUITE" in *+*) echo "build-vm-image: no VM image for the flavour in $SUITE; VMs start bare" >&2; exit 2 ;; esac
DISK_SIZE="${VM_DISK_SIZE:-8G}"

log() { echo "build-vm-image[$SUITE]: $*" >&2; }

TAG="$(NEED_TARBALL=1 "$HERE/build-image.sh" "$SUITE")"
BASE_HASH="${TAG##*-}"
BASE_TAR="$IMAGES/images/$SUITE-$BASE_HASH.tar"
HASH="$({ echo "$BASE_HASH $DISK_SIZE"; cat "$HERE/vm-image/packages" "$HERE/vm-image/customize.sh"; } \
        | sha256sum | cut -c1-12)"
OUT="$IMAGES/vm-images/$SUITE-$HASH"
if [ -s "$OUT/disk.raw" ]; then echo "$OUT"; exit 0; fi

mkdir -p "$IMAGES/build"
exec 9>"$IMAGES/build/vm-$SUITE.lock"
flock 9
if [ -s "$OUT/disk.raw" ]; then echo "$OUT"; exit 0; fi

BUILD="$IMAGES/build/vm-$SUITE-$HASH"
# Unmount whatever the chroot steps mounted, deepest first; rm never crosses file systems.
cleanup() {
    awk -v d="$BUILD/" 'index($2, d) == 1 {print $2}' /proc/mounts | sort -r | xargs -r -n1 umount -l
    rm -rf --one-file-system "$BUILD"
}
trap cleanup EXIT
cleanup
mkdir -p "$BUILD/root" "$OUT.part"
tar --numeric-owner -C "$BUILD/root" -xf "$BASE_TAR"

log "installing Debian's kernel into the root"
mount -t proc proc "$BUILD/root/proc"
mount --bind /dev "$BUILD/root/dev"
cp /etc/resolv.conf "$BUILD/root/etc/resolv.conf"
# No service may start inside the chroot.
printf '#!/bin/sh\nexit 101\n' > "$BUILD/root/usr/sbin/policy-rc.d"; chmod +x "$BUILD/root/usr/sbin/policy-rc.d"
chroot "$BUILD/root" /bin/sh -c "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    --no-install-recommends $(grep -v '^#' "$HERE/vm-image/packages" | xargs)" >"$BUILD.log" 2>&1 \
    || { tail -20 "$BUILD.log" >&2; exit 1; }
rm -f "$BUILD/root/usr/sbin/policy-rc.d"
chroot "$BUILD/root" /bin/bash -s <"$HERE/vm-image/customize.sh"
umount "$BUILD/root/dev" "$BUILD/root/proc"

# QEMU boots the kernel and initramfs directly (no boot loader on the disk).
cp "$(ls "$BUILD"/root/boot/vmlinuz-* | sort -V | tail -1)" "$OUT.part/vmlinuz"
cp "$(ls "$BUILD"/root/boot/initrd.img-* | sort -V | tail -1)" "$OUT.part/initrd.img"
log "making the ext4 disk ($DISK_SIZE, sparse)"
mkfs.ext4 -q -F -L root -d "$BUILD/root" "$OUT.part/disk.raw" "$DISK_SIZE"
rm -rf "$OUT"; mv "$OUT.part" "$OUT"
find "$IMAGES/vm-images" -maxdepth 1 -name "$SUITE-*" ! -name "$(basename "$OUT")" -exec rm -rf {} +
echo "$OUT"
