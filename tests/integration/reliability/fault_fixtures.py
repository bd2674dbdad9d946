"""Fixtures and checks for the host-level fault tests (test_fault_*.py, test_secrets_audit.py).

Built on the playbook harness (its inventory, `run_playbook`, the mirror and a per-process fleet of
systemd hosts), with one difference: the emulator here keeps its state in a file (`--state-file`),
so a test can stop it and start it again on the same port, as a control plane that goes away for a
moment and comes back with everything it knew.
"""
import json
import os
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
import yaml

from sandbox_fixtures import Background, free_port, wait_until
from test_playbooks_harness import activations_report, container_instances, docker, managed_instances, write_inventory
from tests.conftest import Emulator

# The controller's modules use boto3 ("Botocore/..." in their User-Agent); the stand-in agents use
# urllib and, unlike AWS's agents, have no SDK retrier: faults are scoped to the controller's calls.
CONTROLLER_USER_AGENT = "Botocore"


class RestartableEmulator(Emulator):
    """The emulator as a child process on a fixed port (loopback + bridge gateway), restartable with its state."""

    def __init__(self, gateway, log_dir):
        self.port, self.gateway, self.log_dir = free_port(), gateway, Path(log_dir)
        super().__init__("http://127.0.0.1:%d" % self.port)
        self.host_url = "http://%s:%d" % (gateway, self.port)
        self.state_file = self.log_dir / "state.pickle"
        self.starts = 0
        self.proc = None
        self.start()

    def start(self, drain_delay=2):
        self.starts += 1
        # AWS managed IAM policies loaded, as real AWS has them (register attaches two of them).
        with mock.patch.dict(os.environ, {"MOTO_IAM_LOAD_MANAGED_POLICIES": "true"}):
            self.proc = Background("emulator-%d" % self.starts,
                                   [sys.executable, "-m", "tests.sandbox.emulator", "--host", "127.0.0.1",
                                    "--port", str(self.port), "--listen", "%s:%d" % (self.gateway, self.port),
                                    "--drain-delay", str(drain_delay), "--state-file", str(self.state_file)],
                                   self.log_dir, "http://127.0.0.1:%d/_emulator/health" % self.port)

    def stop(self):
        self.proc.stop()
        assert self.proc.proc.returncode == 0, self.proc.log.read_text()[-3000:]

    def restart(self):
        self.stop()
        self.start()

    def logs(self):
        return "".join(p.read_text(errors="replace") for p in sorted(self.log_dir.glob("emulator-*.log")))


@pytest.fixture(scope="module")
def fault_emulator(docker_engine, tmp_path_factory):
    emu = RestartableEmulator(docker_engine, tmp_path_factory.mktemp("fault-emulator"))
    yield emu
    emu.faults()
    emu.proc.stop()  # no exit-code check here: the state file is of no further use


@pytest.fixture(scope="module")
def fault_fleet(request, test_fleet, fault_emulator, mirror, docker_engine, tmp_path_factory):
    """HOST_COUNT (module attribute, default 3) fresh bookworm hosts and their inventory file.

    With PROXIED = True in the module, the hosts sit on the sandbox's proxied network (the `forward_proxy`
    fixture): the proxy is their only way out, so the module must give the playbooks `ecs_anywhere_proxy`.
    """
    count = getattr(request.module, "HOST_COUNT", 3)
    network = request.getfixturevalue("forward_proxy").network if getattr(request.module, "PROXIED", False) else None
    hosts = test_fleet.up(count, "bookworm", network=network)
    inventory = write_inventory(tmp_path_factory.mktemp("inventory") / "hosts.yml", hosts, fault_emulator, mirror,
                                docker_engine)
    return hosts, inventory


# --- what a host and the control plane say ---------------------------------------------------------------------
def host_mi(host):
    """The managed instance id the host's SSM registration names, or None."""
    out = host.exec("cat /var/lib/amazon/ssm/registration", check=False)
    return json.loads(out.stdout)["ManagedInstanceID"] if out.returncode == 0 and out.stdout.strip() else None


def assert_activations_all_deleted(emulator):
    """Every activation the emulator ever handed out is deleted (from its own log, codes included)."""
    report = activations_report(emulator)
    assert report, "no activation was created: nothing to check"
    assert [a["ActivationId"] for a in report if not a["Deleted"]] == []
    assert emulator.client("ssm").describe_activations()["ActivationList"] == []


def control_plane_mis(emulator):
    """Managed instances SSM knows, and managed instance ids of every non-INACTIVE container instance."""
    return ({i["InstanceId"] for i in managed_instances(emulator)},
            [ci["ec2InstanceId"] for ci in container_instances(emulator, status=None) if ci["status"] != "INACTIVE"])


def assert_enrolled_exactly_once(emulator, hosts):
    """Each host: one ACTIVE, connected container instance for the managed instance it names; no other
    live managed or container instance anywhere (no orphan, no duplicate)."""
    mis = {h.name: host_mi(h) for h in hosts}
    assert all(mis.values()), mis
    ssm_mis, ecs_mis = control_plane_mis(emulator)
    assert ssm_mis == set(mis.values()), (ssm_mis, mis)
    assert sorted(ecs_mis) == sorted(mis.values()), (ecs_mis, mis)
    for ci in container_instances(emulator):
        assert (ci["status"], ci["agentConnected"]) == ("ACTIVE", True), ci


def assert_config_whole(host):
    """ecs.config and the SSM registration are absent or complete: never a half-written file."""
    ecs = host.exec("cat /etc/ecs/ecs.config", check=False)
    if ecs.returncode == 0:
        keys = dict(line.split("=", 1) for line in ecs.stdout.splitlines() if "=" in line and not line.startswith("#"))
        assert {"ECS_CLUSTER", "AWS_DEFAULT_REGION", "ECS_EXTERNAL"} <= set(keys), ecs.stdout
    reg = host.exec("cat /var/lib/amazon/ssm/registration", check=False)
    if reg.returncode == 0 and reg.stdout.strip():
        assert set(json.loads(reg.stdout)) >= {"ManagedInstanceID", "Region"}, reg.stdout


def docker_cmd(*args, check=True):
    return subprocess.run(["docker"] + list(args), check=check, capture_output=True, text=True, timeout=180)


def restart_host(host, inventory):
    """`docker start` a stopped host, wait for systemd, and point the inventory at its (maybe new) address."""
    docker("start", host.name)
    wait_until("systemd on %s" % host.name, lambda: host.exec("systemctl is-system-running --wait", check=False)
               .stdout.strip() in ("running", "degraded"), timeout=120)
    address = docker_cmd("inspect", "-f", "{{.NetworkSettings.Networks.bridge.IPAddress}}", host.name).stdout.strip()
    data = yaml.safe_load(Path(inventory).read_text())
    data["all"]["children"]["ecs_anywhere"]["hosts"][host.name]["ansible_host"] = address
    Path(inventory).write_text(yaml.safe_dump(data, sort_keys=False))
    host.address = address
