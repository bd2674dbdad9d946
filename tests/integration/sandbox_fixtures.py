"""Fixtures for tests on sandbox hosts: Docker engine, an emulator the hosts can reach, the stand-in
packages, the mirror, and a fleet of systemd hosts of its own (never the `make sandbox-up` hosts).

The shared `emulator` fixture listens on loopback only; hosts reach this machine through the Docker
bridge gateway, so these fixtures start their own emulator with an extra `--listen GW:PORT`.
Everything started here is stopped here; teardown checks that no container or volume is left.
"""
import json
import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import Emulator
from tests.sandbox import proxy as sandbox_proxy
from tests.sandbox import settings
from tests.sandbox.controller_user import ControllerUser
from tests.sandbox.fleet import LABEL, Fleet

REPO = settings.REPO
ENGINE = REPO / "tests" / "sandbox" / "hosts" / "engine.sh"
BUILD_PACKAGES = REPO / "tests" / "sandbox" / "agents" / "build.sh"
REGION = settings.REGION
# Label of the containers that hold a stopped host's address (test_playbooks_harness.docker).
HELD = "io.hybridfleet.sandbox.held"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(what, probe, timeout=60, interval=0.5):
    """Poll `probe` until it returns something truthy; fail the test with `what` on timeout."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(interval)
    pytest.fail("timed out after %ss waiting for %s (last: %r)" % (timeout, what, last))


class Background:
    """A child process with its log in tmp; stopped (and reaped) by stop()."""

    def __init__(self, name, argv, log_dir, health_url):
        self.log = Path(log_dir) / (name + ".log")
        with open(self.log, "wb") as handle:
            self.proc = subprocess.Popen(argv, cwd=REPO, stdout=handle, stderr=subprocess.STDOUT)
        import urllib.request

        def healthy():
            if self.proc.poll() is not None:
                pytest.fail("%s exited early; log:\n%s" % (name, self.log.read_text()))
            try:
                with urllib.request.urlopen(health_url, timeout=2):
                    return True
            except OSError:
                return False
        wait_until("%s at %s" % (name, health_url), healthy, timeout=60, interval=0.2)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture(scope="session")
def docker_engine():
    """A running Docker engine: reuse one (e.g. `make docker-up`), or start and later stop our own."""
    pidfile = settings.STATE / "dockerd.pid"
    started_before = pidfile.exists()
    subprocess.run([str(ENGINE), "up"], check=True)
    yield settings.bridge_gateway()
    if not started_before and pidfile.exists():
        subprocess.run([str(ENGINE), "down"], check=True)


@pytest.fixture(scope="session")
def sandbox_packages(docker_engine):
    subprocess.run([str(BUILD_PACKAGES)], check=True)
    return settings.PACKAGES


@pytest.fixture(scope="module")
def host_emulator(docker_engine, tmp_path_factory):
    """Emulator on loopback (for boto3 here) and on the bridge gateway (for the hosts' agents)."""
    gateway, port = docker_engine, free_port()
    proc = Background("emulator", [sys.executable, "-m", "tests.sandbox.emulator", "--host", "127.0.0.1",
                                   "--port", str(port), "--listen", "%s:%d" % (gateway, port)],
                      tmp_path_factory.mktemp("emulator"), "http://127.0.0.1:%d/_emulator/health" % port)
    emu = Emulator("http://127.0.0.1:%d" % port)
    emu.host_url = "http://%s:%d" % (gateway, port)
    yield emu
    proc.stop()


@pytest.fixture(scope="module")
def mirror(docker_engine, sandbox_packages, tmp_path_factory):
    gateway, port = docker_engine, free_port()
    log_dir = tmp_path_factory.mktemp("mirror")
    proc = Background("mirror", [sys.executable, "-m", "tests.sandbox.mirror", "--port", str(port),
                                 "--listen", "127.0.0.1", "--listen", gateway,
                                 "--packages", str(sandbox_packages), "--access-log", str(log_dir / "access.log")],
                      log_dir, "http://127.0.0.1:%d/_mirror/health" % port)
    proc.host_url = "http://%s:%d" % (gateway, port)
    proc.access_log = log_dir / "access.log"
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def test_fleet(docker_engine):
    """A fleet named for this test process; removed with its volumes at the end, and checked."""
    fleet = Fleet("pytest%d" % os.getpid())
    yield fleet
    volumes = [m["Name"] for h in fleet.hosts() if h.kind == "container"
               for m in _mounts(h.name) if m.get("Type") == "volume"]
    held = subprocess.run(["docker", "ps", "-aq", "--filter", "label=%s=%s" % (HELD, fleet.name)],
                          check=True, text=True, capture_output=True).stdout.split()
    if held:
        subprocess.run(["docker", "rm", "-f"] + held, check=True, capture_output=True)
    fleet.down()
    assert not fleet.inventory_path().exists()
    left = subprocess.run(["docker", "ps", "-aq", "--filter", "label=%s=%s" % (LABEL, fleet.name)],
                          check=True, text=True, capture_output=True).stdout.split()
    assert not left, "containers left behind: %s" % left
    existing = set(subprocess.run(["docker", "volume", "ls", "-q"], check=True, text=True,
                                  capture_output=True).stdout.split())
    assert not existing & set(volumes), "volumes left behind: %s" % (existing & set(volumes))
    vm_files = list((settings.STATE / "vms").glob("hf-%s-*" % fleet.name))
    assert not vm_files, "VM files left behind: %s" % vm_files


@pytest.fixture(scope="module")
def forward_proxy(docker_engine):
    """A proxied network of this module's own and squid, its only way out (tests/sandbox/proxy).

    Start hosts on it with `test_fleet.up(n, "bookworm", network=forward_proxy.network)`: they reach
    nothing (this machine's emulator and mirror, the Debian archive, ...) but the proxy.
    Gives the ForwardProxy: `.url` (http://user:password@address:port, percent-encoded), `.plain_url`,
    `.user`, `.password` (has `@` and `%`), `.access_log`, `.requests(since=.log_size())` (parsed lines:
    time, client, user, method, url, host, status, bytes), `.network`.
    """
    name = "hf-px%d-%s" % (os.getpid(), secrets.token_hex(2))
    network, proxy = sandbox_proxy.up(name, free_port())
    proxy.network = network.name
    yield proxy
    # Hosts still on the network (their fleet may be torn down later) go with it, volumes too.
    for container in network.attached():
        labels = json.loads(subprocess.run(["docker", "inspect", "-f", "{{json .Config.Labels}}", container],
                                           check=True, text=True, capture_output=True).stdout)
        subprocess.run(["docker", "rm", "-f", "-v", container], check=True, capture_output=True)
        if labels.get(LABEL):
            Fleet(labels[LABEL]).write_inventory()
    sandbox_proxy.down(name)
    assert not network.exists() and not network.guarded()


@pytest.fixture(scope="module")
def nonroot_controller():
    """The controller as a local user with no sudo rights (tests/sandbox/controller_user.py).

    `.run(argv, env=None, cwd=None, timeout=600, input=None)` runs as that user (CompletedProcess, never
    raises on rc); `.env(extra)` its own environment (HOME, TMPDIR, PATH with the venv first,
    ANSIBLE_COLLECTIONS_PATH) plus e.g. `aws_env(emulator.url)`; `.bin("ansible-playbook")`;
    `.key` its copy of the fleet key; `.inventory(dict)` writes an inventory of its own using that copy;
    `.write(name, text)` any other file of its own; `.name`, `.uid`, `.home`, `.tmp`.
    Removed at the end (processes still running as it, ACL entries, the user, its files), and checked.
    """
    user = ControllerUser().create()
    try:
        yield user
    finally:
        user.remove()
    assert not user.exists() and not user.base.exists() and not user.pids()


def _mounts(container):
    out = subprocess.run(["docker", "inspect", "-f", "{{json .Mounts}}", container], check=True, text=True,
                         capture_output=True).stdout
    return json.loads(out)


# --- installing and registering by hand (what the roles will automate) -----------------------------------------
def install_docker(host):
    """Debian's docker.io, as the docker_engine role will install it."""
    host.exec("apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "
              "--no-install-recommends docker.io >/tmp/docker-install.log 2>&1 && systemctl is-active docker",
              timeout=300)


def install_agents(host, mirror_url, region=REGION):
    """Download from the mirror's S3 paths, verify the signatures with the test key, dpkg -i."""
    key = settings.SIGNING_KEY.read_text()
    host.exec("install -d /tmp/agents && cat > /tmp/agents/test-key.asc", input=key)
    host.exec(
        "set -e; cd /tmp/agents; export GNUPGHOME=$(mktemp -d); gpg --batch -q --import test-key.asc; "
        "curl -sfo amazon-ssm-agent.deb {m}/amazon-ssm-{r}/latest/debian_amd64/amazon-ssm-agent.deb; "
        "curl -sfo amazon-ssm-agent.deb.sig {m}/amazon-ssm-{r}/latest/debian_amd64/amazon-ssm-agent.deb.sig; "
        "curl -sfo ecs-init.deb {m}/amazon-ecs-agent-{r}/amazon-ecs-init-latest.amd64.deb; "
        "curl -sfo ecs-init.deb.asc {m}/amazon-ecs-agent-{r}/amazon-ecs-init-latest.amd64.deb.asc; "
        "gpg --batch -q --verify amazon-ssm-agent.deb.sig amazon-ssm-agent.deb; "
        "gpg --batch -q --verify ecs-init.deb.asc ecs-init.deb; "
        "dpkg -i amazon-ssm-agent.deb ecs-init.deb".format(m=mirror_url, r=region))


def write_ssm_config(host, emulator_url, region=REGION):
    # Fractional HealthFrequencyMinutes: a heartbeat every 6 s instead of 5 min.
    config = {"Agent": {"Region": region}, "Ssm": {"Endpoint": emulator_url, "HealthFrequencyMinutes": 0.1}}
    host.exec("cat > /etc/amazon/ssm/amazon-ssm-agent.json", input=json.dumps(config, indent=1))


def register_ssm(host, activation_id, code, region=REGION, check=True):
    return host.exec("amazon-ssm-agent -register -code '%s' -id '%s' -region %s -y" % (code, activation_id, region),
                     check=check)


def write_ecs_config(host, cluster, emulator_url, region=REGION):
    config = ("ECS_CLUSTER=%s\nAWS_DEFAULT_REGION=%s\nECS_EXTERNAL=true\nECS_BACKEND_HOST=%s\n"
              "ECS_INSTANCE_ATTRIBUTES={\"sandbox\": \"yes\"}\nECS_SANDBOX_HEARTBEAT_SECONDS=1\n"
              % (cluster, region, emulator_url))
    host.exec("install -d /etc/ecs && cat > /etc/ecs/ecs.config", input=config)


def ansible_ad_hoc(inventory, pattern, module, args, become=False, env=None, run_as=None, timeout=180):
    """One ad-hoc Ansible call (`ansible PATTERN -m MODULE -a ARGS`); returns {host: one-line result}.

    `env` replaces the environment when given; `run_as` is a ControllerUser to run it as (its env()
    unless `env` is given).
    """
    argv = [str(Path(sys.executable).parent / "ansible"), "-i", str(inventory), pattern, "-o",
            "-m", module, "-a", args] + (["--become"] if become else [])
    if run_as:
        proc = run_as.run(argv, env=env, timeout=timeout)
    else:
        proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    results = {}
    for line in proc.stdout.splitlines():
        name, sep, rest = line.partition(" | ")
        if sep:
            results[name] = rest
    assert results, "ansible gave no per-host result (rc=%d):\n%s\n%s" % (proc.returncode, proc.stdout, proc.stderr)
    return results


def agent_metadata(host):
    out = host.exec("curl -sf http://localhost:51678/v1/metadata", check=False)
    return json.loads(out.stdout) if out.returncode == 0 else None


def unit_state(host, unit):
    out = host.exec("systemctl show %s -p ActiveState -p SubState -p ExecMainStatus -p NRestarts" % unit).stdout
    return dict(line.split("=", 1) for line in out.split())
