"""Sandbox test hosts: systemd containers (and QEMU VMs) that look like a small on-prem fleet.

    python -m tests.sandbox.fleet up --count 3 [--distros bookworm,trixie] [--kind container|vm]
    python -m tests.sandbox.fleet down
    python -m tests.sandbox.fleet inventory      # rewrite .sandbox/inventory.yml from what runs
    python -m tests.sandbox.fleet images --distros bookworm,bullseye,trixie
    python -m tests.sandbox.fleet env            # shell exports for this fleet (.sandbox/env)

Everything about a host is kept on the host itself (Docker labels, or the VM's state file), so the
inventory is always rebuilt from what really runs and `up` can be called again to add hosts.
The pytest fixtures use the same API (`Fleet`) under another fleet name, so a test never touches
the hosts of `make sandbox-up`.
"""
import argparse
import json
import os
import socket
import subprocess
import sys
import time

from tests.sandbox import settings
from tests.sandbox.settings import REPO, STATE

HOSTS_DIR = REPO / "tests" / "sandbox" / "hosts"
LABEL = "io.hybridfleet.sandbox"
DEFAULT_FLEET = "sandbox"
DEFAULT_DISTRO = "bookworm"
# Docker's default bridge: hosts there reach this machine directly. Others (a proxied network, see
# tests/sandbox/proxy) are named per host in the label LABEL.network.
DEFAULT_NETWORK = "bridge"
# The unprivileged login user every host has (passwordless sudo, the fleet's SSH key).
LOGIN_USER = "ops"
# Who the written inventories log in as: root until the playbooks escalate by themselves everywhere.
# `Fleet(login_user=...)`, `--login-user` or SANDBOX_LOGIN_USER (make LOGIN_USER=ops) choose another.
DEFAULT_INVENTORY_USER = "root"

# What works here instead of --privileged (systemd as PID 1, Docker inside the host). The anonymous volume on
# /var/lib/docker lets the Docker engine inside a host use overlay2 (overlay on overlay fails).
RUN_FLAGS = [
    "--cap-add", "ALL", "--cap-drop", "SYS_RESOURCE",
    "--security-opt", "seccomp=unconfined", "--security-opt", "apparmor=unconfined",
    "--security-opt", "systempaths=unconfined",
    "--device-cgroup-rule", "a *:* rwm",
    "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw",
    "--tmpfs", "/run", "--tmpfs", "/run/lock", "--tmpfs", "/tmp",
    "--stop-signal", "SIGRTMIN+3",
    "-v", "/var/lib/docker",
]


def run(cmd, check=True, capture=True, input=None, timeout=None):
    return subprocess.run(cmd, check=check, text=True, input=input, timeout=timeout,
                          stdout=subprocess.PIPE if capture else None,
                          stderr=subprocess.PIPE if capture else None)


def log(msg):
    print("fleet: %s" % msg, file=sys.stderr, flush=True)


def parse_distros(text, count=None):
    """'bookworm,trixie' with count 3 → bookworm, trixie, bookworm (cycled); count None → as listed."""
    distros = [d.strip() for d in (text or DEFAULT_DISTRO).split(",") if d.strip()]
    if count is None:
        return distros
    return [distros[i % len(distros)] for i in range(count)]


def build_image(distro):
    """Tag of the (cached) host image for one Debian suite; builds it when the recipe changed."""
    proc = subprocess.run([str(HOSTS_DIR / "build-image.sh"), distro], check=True, text=True,
                          stdout=subprocess.PIPE)
    return proc.stdout.strip().splitlines()[-1]


def ssh_key():
    """The fleet's SSH key pair under .sandbox/ssh (one per sandbox, like an operator's key)."""
    key = STATE / "ssh" / "id_ed25519"
    if not key.exists():
        import fcntl
        key.parent.mkdir(parents=True, exist_ok=True)
        # Parallel test workers and fleets share the key: only one may create it.
        with open(key.parent / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not key.exists():
                run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "hybridfleet-sandbox", "-f", str(key)])
    return key


class Host:
    def __init__(self, name, address, distro, kind="container", number=0, port=22, network=DEFAULT_NETWORK):
        self.name, self.address, self.distro, self.kind, self.number = name, address, distro, kind, number
        self.port, self.network = port, network

    def __repr__(self):
        return "Host(%s %s %s)" % (self.name, self.address, self.distro)

    def exec(self, command, check=True, input=None, timeout=300):
        """Run a shell command on the host as root; returns CompletedProcess (text)."""
        if self.kind == "vm":
            return run(["ssh"] + ssh_options() + ["-p", str(self.port), "root@%s" % self.address, command],
                       check=check, input=input, timeout=timeout)
        return run(["docker", "exec", "-i", self.name, "bash", "-c", command],
                   check=check, input=input, timeout=timeout)

    def put(self, src, dest):
        if self.kind == "vm":
            run(["scp"] + ssh_options() + ["-P", str(self.port), str(src), "root@%s:%s" % (self.address, dest)])
        else:
            # Not `docker cp`: it writes below the tmpfs mounts (/tmp, /run), where the host cannot see it.
            with open(src, "rb") as data:
                subprocess.run(["docker", "exec", "-i", self.name, "sh", "-c", 'cat > "$1"', "put", str(dest)],
                               stdin=data, check=True, stdout=subprocess.DEVNULL)


def ssh_options():
    return ["-i", str(ssh_key()), "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
            "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=5"]


def connection_vars(login_user=DEFAULT_INVENTORY_USER, key=None):
    """How Ansible logs in to sandbox hosts: `login_user` with the fleet key (or a copy of it at `key`)."""
    return {
        "ansible_user": login_user,
        "ansible_ssh_private_key_file": str(key or ssh_key()),
        "ansible_ssh_common_args": "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null",
        "ansible_python_interpreter": "/usr/bin/python3",
    }


def check_login(host):
    """Prove the unprivileged login works before a host is handed out: the fleet key, then sudo."""
    run(["ssh"] + ssh_options() + ["-p", str(host.port), "%s@%s" % (LOGIN_USER, host.address), "sudo -n true"])


def wait_for(what, probe, timeout):
    deadline = time.monotonic() + timeout
    while True:
        if probe():
            return
        if time.monotonic() > deadline:
            raise TimeoutError("timed out after %ds waiting for %s" % (timeout, what))
        time.sleep(0.2)


def booted(host, timeout):
    """True once systemd on the host finished booting (running, or degraded); a host whose container
    stopped fails at once with its exit code and last output instead of being waited for."""
    state = json.loads(run(["docker", "inspect", "-f", "{{json .State}}", host.name]).stdout)
    if state.get("Status") != "running":
        logs = run(["docker", "logs", "--tail", "20", host.name], check=False)
        raise RuntimeError("host %s stopped while booting: exit code %s after starting at %s; its output:\n%s"
                           % (host.name, state.get("ExitCode"), state.get("StartedAt"),
                              (logs.stdout + logs.stderr).strip() or "(none)"))
    # `is-system-running --wait` returns once boot finished.
    return host.exec("systemctl is-system-running --wait", check=False,
                     timeout=timeout).stdout.strip() in ("running", "degraded")


def sshd_answers(address):
    try:
        with socket.create_connection((address, 22), timeout=2) as sock:
            return sock.recv(64).startswith(b"SSH-")
    except OSError:
        return False


def proxied_host_vars(network):
    """What the inventory says about a host on a proxied network: its network and the proxy's URL
    (without credentials: the inventory file is world-readable; tests pass the password themselves)."""
    from tests.sandbox import proxy
    found = proxy.running(network)
    return {"sandbox_network": network, "sandbox_proxy_url": found.plain_url if found else ""}


class Fleet:
    """The hosts of one fleet name (containers labelled io.hybridfleet.sandbox=<name>, plus VMs)."""

    def __init__(self, name=DEFAULT_FLEET, login_user=None):
        self.name = name
        self.login_user = login_user or os.environ.get("SANDBOX_LOGIN_USER") or DEFAULT_INVENTORY_USER
        if self.login_user not in ("root", LOGIN_USER):
            raise ValueError("sandbox hosts have two login users, root and %s, not %r" % (LOGIN_USER, self.login_user))

    # -- containers --------------------------------------------------------------------------
    def _container_ids(self):
        out = run(["docker", "ps", "-aq", "--filter", "label=%s=%s" % (LABEL, self.name)], check=False)
        return out.stdout.split() if out.returncode == 0 else []  # no engine, no containers

    def hosts(self):
        hosts = []
        ids = self._container_ids()
        if ids:
            for info in json.loads(run(["docker", "inspect"] + ids).stdout):
                labels = info["Config"]["Labels"]
                network = labels.get(LABEL + ".network", DEFAULT_NETWORK)
                address = info["NetworkSettings"]["Networks"].get(network, {}).get("IPAddress", "")
                hosts.append(Host(info["Name"].lstrip("/"), address, labels.get(LABEL + ".distro"),
                                  number=int(labels.get(LABEL + ".number", 0)), network=network))
        from tests.sandbox.hosts import vm  # VMs keep their own state files
        hosts.extend(vm.hosts(self.name))
        return sorted(hosts, key=lambda h: h.number)

    def _next_number(self):
        return max([h.number for h in self.hosts()] + [0]) + 1

    def up(self, count=1, distros=None, kind="container", timeout=300, network=None):
        """Start `count` more hosts; returns the new Host objects once SSH answers with our key.

        `network`: a Docker network instead of the default bridge, e.g. a proxied one
        (`tests.sandbox.proxy.up(name)` makes it; its hosts get out only through the proxy).
        """
        if kind == "vm":
            if network and network != DEFAULT_NETWORK:
                raise ValueError("VM hosts use QEMU's own network; only container hosts join %s" % network)
            from tests.sandbox.hosts import vm
            new = vm.up(self, count, parse_distros(distros, count))
        else:
            new = self._start_containers(count, parse_distros(distros, count), timeout, network or DEFAULT_NETWORK)
        self.write_inventory()
        return new

    def _start_containers(self, count, distros, timeout, network):
        images = {d: build_image(d) for d in set(distros)}
        pubkey = ssh_key().with_suffix(".pub").read_text()
        first = self._next_number()
        new = []
        for offset, distro in enumerate(distros):
            number = first + offset
            name = "hf-%s-%d" % (self.name, number)
            run(["docker", "run", "-d", "--name", name, "--hostname", name, "--network", network,
                 "--label", "%s=%s" % (LABEL, self.name),
                 "--label", "%s.number=%d" % (LABEL, number),
                 "--label", "%s.network=%s" % (LABEL, network),
                 "--label", "%s.distro=%s" % (LABEL, distro)] + RUN_FLAGS + [images[distro], "/sbin/init"])
            new.append(name)
        by_name = {h.name: h for h in self.hosts()}
        started = [by_name[n] for n in new]
        for host in started:
            wait_for("systemd on %s" % host.name, lambda: booted(host, timeout), timeout)
            host.exec("install -d -m 700 /root/.ssh && cat > /root/.ssh/authorized_keys && "
                      "chmod 600 /root/.ssh/authorized_keys", input=pubkey)
            host.exec("install -o {u} -g {u} -m 600 /dev/stdin /home/{u}/.ssh/authorized_keys".format(u=LOGIN_USER),
                      input=pubkey)
            wait_for("sshd on %s" % host.name, lambda: sshd_answers(host.address), timeout)
            check_login(host)
            log("%s up at %s (%s)" % (host.name, host.address, host.distro))
        return started

    def down(self):
        ids = self._container_ids()
        if ids:
            # -v removes each host's anonymous /var/lib/docker volume with it.
            run(["docker", "rm", "-f", "-v"] + ids)
            log("removed %d host(s) of fleet %s" % (len(ids), self.name))
        from tests.sandbox.hosts import vm
        vm.down(self.name)
        self.write_inventory()

    # -- inventory ---------------------------------------------------------------------------
    def inventory_path(self):
        return STATE / ("inventory.yml" if self.name == DEFAULT_FLEET else "inventory-%s.yml" % self.name)

    def inventory(self, login_user=None):
        """The fleet as an Ansible inventory, logging in as `login_user` (default: the fleet's)."""
        hosts = {}
        for host in self.hosts():
            hosts[host.name] = {"ansible_host": host.address, "sandbox_distro": host.distro, "sandbox_kind": host.kind}
            if host.kind == "vm":
                # A VM is behind QEMU's user network: SSH is forwarded, and it sees this machine at 10.0.2.2.
                from tests.sandbox.hosts import vm
                hosts[host.name]["ansible_port"] = host.port
                hosts[host.name].update(settings.host_facing_vars(vm.GUEST_SEES_HOST_AS))
            elif host.network != DEFAULT_NETWORK:
                hosts[host.name].update(proxied_host_vars(host.network))
        group_vars = connection_vars(login_user or self.login_user)
        group_vars.update(settings.role_vars())
        return {"all": {"children": {"ecs_anywhere": {"hosts": hosts, "vars": group_vars}}}}

    def write_inventory(self, login_user=None):
        import yaml  # ansible-core's dependency; the venv has it
        path = self.inventory_path()
        if not self.hosts():
            path.unlink(missing_ok=True)  # no hosts, no inventory: nothing stale to point at
            return path
        path.parent.mkdir(parents=True, exist_ok=True)
        header = ("# Written by tests/sandbox/fleet.py from the hosts that run; rewritten on every\n"
                  "# hosts-up / hosts-down. Do not edit: edit tests/sandbox/settings.py instead.\n")
        path.write_text(header + yaml.safe_dump(self.inventory(login_user), sort_keys=False, default_flow_style=False))
        return path


def main(argv=None):
    parser = argparse.ArgumentParser(description="sandbox test hosts")
    parser.add_argument("action", choices=["up", "down", "inventory", "images", "list", "env"])
    parser.add_argument("--fleet", default=os.environ.get("FLEET", DEFAULT_FLEET))
    parser.add_argument("--count", type=int)
    parser.add_argument("--distros", default=None, help="comma list, cycled over the hosts")
    parser.add_argument("--kind", default="container", choices=["container", "vm"])
    parser.add_argument("--network", default=None, help="Docker network for new container hosts (default: bridge)")
    parser.add_argument("--login-user", default=None,
                        help="who the inventory logs in as (default: $SANDBOX_LOGIN_USER, else root); %s or root"
                        % LOGIN_USER)
    args = parser.parse_args(argv)
    fleet = Fleet(args.fleet, args.login_user)
    if args.action == "up":
        count = args.count or len(parse_distros(args.distros))
        fleet.up(count, args.distros, args.kind, network=args.network)
        print(fleet.inventory_path())
    elif args.action == "down":
        fleet.down()
    elif args.action == "inventory":
        print(fleet.write_inventory())
    elif args.action == "images":
        for distro in parse_distros(args.distros):
            print(build_image(distro))
    elif args.action == "env":
        print(settings.env_file_text(fleet.inventory_path()), end="")
    elif args.action == "list":
        for host in fleet.hosts():
            print("%-20s %-15s %-9s %-9s %s" % (host.name, host.address, host.distro, host.kind, host.network))
    return 0


if __name__ == "__main__":
    sys.exit(main())
