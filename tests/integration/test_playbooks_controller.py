"""The fleet playbooks' decisions that need no live host: unreachable hosts matched against a seeded control
plane (the emulator's `/_emulator/seed` makes managed + container instances without machines), and runs whose
every host is unreachable. Each test runs the playbook as users do and compares the control plane before and
after: what must not change, did not.

Inventory hosts here are unreachable on purpose (127.0.0.1 port 9, or a seeded 10.x address with a 2 s
connect timeout), so the playbooks must decide from the API alone.
"""
import json
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

from test_playbooks_harness import summary_row
from tests.conftest import COLLECTIONS_ROOT, REPO

ANSIBLE_PLAYBOOK = str(Path(sys.executable).parent / "ansible-playbook")


def ansible_env(**extra):
    import os
    env = dict(os.environ)
    env.update({
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true", "ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS_ROOT),
        "ANSIBLE_HOST_KEY_CHECKING": "False", "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0",
        "ANSIBLE_RETRY_FILES_ENABLED": "0", "ANSIBLE_PIPELINING": "True",
        "PATH": str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", ""),
    })
    env.pop("AWS_ENDPOINT_URL", None)  # the playbooks get the endpoint from ecs_anywhere_endpoint_url
    env.update(extra)
    return env


def playbook(name, inventory, emulator, *args, extra=None, timeout=300, keys=None):
    """ansible-playbook hybridfleet.ecs_anywhere.NAME as a user runs it (with other access `keys`); returns (rc, output)."""
    variables = dict({"ecs_anywhere_endpoint_url": emulator.url, "ecs_anywhere_poll_interval": 1,
                      "ecs_anywhere_report_dir": str(Path(inventory).parent / "reports")}, **(extra or {}))
    cmd = [ANSIBLE_PLAYBOOK, "hybridfleet.ecs_anywhere." + name, "-i", str(inventory), "-e", json.dumps(variables)] + list(args)
    proc = subprocess.run(cmd, cwd=REPO, env=ansible_env(**(keys or {})), capture_output=True, text=True, timeout=timeout, check=False)
    return proc.returncode, proc.stdout + proc.stderr


def unreachable_inventory(path, hosts):
    """{name: ansible_host}: hosts nobody can reach (port 9 answers nothing; 10.x has no route here)."""
    entries = {name: {"ansible_host": address, "ansible_port": 9, "ansible_user": "nobody",
                      "ansible_ssh_common_args": "-o ConnectTimeout=2"} for name, address in hosts.items()}
    path.write_text(yaml.safe_dump({"all": {"children": {"ecs_anywhere": {"hosts": entries}}}}))
    return path


def agent_call(emulator, operation, body):
    """A raw SSM agent call (RegisterManagedInstance, UpdateInstanceInformation), as the agents make it."""
    request = urllib.request.Request(emulator.url + "/", data=json.dumps(body).encode(), method="POST", headers={
        "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "AmazonSSM." + operation})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"{}")


def ssm_only_instance(emulator, computer_name, ip_address):
    """A managed instance registered with SSM only (no container instance anywhere), named as given."""
    ssm = emulator.client("ssm")
    activation = ssm.create_activation(IamRole="ecsAnywhereRole", RegistrationLimit=1)
    mi = agent_call(emulator, "RegisterManagedInstance", {"ActivationId": activation["ActivationId"],
                                                          "ActivationCode": activation["ActivationCode"]})["InstanceId"]
    rename(emulator, mi, computer_name, ip_address)
    ssm.delete_activation(ActivationId=activation["ActivationId"])
    return mi


def rename(emulator, mi, computer_name, ip_address):
    agent_call(emulator, "UpdateInstanceInformation", {"InstanceId": mi, "ComputerName": computer_name, "IPAddress": ip_address,
                                                       "AgentStatus": "Active", "PlatformType": "Linux"})


def control_plane(emulator):
    """Managed instances, and every cluster's container instances with their status."""
    ssm, ecs = emulator.client("ssm"), emulator.client("ecs")
    state = {"managed": sorted(i["InstanceId"] for i in ssm.describe_instance_information()["InstanceInformationList"])}
    for cluster in sorted(ecs.list_clusters()["clusterArns"]):
        arns = ecs.list_container_instances(cluster=cluster)["containerInstanceArns"]
        described = ecs.describe_container_instances(cluster=cluster, containerInstances=arns)["containerInstances"] if arns else []
        state[cluster.rsplit("/", 1)[-1]] = sorted((c["ec2InstanceId"], c["status"]) for c in described)
    return state


@pytest.fixture
def role(emulator):
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ssm.amazonaws.com"},
                                                     "Action": "sts:AssumeRole"}]}
    emulator.client("iam").create_role(RoleName="ecsAnywhereRole", AssumeRolePolicyDocument=json.dumps(trust))


# --- drain_and_deregister: which instance an unreachable host is ------------------------------------------------

def drain_refused(emulator, tmp_path, host, address, cluster):
    """drain_and_deregister of one unreachable host that must fail, say nothing was changed, and change nothing
    in the control plane; returns the host's summary row."""
    before = control_plane(emulator)
    inventory = unreachable_inventory(tmp_path / "hosts.yml", {host: address})
    rc, out = playbook("drain_and_deregister", inventory, emulator, "--limit", host, extra={"ecs_anywhere_cluster": cluster})
    assert rc != 0, out[-3000:]
    row = summary_row(out, host)
    assert "nothing was changed" in row, row or out[-3000:]
    assert control_plane(emulator) == before
    return row


def test_unreachable_host_of_another_cluster_is_refused_and_left_alone(emulator, role, tmp_path):
    """Issue 12 point 1: seed-c1-0005 is enrolled in c1; a drain naming c3 must not touch it (today: rc 0,
    SSM deregistered, its c1 container instance left ACTIVE)."""
    seeded = emulator.seed("c1", 5)
    emulator.seed("c3", 1)
    row = drain_refused(emulator, tmp_path, "seed-c1-0005", "127.0.0.1", "c3")
    assert re.search(r"\bcluster c1\b", row) and re.search(r"\bc3\b", row), row
    assert seeded["managed_instance_ids"][4] in row, row


def test_unreachable_host_matches_only_the_named_clusters_instance(emulator, role, tmp_path):
    """Issue 12 point 2: two managed instances named edge-1, one SSM-only (listed first), one in c1; the drain of
    c1 must take the c1 one out and leave the other (today: `(by_name + by_ip) | first`, the SSM-only one)."""
    stray = ssm_only_instance(emulator, "edge-1", "192.0.2.10")
    seeded = emulator.seed("c1", 2)
    mine = seeded["managed_instance_ids"][0]
    rename(emulator, mine, "edge-1", "192.0.2.11")
    inventory = unreachable_inventory(tmp_path / "hosts.yml", {"edge-1": "127.0.0.1"})
    rc, out = playbook("drain_and_deregister", inventory, emulator, "--limit", "edge-1", extra={"ecs_anywhere_cluster": "c1"})
    assert rc == 0, out[-3000:]
    assert re.search(r"deregistered \(found by API by hostname\); NOT CLEANED: unreachable", summary_row(out, "edge-1")), out[-3000:]
    state = control_plane(emulator)
    assert stray in state["managed"] and mine not in state["managed"]
    assert (mine, "ACTIVE") not in state["c1"] and (seeded["managed_instance_ids"][1], "ACTIVE") in state["c1"]


def test_drain_timeout_as_a_duration(emulator, role, tmp_path):
    """Issue 12, low: `ecs_anywhere_drain_timeout=10m` was reported as "got 0". Durations are read as such; the
    host (unreachable, matched by its address) is drained with a 600 s wait."""
    seeded = emulator.seed("c1", 1)
    inventory = unreachable_inventory(tmp_path / "hosts.yml", {"edge-6": "10.0.0.1"})
    rc, out = playbook("drain_and_deregister", inventory, emulator, "--limit", "edge-6",
                       extra={"ecs_anywhere_cluster": "c1", "ecs_anywhere_drain_timeout": "10m"})
    assert rc == 0, out[-3000:]
    assert "in c1, up to 600 s" in out, out[-3000:]
    assert re.search(r"deregistered \(found by API by IP address\)", summary_row(out, "edge-6")), out[-3000:]
    assert seeded["managed_instance_ids"][0] not in control_plane(emulator)["managed"]


def test_unreachable_host_with_two_candidates_fails_naming_both(emulator, role, tmp_path):
    seeded = emulator.seed("c1", 3)
    first, second = seeded["managed_instance_ids"][:2]
    rename(emulator, first, "edge-2", "192.0.2.20")
    rename(emulator, second, "edge-2", "192.0.2.21")
    row = drain_refused(emulator, tmp_path, "edge-2", "127.0.0.1", "c1")
    assert first in row and second in row, row


def test_unreachable_host_without_a_candidate_is_not_found(emulator, role, tmp_path):
    stray = ssm_only_instance(emulator, "edge-3", "192.0.2.30")
    emulator.seed("c1", 1)
    row = drain_refused(emulator, tmp_path, "edge-3", "127.0.0.1", "c1")
    assert "not found" in row and stray in row, row


# --- ecs_anywhere_transport=ssm: hosts named by their managed instance id ---------------------------------------

def ssm_inventory(path, hosts):
    """{name: managed instance id}: hosts named by id, on an address nothing answers, so nothing may connect."""
    entries = {name: {"ansible_host": "127.0.0.1", "ansible_port": 9, "ansible_user": "nobody",
                      "ansible_ssh_common_args": "-o ConnectTimeout=2", "ecs_anywhere_managed_instance_id": mi}
               for name, mi in hosts.items()}
    path.write_text(yaml.safe_dump({"all": {"children": {"ecs_anywhere": {"hosts": entries}}}}))
    return path


def test_ssm_transport_acts_only_on_known_instances_of_the_named_cluster(emulator, role, tmp_path):
    """An id SSM does not know, a host without an id and another cluster's instance: refused, nothing changed,
    nothing sent, nothing connected to."""
    emulator.seed("c1", 2)
    other = emulator.seed("c3", 1)["managed_instance_ids"][0]
    before = control_plane(emulator)
    inventory = ssm_inventory(tmp_path / "hosts.yml", {"ghost": "mi-0123456789abcdef0", "other": other, "noid": ""})
    rc, out = playbook("drain_and_deregister", inventory, emulator, "--limit", "ghost,other,noid",
                       extra={"ecs_anywhere_cluster": "c1", "ecs_anywhere_transport": "ssm"})
    assert rc != 0, out[-3000:]
    assert "FAILED: SSM knows no managed instance mi-0123456789abcdef0 in us-east-1; nothing was changed" \
        in summary_row(out, "ghost"), out[-3000:]
    assert "REFUSED: registered in cluster c3, not c1 (%s); nothing was changed" % other in summary_row(out, "other")
    assert "no managed instance id for this host" in summary_row(out, "noid")
    assert "UNREACHABLE" not in out
    assert control_plane(emulator) == before
    assert emulator.client("ssm").list_commands()["Commands"] == []


def test_ssm_transport_sends_nothing_to_a_host_ssm_sees_offline(emulator, role, tmp_path):
    emulator.seed("c1", 1)
    mi = ssm_only_instance(emulator, "edge-9", "192.0.2.90")
    emulator._call("POST", "/_emulator/config", {"heartbeat_timeout": 1})
    try:
        time.sleep(2)
        rc, out = playbook("agent_update", ssm_inventory(tmp_path / "hosts.yml", {"edge-9": mi}), emulator,
                           extra={"ecs_anywhere_cluster": "c1", "ecs_anywhere_transport": "ssm",
                                  "ecs_anywhere_agent_version": "1.105.1-1"})
    finally:
        emulator._call("POST", "/_emulator/config", {"heartbeat_timeout": 660})
    assert rc != 0, out[-3000:]
    assert "FAILED: unreachable: SSM reports %s ConnectionLost" % mi in summary_row(out, "edge-9"), out[-3000:]
    assert emulator.client("ssm").list_commands()["Commands"] == []


def test_register_refuses_the_ssm_transport(emulator, tmp_path):
    inventory = unreachable_inventory(tmp_path / "hosts.yml", {"edge-4": "127.0.0.1"})
    rc, out = playbook("register", inventory, emulator, extra={"ecs_anywhere_transport": "ssm"})
    assert rc != 0, out[-3000:]
    assert ("ssm (SSM Run Command, no SSH) serves agent_update and drain_and_deregister: run register with "
            "ecs_anywhere_transport=ssh") in out, out[-3000:]
    assert emulator.client("ecs").list_clusters()["clusterArns"] == []
    # The SSM agent's own update over SSM waits for SSM to report a version: "latest" names none.
    rc, out = playbook("agent_update", inventory, emulator, extra={
        "ecs_anywhere_transport": "ssm", "ecs_anywhere_agent_version": "1.105.1-1", "ecs_anywhere_update_ssm_agent": True})
    assert rc != 0, out[-3000:]
    assert "with ecs_anywhere_update_ssm_agent over ssm, pin ecs_anywhere_ssm_agent_version" in out, out[-3000:]
    assert emulator.client("ssm").list_commands()["Commands"] == []


# --- register with nothing to enroll ----------------------------------------------------------------------------

def test_register_with_every_host_unreachable_touches_nothing(emulator, tmp_path):
    """Issue 12, low: with every host unreachable, register created the cluster and the IAM role and said "The
    activation was deleted" though none was created. Now nothing is created and the message says so."""
    inventory = unreachable_inventory(tmp_path / "hosts.yml", {"edge-4": "127.0.0.1", "edge-5": "127.0.0.1"})
    rc, out = playbook("register", inventory, emulator, extra={"ecs_anywhere_cluster": "c9"})
    assert rc != 0, out[-3000:]
    assert "2 of 2 host(s) failed" in out, out[-3000:]
    assert "The activation was deleted" not in out
    assert "No activation was created" in out, out[-3000:]
    assert emulator.client("ecs").list_clusters()["clusterArns"] == []
    assert emulator.client("iam").list_roles()["Roles"] == []
    assert emulator.activations()["activations"] == []


def test_eusc_region_is_accepted(emulator, tmp_path):
    """Issue 13 section 5: the playbooks' region check refused eusc-de-east-1 (the European Sovereign Cloud)."""
    seeded = emulator.seed("c1", 1, region="eusc-de-east-1")
    inventory = unreachable_inventory(tmp_path / "hosts.yml", {"seed-c1-0001": "127.0.0.1"})
    rc, out = playbook("drain_and_deregister", inventory, emulator, "--limit", "seed-c1-0001",
                       extra={"ecs_anywhere_cluster": "c1", "ecs_anywhere_region": "eusc-de-east-1"})
    assert rc == 0, out[-3000:]
    assert "deregistered (found by API by hostname)" in summary_row(out, "seed-c1-0001"), out[-3000:]
    ssm = emulator.client("ssm", "eusc-de-east-1")
    assert seeded["managed_instance_ids"][0] not in [i["InstanceId"] for i in ssm.describe_instance_information()["InstanceInformationList"]]
