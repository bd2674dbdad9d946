"""Harness for the fleet-playbook tests (no tests here): an emulator, the mirror and systemd hosts
of their own, an inventory pointing the roles at them, and `run_playbook`, which runs a collection
playbook the way a user does (`ansible-playbook hybridfleet.ecs_anywhere.NAME -i INVENTORY`).
"""
import json
import os
import re
import subprocess
import sys
import time
from collections import namedtuple
from pathlib import Path
from unittest import mock

import pytest
import yaml

from sandbox_fixtures import HELD, Background, free_port
from tests.conftest import COLLECTIONS_ROOT, Emulator
from tests.sandbox import settings

REPO = settings.REPO
CLUSTER = "hybrid-cluster"
POLICY = REPO / "docs" / "iam-policy.json"
ANSIBLE_PLAYBOOK = str(Path(sys.executable).parent / "ansible-playbook")
Result = namedtuple("Result", "rc stdout tail seconds")


@pytest.fixture(scope="module")
def pb_emulator(docker_engine, tmp_path_factory):
    """Emulator on loopback (controller) and the bridge gateway (hosts' agents).

    Started with moto's AWS managed IAM policies loaded, as real AWS has them, so register can
    attach AmazonSSMManagedInstanceCore and AmazonEC2ContainerServiceforEC2Role to its role.
    """
    gateway, port = docker_engine, free_port()
    with mock.patch.dict(os.environ, {"MOTO_IAM_LOAD_MANAGED_POLICIES": "true"}):
        proc = Background("emulator", [sys.executable, "-m", "tests.sandbox.emulator", "--host", "127.0.0.1",
                                       "--port", str(port), "--listen", "%s:%d" % (gateway, port), "--drain-delay", "2"],
                          tmp_path_factory.mktemp("pb-emulator"), "http://127.0.0.1:%d/_emulator/health" % port)
    emu = Emulator("http://127.0.0.1:%d" % port)
    emu.port, emu.host_url = port, "http://%s:%d" % (gateway, port)
    yield emu
    proc.stop()


def write_inventory(path, hosts, emulator, mirror_proc, gateway, login_user=None):
    """The sandbox inventory (as fleet.py writes it), pointed at this emulator and mirror.

    The playbooks log in as the unprivileged `ops` (sudo on the hosts) and nothing sets become: what
    needs root on a host escalates by itself, and nothing on the controller may.
    """
    from tests.sandbox.fleet import LOGIN_USER, connection_vars
    group_vars = connection_vars(login_user or LOGIN_USER)
    mirror_port = int(mirror_proc.host_url.rsplit(":", 1)[1])
    group_vars.update(settings.role_vars(gateway, emulator.port, mirror_port))
    # Each run's JSON report beside the inventory, not in the checkout.
    group_vars["ecs_anywhere_report_dir"] = str(Path(path).parent / "reports")
    # Heartbeats every 6 s instead of 5 min, so the emulator sees the agents promptly.
    group_vars["ssm_agent_config"] = {"Ssm": {"HealthFrequencyMinutes": 0.1}}
    inventory = {"all": {"children": {"ecs_anywhere": {
        "hosts": {h.name: {"ansible_host": h.address} for h in hosts}, "vars": group_vars}}}}
    Path(path).write_text(yaml.safe_dump(inventory, sort_keys=False))
    return str(path)


# Docker's install on bare hosts is proved by the roles tests, molecule `default` and the demo; the
# playbook tests enroll hosts that already run docker.io (as many field servers do), which spares
# each module minutes of apt per host. A module sets HOST_DISTRO = "bookworm" to start bare.
HOST_DISTRO = "bookworm+docker"


@pytest.fixture(scope="module")
def pb_fleet(request, test_fleet, pb_emulator, mirror, docker_engine, tmp_path_factory):
    """HOST_COUNT (module attribute, default 3) fresh HOST_DISTRO hosts and their inventory file."""
    count = getattr(request.module, "HOST_COUNT", 3)
    hosts = test_fleet.up(count, getattr(request.module, "HOST_DISTRO", HOST_DISTRO))
    inventory = write_inventory(tmp_path_factory.mktemp("inventory") / "hosts.yml", hosts, pb_emulator, mirror,
                                docker_engine)
    return hosts, inventory


@pytest.fixture(scope="module")
def sandbox_versions(sandbox_packages):
    """Oldest and newest stand-in versions the mirror serves (read from the built packages)."""
    from tests.sandbox.mirror.layout import versions
    ecs = versions(sandbox_packages, "amazon-ecs-init", "amd64")
    ssm = versions(sandbox_packages, "amazon-ssm-agent", "amd64")
    assert len(ecs) >= 2, "the sandbox needs two amazon-ecs-init versions for the update tests"
    return {"ecs_old": ecs[0], "ecs_new": ecs[-1], "ssm_old": ssm[0], "ssm_new": ssm[-1]}


def operator(emulator, name, policy):
    """An IAM user holding `policy` inline, and an access key the emulator checks against it (when it enforces IAM)."""
    iam = emulator.client("iam")  # the fixed test keys: never evaluated
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="hybridfleet-controller", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return {"AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]}


@pytest.fixture(scope="module")
def pb_policy_keys(pb_emulator):
    """This module's emulator enforces IAM, and every playbook and tool run through playbook_env() uses keys limited
    to docs/iam-policy.json: whatever the module's tests run is also proof that the policy is enough. The tests'
    own boto3 clients keep the fixed test keys, which the emulator never evaluates."""
    emulator_config(pb_emulator, enforce_iam=True)
    pb_emulator.operator_keys = operator(pb_emulator, "fleet-operator", json.loads(POLICY.read_text()))
    yield pb_emulator.operator_keys
    del pb_emulator.operator_keys
    emulator_config(pb_emulator, enforce_iam=False)


def playbook_env(emulator):
    env = dict(os.environ)
    env.update({
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": settings.REGION, "AWS_REGION": settings.REGION,
        "ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS_ROOT),
        "ANSIBLE_HOST_KEY_CHECKING": "False", "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0",
        "ANSIBLE_RETRY_FILES_ENABLED": "0", "ANSIBLE_PIPELINING": "True",
        "PATH": str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", ""),
    })
    env.update(getattr(emulator, "operator_keys", {}))  # pb_policy_keys
    env.pop("AWS_ENDPOINT_URL", None)  # the playbooks get the endpoint from the inventory
    return env


def run_playbook(name, inventory, emulator, *args, on_line=None, timeout=1800):
    """ansible-playbook hybridfleet.ecs_anywhere.NAME -i INVENTORY ARGS; `on_line(line)` sees the output live."""
    cmd = [ANSIBLE_PLAYBOOK, "hybridfleet.ecs_anywhere.%s" % name, "-i", inventory] + list(args)
    start = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=REPO, env=playbook_env(emulator), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if on_line is not None and on_line(line):
            on_line = None
        if time.monotonic() - start > timeout:
            proc.kill()
            break
    rc = proc.wait()
    stdout = "".join(lines)
    return Result(rc, stdout, stdout[-6000:], round(time.monotonic() - start, 1))


def recap(stdout):
    """PLAY RECAP as {host: {ok, changed, unreachable, failed, skipped, rescued, ignored}}."""
    section = stdout.rsplit("PLAY RECAP", 1)[-1]
    found = {}
    for host, counts in re.findall(r"^(\S+)\s+:\s+(.*)$", section, re.M):
        found[host] = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", counts)}
    return found


def activations_report(emulator):
    return emulator.activations()["activations"]


def container_instances(emulator, cluster=CLUSTER, status="ACTIVE"):
    ecs = emulator.client("ecs")
    kwargs = {"cluster": cluster}
    if status:
        kwargs["status"] = status
    arns = ecs.list_container_instances(**kwargs)["containerInstanceArns"]
    if not arns:
        return []
    return ecs.describe_container_instances(cluster=cluster, containerInstances=arns)["containerInstances"]


def managed_instances(emulator):
    return emulator.client("ssm").describe_instance_information()["InstanceInformationList"]


def docker(action, name):
    """stop / kill / start a host. A stopped host's address is held by a container without sshd: Docker
    gives a freed address to the next container started anywhere, and with tests running side by side
    that is another test's host, same SSH key, which the playbook would then reach instead of failing."""
    def run(*argv):
        return subprocess.run(["docker"] + list(argv), check=True, capture_output=True, text=True, timeout=120).stdout
    if action == "start":
        run("rm", "-f", name + "-held")
    run(action, name)
    if action in ("stop", "kill"):
        image, fleet = run("inspect", "-f", '{{.Config.Image}} {{index .Config.Labels "io.hybridfleet.sandbox"}}', name).split()
        run("run", "-d", "--rm", "--name", name + "-held", "--label", "%s=%s" % (HELD, fleet), "--entrypoint", "sleep",
            image, "infinity")


def emulator_config(emulator, **settings):
    """Change the emulator's runtime settings (drain_delay, heartbeat_timeout, ...) until its next reset."""
    return emulator._call("POST", "/_emulator/config", settings)  # pylint: disable=protected-access


def summary_row(stdout, host):
    """The summary table's row for `host` (the last run's) and its result lines below it, as one line; '' when
    the table has none."""
    table = stdout.rsplit("TASK [Summary of", 1)[-1].split('"msg": [', 1)[-1].split("\n    ]", 1)[0]
    lines = [json.loads(line.strip().rstrip(",")) for line in table.splitlines() if line.strip().startswith('"')]
    shown = host if len(host) <= 22 else host[:21] + "~"  # the table cuts long names
    for index, line in enumerate(lines):
        if re.match(r"%s(\s{2,}|$)" % re.escape(shown), line):
            result = []
            for more in lines[index + 1:]:
                if not more.startswith("    "):
                    break
                result.append(more.strip())
            return " ".join([line] + result)
    return ""
