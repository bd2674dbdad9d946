"""The roles on real sandbox hosts, for what molecule's happy path does not show: a tampered
package fails closed, a wrong activation code fails clearly and leaves no registration, and a
changed cluster re-registers and reports the old container instance ARN.

Each test runs ansible-playbook with the roles against a fleet of its own (tests/sandbox,
`sandbox_fixtures`), an emulator and the package mirror reachable from the hosts.
"""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from sandbox_fixtures import (  # noqa: F401  (fixtures are used by name)
    docker_engine, host_emulator, mirror, sandbox_packages, test_fleet)
from tests.conftest import COLLECTIONS_ROOT, aws_env
from tests.sandbox import settings
from tests.sandbox.fleet import ssh_key

pytestmark = pytest.mark.hosts

ANSIBLE_PLAYBOOK = str(Path(sys.executable).with_name("ansible-playbook"))
ROLE_ARN = "ecsAnywhereRole"
TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ssm.amazonaws.com"},
                                                 "Action": "sts:AssumeRole"}]}


@pytest.fixture(scope="module")
def aws(host_emulator):
    iam = host_emulator.client("iam")
    iam.create_role(RoleName=ROLE_ARN, AssumeRolePolicyDocument=json.dumps(TRUST))
    return host_emulator.client("ssm"), host_emulator.client("ecs")


@pytest.fixture(scope="module")
def hosts(test_fleet, aws):
    return test_fleet.up(3, "bookworm")


def _port(url):
    return int(url.rsplit(":", 1)[1])


class Roles:
    """ansible-playbook with the collection's roles against one sandbox host."""

    def __init__(self, host, emulator, mirror_proc, tmp_path):
        self.host, self.emulator, self.tmp = host, emulator, tmp_path
        group_vars = settings.role_vars(host_side_address=docker_engine_gateway(mirror_proc),
                                        emulator_port=_port(emulator.url), mirror_port=_port(mirror_proc.host_url))
        group_vars.update({
            "ansible_user": "root",
            "ansible_ssh_private_key_file": str(ssh_key()),
            "ansible_ssh_common_args": "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null",
            "ansible_python_interpreter": "/usr/bin/python3",
        })
        self.inventory = tmp_path / "inventory.yml"
        self.inventory.write_text(yaml.safe_dump({"all": {"hosts": {host.name: {"ansible_host": host.address}},
                                                          "vars": group_vars}}))

    def run(self, roles, extra_vars=None, name="play"):
        out_file = self.tmp / (name + "-facts.json")
        play = [{
            "name": "Roles", "hosts": "all", "gather_facts": True, "become": True,
            "vars": dict(extra_vars or {}),
            "roles": [{"role": "hybridfleet.ecs_anywhere." + r} for r in roles],
            "post_tasks": [{
                "name": "Dump the facts the roles set",
                "ansible.builtin.copy": {
                    "dest": str(out_file), "mode": "0600",
                    "content": "{{ {'mi': ssm_agent_managed_instance_id | default(''),"
                               " 'arn': ecs_agent_container_instance_arn | default(''),"
                               " 'previous_arn': ecs_agent_previous_container_instance_arn | default(''),"
                               " 'version': ecs_agent_running_version | default('')} | to_json }}"},
                "delegate_to": "localhost", "become": False}],
        }]
        playbook = self.tmp / (name + ".yml")
        playbook.write_text(yaml.safe_dump(play, sort_keys=False))
        env = dict(os.environ, **aws_env(self.emulator.url))
        env.update(ANSIBLE_NOCOLOR="1", ANSIBLE_HOST_KEY_CHECKING="False",
                   ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS_ROOT))
        proc = subprocess.run([ANSIBLE_PLAYBOOK, "-i", str(self.inventory), str(playbook)], env=env,
                              capture_output=True, text=True, timeout=900)
        facts = json.loads(out_file.read_text()) if out_file.exists() else None
        return proc.returncode, proc.stdout + proc.stderr, facts


def docker_engine_gateway(mirror_proc):
    return mirror_proc.host_url.split("//", 1)[1].rsplit(":", 1)[0]


def test_tampered_package_fails_closed(hosts, host_emulator, mirror, sandbox_packages, tmp_path):
    """A package that does not match its signature is refused on the controller; nothing reaches
    the host, nothing is installed."""
    host = hosts[0]
    roles = Roles(host, host_emulator, mirror, tmp_path)
    # A mirror of our own serving the real signature next to a package with one byte changed.
    from tests.sandbox.mirror.layout import resolve
    root = tmp_path / "tampered"
    path = "/amazon-ssm-%s/latest/debian_amd64/amazon-ssm-agent.deb" % settings.REGION
    good = resolve(sandbox_packages, path)
    target = root / path.lstrip("/")
    target.parent.mkdir(parents=True)
    data = bytearray(good.read_bytes())
    data[len(data) // 2] ^= 0xFF
    target.write_bytes(bytes(data))
    shutil.copy(resolve(sandbox_packages, path + ".sig"), str(target) + ".sig")
    server = subprocess.Popen([sys.executable, "-u", "-m", "http.server", "0", "--bind", "127.0.0.1",
                               "--directory", str(root)], stdout=subprocess.PIPE, text=True)
    try:
        port = _wait_http_server_port(server)
        rc, out, _ = roles.run(["ssm_agent"], {"ssm_agent_package_base_url": "http://127.0.0.1:%d" % port,
                                               "ssm_agent_controller_cache_dir": str(tmp_path / "cache")})
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert rc != 0, out
    assert "Signature check FAILED" in out and "nothing was installed" in out
    assert host.exec("dpkg-query -W amazon-ssm-agent", check=False).returncode != 0
    assert host.exec("ls /var/cache/hybridfleet-ecs-anywhere/ssm_agent/", check=False).stdout.strip() == ""
    assert host.exec("test -e /etc/amazon/ssm/amazon-ssm-agent.json", check=False).returncode != 0


def _wait_http_server_port(server):
    line = server.stdout.readline()  # "Serving HTTP on 127.0.0.1 port NNNNN (...)"
    return int(line.split(" port ")[1].split()[0])


def test_wrong_activation_code_fails_clearly(hosts, aws, host_emulator, mirror, tmp_path):
    host = hosts[1]
    ssm, _ = aws
    activation_id = ssm.create_activation(IamRole=ROLE_ARN, RegistrationLimit=1)["ActivationId"]
    wrong = "WRONGCODE" + "x" * 11
    rc, out, _ = Roles(host, host_emulator, mirror, tmp_path).run(
        ["ssm_agent"], {"ssm_agent_activation_id": activation_id, "ssm_agent_activation_code": wrong})
    assert rc != 0, out
    assert "SSM registration of %s with activation %s" % (host.name, activation_id) in out
    assert "InvalidActivation" in out  # the agent's own error text reaches the message
    assert "Nothing was left registered" in out
    assert wrong not in out  # no_log everywhere the code is touched
    assert host.exec("test -e /var/lib/amazon/ssm/registration", check=False).returncode != 0
    assert host.exec("systemctl is-active amazon-ssm-agent", check=False).stdout.strip() != "active"


def test_cluster_change_registers_anew_and_reports_old_arn(hosts, aws, host_emulator, mirror, tmp_path):
    host = hosts[2]
    ssm, ecs = aws
    for cluster in ("roles-a", "roles-b"):
        ecs.create_cluster(clusterName=cluster)
    act = ssm.create_activation(IamRole=ROLE_ARN, RegistrationLimit=1)
    roles = Roles(host, host_emulator, mirror, tmp_path)
    base = {"ssm_agent_activation_id": act["ActivationId"], "ssm_agent_activation_code": act["ActivationCode"],
            "ecs_agent_register_timeout": 180}
    rc, out, first = roles.run(["docker_engine", "ssm_agent", "ecs_agent"], dict(base, ecs_agent_cluster="roles-a"),
                               name="first")
    assert rc == 0, out
    assert first["arn"] and first["previous_arn"] == "" and first["mi"].startswith("mi-")

    rc, out, second = roles.run(["docker_engine", "ssm_agent", "ecs_agent"], dict(base, ecs_agent_cluster="roles-b"),
                                name="second")
    assert rc == 0, out
    assert "moves from cluster roles-a to\nroles-b" in out or "moves from cluster roles-a to roles-b" in out
    assert second["previous_arn"] == first["arn"]
    assert second["arn"] != first["arn"] and "roles-b" not in first["arn"]
    assert second["mi"] == first["mi"]  # same managed instance; only the ECS side moved
    new = ecs.describe_container_instances(cluster="roles-b", containerInstances=[second["arn"]])["containerInstances"]
    assert new[0]["status"] == "ACTIVE" and new[0]["ec2InstanceId"] == first["mi"]
    assert "ECS_CLUSTER=roles-b" in host.exec("cat /etc/ecs/ecs.config").stdout
