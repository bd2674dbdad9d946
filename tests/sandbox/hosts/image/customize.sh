#!/usr/bin/env bash
# Runs inside the debootstrap root (chroot) before `docker import`. Turns a bare root into
# something that boots like a fresh server under systemd in a container.
set -euo pipefail
SUITE="$1"

# apt sources like a stock install, so the roles can `apt-get install docker.io` on the host.
cat > /etc/apt/sources.list <<SRC
deb http://deb.debian.org/debian $SUITE main
deb http://deb.debian.org/debian $SUITE-updates main
deb http://deb.debian.org/debian-security $SUITE-security main
SRC

# Machine-id trap: dbus leaves a fixed /var/lib/dbus/machine-id that systemd would copy into
# /etc/machine-id, so every host would share one id (the SSM agent fingerprint and journald both
# key on it). An empty /etc/machine-id makes systemd generate a fresh one on each host's first
# boot, and the dbus path becomes a link to it.
: > /etc/machine-id
mkdir -p /var/lib/dbus
rm -f /var/lib/dbus/machine-id
ln -s /etc/machine-id /var/lib/dbus/machine-id

# Same trap for SSH host keys: generated once at build time they would be identical everywhere.
# Drop them and let each host make its own before sshd starts.
rm -f /etc/ssh/ssh_host_*
cat > /etc/systemd/system/ssh-hostkeys.service <<'UNIT'
[Unit]
Description=Generate this host's own SSH host keys
Before=ssh.service
ConditionPathExists=!/etc/ssh/ssh_host_ed25519_key

[Service]
Type=oneshot
ExecStart=/usr/bin/ssh-keygen -A

[Install]
RequiredBy=ssh.service
UNIT
mkdir -p /etc/systemd/system/ssh.service.requires
ln -sf /etc/systemd/system/ssh-hostkeys.service /etc/systemd/system/ssh.service.requires/
ln -sf /lib/systemd/system/ssh.service /etc/systemd/system/multi-user.target.wants/ssh.service

# Units that only make sense with a real console / kernel: they fail or hang in a container.
for unit in getty.target console-getty.service systemd-udevd.service systemd-udev-trigger.service \
            systemd-remount-fs.service sys-kernel-config.mount sys-kernel-debug.mount \
            sys-kernel-tracing.mount systemd-modules-load.service; do
    ln -sf /dev/null "/etc/systemd/system/$unit"
done

# What Debian's official container images do to keep dpkg fast on overlayfs: no fsync per file, and
# no docs or man pages (which also spares the man-db trigger). Installing docker.io on a host goes
# from ~45 s to a few seconds; nothing the roles check depends on these files.
echo force-unsafe-io > /etc/dpkg/dpkg.cfg.d/sandbox-unsafe-io
cat > /etc/dpkg/dpkg.cfg.d/sandbox-nodoc <<'CFG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
CFG
rm -f /var/lib/man-db/auto-update

# Keys are installed per host at start-up; the image has none.
mkdir -p /root/.ssh && chmod 700 /root/.ssh

# Operators log in as an unprivileged user and escalate with sudo, as on real servers: the playbooks
# must escalate on hosts by themselves and never rely on logging in as root.
useradd --create-home --shell /bin/bash --user-group ops
passwd --lock ops >/dev/null
echo 'ops ALL=(ALL:ALL) NOPASSWD: ALL' > /etc/sudoers.d/ops
chmod 0440 /etc/sudoers.d/ops
install -d -o ops -g ops -m 700 /home/ops/.ssh

apt-get clean
rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/*.log /tmp/* /usr/share/man/* /usr/share/info/*
