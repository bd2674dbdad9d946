"""Real-kernel host kind: a QEMU VM booting Debian's own kernel (cgroup v2, AppArmor on, as on a
real server). KVM here cannot boot a stock Debian kernel, so VMs run under TCG: ~1 min to SSH.

Each VM is a copy of the suite's disk (sparse), with the fleet's SSH key and its hostname written in
by debugfs (no mounts), on QEMU's user network: SSH is forwarded from 127.0.0.1:<port>, and the guest
reaches this machine's loopback services (emulator, mirror) at 10.0.2.2. State lives in
.sandbox/vms/<name>.json; the inventory gets ansible_host 127.0.0.1 + ansible_port.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from tests.sandbox.settings import REPO, STATE

VMS = STATE / "vms"
BUILD = REPO / "tests" / "sandbox" / "hosts" / "build-vm-image.sh"
ENGINE = REPO / "tests" / "sandbox" / "hosts" / "engine.sh"
TOOLS = ("qemu-system-x86", "e2fsprogs")  # Debian packages; mk/sandbox.mk's vm-tools installs the same
GUEST_SEES_HOST_AS = "10.0.2.2"  # QEMU user networking's address for this machine
MEMORY_MB = int(os.environ.get("VM_MEMORY_MB", "1536"))
BOOT_TIMEOUT = int(os.environ.get("VM_BOOT_TIMEOUT", "420"))


def _alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except (OSError, TypeError):
        return False


def _records(fleet_name):
    if not VMS.is_dir():
        return []
    records = []
    for path in sorted(VMS.glob("*.json")):
        record = json.loads(path.read_text())
        if record["fleet"] == fleet_name:
            records.append(record)
    return records


def _pid(record):
    try:
        return int(Path(record["pidfile"]).read_text())
    except (OSError, ValueError):
        return None


def hosts(fleet_name):
    from tests.sandbox.fleet import Host
    out = []
    for record in _records(fleet_name):
        if _alive(_pid(record)):
            host = Host(record["name"], "127.0.0.1", record["distro"], kind="vm", number=record["number"],
                        network="qemu")
            host.port = record["port"]
            out.append(host)
    return out


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _debugfs(disk, commands):
    """Write into the ext4 image without mounting it."""
    with tempfile.NamedTemporaryFile("w", suffix=".debugfs") as script:
        script.write("\n".join(commands) + "\n")
        script.flush()
        subprocess.run(["debugfs", "-w", "-f", script.name, str(disk)], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _user_ids(disk, user):
    """uid and gid of `user` in the image's /etc/passwd (read without mounting)."""
    passwd = subprocess.run(["debugfs", "-R", "cat /etc/passwd", str(disk)], check=True, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout
    for line in passwd.splitlines():
        fields = line.split(":")
        if fields[0] == user:
            return int(fields[2]), int(fields[3])
    raise RuntimeError("the VM image has no user %s: rebuild it (make images)" % user)


def _personalise(disk, name, pubkey_path):
    """Hostname, and the fleet key for root and for the unprivileged login user (as on container hosts)."""
    from tests.sandbox.fleet import LOGIN_USER
    uid, gid = _user_ids(disk, LOGIN_USER)
    user_keys = "/home/%s/.ssh/authorized_keys" % LOGIN_USER
    with tempfile.TemporaryDirectory() as tmp:
        hostname = Path(tmp) / "hostname"
        hostname.write_text(name + "\n")
        _debugfs(disk, ["rm /etc/hostname", "write %s /etc/hostname" % hostname,
                        "rm /root/.ssh/authorized_keys",
                        "write %s /root/.ssh/authorized_keys" % pubkey_path,
                        "sif /root/.ssh/authorized_keys mode 0100600",
                        "rm %s" % user_keys,
                        "write %s %s" % (pubkey_path, user_keys),
                        "sif %s mode 0100600" % user_keys,
                        "sif %s uid %d" % (user_keys, uid),
                        "sif %s gid %d" % (user_keys, gid)])


def _boot(name, image_dir, disk, port, console, pidfile):
    subprocess.run([
        "qemu-system-x86_64", "-name", name, "-accel", "tcg,thread=multi", "-smp", "2", "-m", str(MEMORY_MB),
        "-kernel", str(image_dir / "vmlinuz"), "-initrd", str(image_dir / "initrd.img"),
        "-append", "root=LABEL=root rw console=ttyS0 net.ifnames=0 quiet",
        "-drive", "file=%s,format=raw,if=virtio" % disk,
        "-netdev", "user,id=n0,hostname=%s,hostfwd=tcp:127.0.0.1:%d-:22" % (name, port),
        "-device", "virtio-net-pci,netdev=n0",
        "-display", "none", "-serial", "file:%s" % console, "-daemonize", "-pidfile", str(pidfile),
    ], check=True)


def ensure_tools():
    """QEMU and e2fsprogs on this machine (a fresh CI machine has neither QEMU nor debugfs use yet)."""
    if not (shutil.which("qemu-system-x86_64") and shutil.which("debugfs") and shutil.which("mkfs.ext4")):
        subprocess.run([str(ENGINE), "install"], check=True,
                       env=dict(os.environ, ENGINE_EXTRA_PACKAGES=" ".join(TOOLS)))


def up(fleet, count, distros):
    """Boot `count` VMs (sequentially: TCG on two cores has no room for parallel boots)."""
    from tests.sandbox.fleet import check_login, log, run, ssh_key, ssh_options
    ensure_tools()
    VMS.mkdir(parents=True, exist_ok=True)
    key = ssh_key()
    first = max([h.number for h in fleet.hosts()] + [0]) + 1
    started = []
    for offset, distro in enumerate(distros):
        image_dir = Path(subprocess.run([str(BUILD), distro], check=True, text=True,
                                        stdout=subprocess.PIPE).stdout.strip().splitlines()[-1])
        number = first + offset
        name = "hf-%s-vm%d" % (fleet.name, number)
        disk, console, pidfile = VMS / (name + ".raw"), VMS / (name + ".console"), VMS / (name + ".pid")
        subprocess.run(["cp", "--sparse=always", str(image_dir / "disk.raw"), str(disk)], check=True)
        _personalise(disk, name, key.with_suffix(".pub"))
        port = _free_port()
        record = {"name": name, "fleet": fleet.name, "number": number, "distro": distro, "port": port,
                  "disk": str(disk), "pidfile": str(pidfile), "console": str(console)}
        (VMS / (name + ".json")).write_text(json.dumps(record))
        started_at = time.monotonic()
        _boot(name, image_dir, disk, port, console, pidfile)
        deadline = started_at + BOOT_TIMEOUT
        while True:
            probe = run(["ssh"] + ssh_options() + ["-p", str(port), "root@127.0.0.1", "true"], check=False)
            if probe.returncode == 0:
                break
            if time.monotonic() > deadline or not _alive(_pid(record)):
                tail = console.read_text(errors="replace")[-2000:] if console.exists() else ""
                raise TimeoutError("VM %s not reachable over SSH after %ds; console:\n%s"
                                   % (name, BOOT_TIMEOUT, tail))
            time.sleep(3)
        started.append(name)
        (host,) = [h for h in hosts(fleet.name) if h.name == name]
        check_login(host)
        log("%s up at 127.0.0.1:%d (%s, %ds)" % (name, port, distro, time.monotonic() - started_at))
    return [h for h in hosts(fleet.name) if h.name in started]


def down(fleet_name):
    for record in _records(fleet_name):
        pid = _pid(record)
        if _alive(pid):
            os.kill(pid, signal.SIGTERM)
            for _ in range(50):
                if not _alive(pid):
                    break
                time.sleep(0.1)
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
        for key in ("disk", "pidfile", "console"):
            Path(record[key]).unlink(missing_ok=True)
        (VMS / (record["name"] + ".json")).unlink(missing_ok=True)
