"""docs/iam-policy.json is enough and names what it grants: with the emulator enforcing IAM, the three fleet
playbooks and the `fleet` inventory run green on a sandbox host with access keys limited to that policy, and a
call the policy does not allow fails with AWS's AccessDeniedException naming the missing action.

After register (static inventory, as for hosts not yet enrolled), agent_update and drain_and_deregister run
on the live `fleet` inventory, as an operator with a dynamic inventory runs them: its enrolled hosts land in
the `ecs_anywhere` group the playbooks target.
"""
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from test_playbooks_harness import (  # noqa: F401  (fixtures are used by name)
    ANSIBLE_PLAYBOOK, CLUSTER, container_instances, emulator_config, managed_instances, pb_emulator, pb_fleet,
    playbook_env, sandbox_versions)
from sandbox_fixtures import docker_engine, mirror, sandbox_packages, test_fleet  # noqa: F401
from test_inventory_fleet import plain

pytestmark = pytest.mark.hosts
HOST_COUNT = 1
POLICY = Path(__file__).resolve().parents[2] / "docs" / "iam-policy.json"


def operator(emulator, name, policy):
    """An IAM user holding `policy` inline, and an access key the emulator checks against it."""
    iam = emulator.client("iam")  # the fixed test keys: never evaluated
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="hybridfleet-controller", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return {"AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]}


@pytest.fixture(scope="module")
def enforced(pb_emulator):
    emulator_config(pb_emulator, enforce_iam=True)
    yield pb_emulator
    emulator_config(pb_emulator, enforce_iam=False)


@pytest.fixture(scope="module")
def keys(enforced):
    return operator(enforced, "fleet-operator", json.loads(POLICY.read_text()))


def run(argv, emulator, keys, timeout=1800):
    env = playbook_env(emulator)
    env.update(keys, ANSIBLE_INVENTORY_UNPARSED_FAILED="1")  # an inventory source that fails must fail the run
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout, check=False)


def playbook(name, inventory, emulator, keys, *args):
    proc = run([ANSIBLE_PLAYBOOK, "hybridfleet.ecs_anywhere.%s" % name, "-i", inventory] + list(args), emulator, keys)
    return proc.returncode, proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def fleet_inventory(pb_fleet, enforced, tmp_path_factory):
    """A `fleet` inventory source beside group_vars holding what the static inventory's group holds (SSH login,
    the sandbox's endpoint, mirror and key): the directory to pass to -i."""
    _, inventory = pb_fleet
    directory = tmp_path_factory.mktemp("fleet-inventory")
    (directory / "group_vars").mkdir()
    (directory / "iam.fleet.yml").write_text(yaml.safe_dump({
        "plugin": "hybridfleet.ecs_anywhere.fleet", "regions": ["us-east-1"], "clusters": [CLUSTER],
        "endpoint_url": enforced.url}))
    group_vars = yaml.safe_load(Path(inventory).read_text())["all"]["children"]["ecs_anywhere"]["vars"]
    (directory / "group_vars" / "all.yml").write_text(yaml.safe_dump(group_vars))
    return str(directory)


def test_the_policy_is_least_privilege_in_form():
    """Every statement names its actions; nothing is granted by a service wildcard."""
    statements = json.loads(POLICY.read_text())["Statement"]
    actions = [a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])]
    assert actions and not [a for a in actions if "*" in a]
    passrole = [s for s in statements if s["Action"] == "iam:PassRole"]
    assert passrole and all(s["Condition"]["StringEquals"]["iam:PassedToService"] == "ssm.amazonaws.com" for s in passrole)
    assert all(s["Resource"] != "*" for s in passrole)


def test_register_with_the_policy(pb_fleet, enforced, keys, sandbox_versions):
    hosts, inventory = pb_fleet
    rc, out = playbook("register", inventory, enforced, keys, "-e", "ecs_anywhere_agent_version=%s" % sandbox_versions["ecs_old"])
    assert rc == 0, out[-6000:]
    assert [(c["status"], c["agentConnected"]) for c in container_instances(enforced)] == [("ACTIVE", True)]


def test_fleet_inventory_with_the_policy(pb_fleet, enforced, keys, tmp_path):
    hosts, _ = pb_fleet
    source = tmp_path / "iam.fleet.yml"
    source.write_text(yaml.safe_dump({"plugin": "hybridfleet.ecs_anywhere.fleet", "regions": ["us-east-1"],
                                      "clusters": [CLUSTER], "endpoint_url": enforced.url}))
    proc = run([str(Path(sys.executable).parent / "ansible-inventory"), "-i", str(source), "--list"], enforced, keys)
    assert proc.returncode == 0, proc.stderr[-4000:]
    hostvars = plain(json.loads(proc.stdout))["_meta"]["hostvars"]
    assert [v["ssm_computer_name"] for v in hostvars.values()] == [hosts[0].name]


def test_agent_update_with_the_policy(fleet_inventory, enforced, keys, sandbox_versions):
    rc, out = playbook("agent_update", fleet_inventory, enforced, keys, "-e", "ecs_anywhere_agent_version=%s" % sandbox_versions["ecs_new"],
                       "-e", "ecs_anywhere_drain_before_update=true")
    assert rc == 0, out[-6000:]
    assert [c["versionInfo"]["agentVersion"] for c in container_instances(enforced)] == [sandbox_versions["ecs_new"].rsplit("-", 1)[0]]


def test_agent_update_over_ssm_with_the_policy(pb_fleet, fleet_inventory, enforced, keys, sandbox_versions):
    """ecs_anywhere_transport=ssm on the fleet inventory (its ssm_instance_id names each host): Run Command and
    its follow-up calls are in the policy, and nothing connects to the host."""
    hosts, _ = pb_fleet
    hosts[0].exec("systemctl stop ssh.socket ssh.service 2>/dev/null; systemctl stop ssh; true")
    try:
        rc, out = playbook("agent_update", fleet_inventory, enforced, keys, "-e", "ecs_anywhere_agent_version=%s" % sandbox_versions["ecs_old"],
                           "-e", "ecs_anywhere_allow_downgrade=true", "-e", "ecs_anywhere_transport=ssm")
    finally:
        hosts[0].exec("systemctl start ssh")
    assert rc == 0, out[-6000:]
    assert [c["versionInfo"]["agentVersion"] for c in container_instances(enforced)] == [sandbox_versions["ecs_old"].rsplit("-", 1)[0]]


def test_a_call_outside_the_policy_is_denied_and_named(pb_fleet, fleet_inventory, enforced):
    """The same policy without ecs:DeregisterContainerInstance: the drain stops at that call, which AWS's error names."""
    hosts, _ = pb_fleet
    policy = json.loads(POLICY.read_text())
    for statement in policy["Statement"]:
        if isinstance(statement["Action"], list) and "ecs:DeregisterContainerInstance" in statement["Action"]:
            statement["Action"].remove("ecs:DeregisterContainerInstance")
    narrow = operator(enforced, "fleet-operator-narrow", policy)
    rc, out = playbook("drain_and_deregister", fleet_inventory, enforced, narrow, "--limit", hosts[0].name)
    assert rc != 0
    assert "AccessDeniedException" in out
    assert "is not authorized to perform: ecs:DeregisterContainerInstance" in out
    # Refused means not done: the host's container instance is still registered, and so is its managed instance.
    assert [c["status"] for c in container_instances(enforced, status=None)] != ["INACTIVE"]
    assert len(managed_instances(enforced)) == 1


def test_drain_and_deregister_with_the_policy(pb_fleet, fleet_inventory, enforced, keys):
    hosts, _ = pb_fleet
    rc, out = playbook("drain_and_deregister", fleet_inventory, enforced, keys, "--limit", hosts[0].name)
    assert rc == 0, out[-6000:]
    assert container_instances(enforced) == []
    assert managed_instances(enforced) == []
