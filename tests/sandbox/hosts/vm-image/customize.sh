#!/usr/bin/env bash
# Runs in the chroot of a container-image root after the kernel is installed: undo what only made
# sense in a container and add what a VM needs (fstab, DHCP on the NIC, DNS of QEMU's user network).
set -euo pipefail

# The container image masks these (no real console/kernel there); a VM has both.
for unit in getty.target console-getty.service systemd-udevd.service systemd-udev-trigger.service \
            systemd-remount-fs.service sys-kernel-config.mount sys-kernel-debug.mount \
            sys-kernel-tracing.mount systemd-modules-load.service; do
    [ -L "/etc/systemd/system/$unit" ] && [ "$(readlink "/etc/systemd/system/$unit")" = /dev/null ] \
        && rm -f "/etc/systemd/system/$unit"
done

echo 'LABEL=root / ext4 defaults,errors=remount-ro 0 1' > /etc/fstab

# net.ifnames=0 on the kernel command line makes the NIC eth0 whatever the machine model.
mkdir -p /etc/systemd/network
cat > /etc/systemd/network/10-eth0.network <<'NET'
[Match]
Name=eth0

[Network]
DHCP=ipv4
NET
ln -sf /lib/systemd/system/systemd-networkd.service /etc/systemd/system/multi-user.target.wants/
# QEMU's user network answers DNS on 10.0.2.3; no resolver daemon in a minimal install.
rm -f /etc/resolv.conf
echo 'nameserver 10.0.2.3' > /etc/resolv.conf

apt-get clean
rm -rf /var/lib/apt/lists/*
