"""Fleet safety on real hosts (issue 12 points 1, 3, 8 and 11, playbook side): the playbooks never act on a host
of another cluster, never move one without being asked, delete every activation a run made, and leave enrolled
hosts alone.

One sandbox for the module (own emulator, mirror, two systemd hosts A and B, reached as the unprivileged `ops`),
the tests chained in file order:

1. register A and B while the control plane loses CreateActivation's first answer (botocore retries: two
   live activations): both are deleted at the end (by the run's id tag).
2. register again, with newer pins for both agents: nothing changes, no unit restarts (start times compared).
3. drain_and_deregister of A naming another, existing cluster: refused, naming both clusters; nothing changes.
4. register of A into that other cluster: refused (A is enrolled elsewhere); nothing changes.
5. the same with ecs_anywhere_allow_cluster_change: A's container instance is drained (its tasks move to B)
   and deregistered in the old cluster before A joins the new one; the summary says "moved from ... to ...".
6. a controller that is not root (a local user without sudo; the inventory sets ansible_become for `all`)
   drains B and enrolls it again.
"""
import json
import re
from pathlib import Path

import pytest
import yaml

from test_playbooks_harness import (
    CLUSTER, activations_report, container_instances, emulator_config, managed_instances, recap, run_playbook,
    summary_row)
from sandbox_fixtures import wait_until

pytestmark = pytest.mark.hosts
HOST_COUNT = 2
OTHER = "safety-other"
SERVICE = "safety-web"
UNITS = ("docker", "amazon-ssm-agent", "ecs")


def host_mi(host):
    return json.loads(host.exec("cat /var/lib/amazon/ssm/registration").stdout)["ManagedInstanceID"]


def units(host):
    """Each agent unit's main PID and start time: a restart changes both."""
    out = host.exec("systemctl show -p Id -p MainPID -p ExecMainStartTimestampMonotonic %s" % " ".join(UNITS)).stdout
    shown = {}
    for block in out.strip().split("\n\n"):
        fields = dict(line.split("=", 1) for line in block.splitlines())
        shown[fields["Id"]] = (fields["MainPID"], fields["ExecMainStartTimestampMonotonic"])
    return shown


def packages(host):
    return host.exec("dpkg-query -W -f '${Package}=${Version}\\n' amazon-ecs-init amazon-ssm-agent docker.io").stdout


def host_files(host):
    return host.exec("cat /etc/ecs/ecs.config /var/lib/amazon/ssm/registration /var/lib/ecs/data/agent.db").stdout


def instances_of(emulator, mi):
    """(cluster, status, connected) of every container instance of `mi`, in every cluster."""
    ecs = emulator.client("ecs")
    found = []
    for cluster in ecs.list_clusters()["clusterArns"]:
        name = cluster.rsplit("/", 1)[-1]
        found += [(name, ci["status"], ci["agentConnected"]) for ci in container_instances(emulator, name, status=None)
                  if ci["ec2InstanceId"] == mi]
    return sorted(found)


@pytest.fixture(scope="module")
def fleet(pb_fleet):
    hosts, inventory = pb_fleet
    return hosts[0], hosts[1], inventory


def test_register_deletes_every_activation_of_its_run(fleet, pb_emulator, sandbox_versions):
    """Point 8: CreateActivation is performed but its answer lost; botocore retries and a second one is made. The
    run's clean-up deletes both (by the run's id tag), not only the one whose id it got."""
    a, b, inventory = fleet
    pb_emulator.faults(lose_response={"operation": "ssm:CreateActivation", "times": 1, "delay": 0})
    try:
        result = run_playbook("register", inventory, pb_emulator, "-e", "ecs_anywhere_agent_version=%s" % sandbox_versions["ecs_old"],
                              "-e", "ecs_anywhere_ssm_agent_version=%s" % sandbox_versions["ssm_old"])
        lost = pb_emulator._call("GET", "/_emulator/faults")["lose_response"]["lost"]
    finally:
        pb_emulator.faults()
    assert result.rc == 0, result.tail
    assert lost == 1, "no answer was lost: the test proved nothing"
    created = activations_report(pb_emulator)
    assert len(created) == 2, created
    # Both carry the same run id; the hosts registered with the second; neither is left.
    assert len({json.dumps(a["Tags"], sort_keys=True) for a in created}) == 1 and "hybridfleet:run-id" in json.dumps(created[0]["Tags"])
    assert sorted(a["RegistrationsCount"] for a in created) == [0, 2]
    assert [a["ActivationId"] for a in created if not a["Deleted"]] == []
    assert pb_emulator.client("ssm").describe_activations()["ActivationList"] == []
    for host in (a, b):
        assert re.search(r"ACTIVE connected .* enrolled", summary_row(result.stdout, host.name)), result.tail


def test_register_rerun_changes_and_restarts_nothing(fleet, pb_emulator, sandbox_versions):
    """Point 11: a re-run on healthy enrolled hosts, even with newer pins for both agents (AWS published new
    versions), changes nothing and restarts nothing: upgrades are agent_update's job."""
    a, b, inventory = fleet
    before = {h.name: (units(h), packages(h), host_files(h)) for h in (a, b)}
    created = len(activations_report(pb_emulator))
    result = run_playbook("register", inventory, pb_emulator, "-e", "ecs_anywhere_agent_version=%s" % sandbox_versions["ecs_new"],
                          "-e", "ecs_anywhere_ssm_agent_version=%s" % sandbox_versions["ssm_new"])
    assert result.rc == 0, result.tail
    counts = recap(result.stdout)
    for host in (a, b):
        assert counts[host.name]["changed"] == 0, (host.name, result.tail)
        assert (units(host), packages(host), host_files(host)) == before[host.name]
        assert "already enrolled" in summary_row(result.stdout, host.name)
    assert len(activations_report(pb_emulator)) == created  # no activation needed


def test_drain_refuses_a_host_of_another_cluster(fleet, pb_emulator):
    """Point 1: a reachable host enrolled in CLUSTER, drained naming another cluster that exists: refused with
    both clusters named (today: SSM deregistered and the host cleaned, its container instance left ACTIVE)."""
    a, _b, inventory = fleet
    pb_emulator.client("ecs").create_cluster(clusterName=OTHER)
    mi = host_mi(a)
    before = (instances_of(pb_emulator, mi), host_files(a), units(a))
    result = run_playbook("drain_and_deregister", inventory, pb_emulator, "--limit", a.name, "-e", "ecs_anywhere_cluster=%s" % OTHER)
    assert result.rc != 0, result.tail
    row = summary_row(result.stdout, a.name)
    assert re.search(r"REFUSED: registered in cluster %s, not %s .*nothing was changed" % (CLUSTER, OTHER), row), row or result.tail
    assert (instances_of(pb_emulator, mi), host_files(a), units(a)) == before
    assert mi in {i["InstanceId"] for i in managed_instances(pb_emulator)}


def test_register_refuses_to_move_a_host(fleet, pb_emulator):
    """Point 3: register naming another cluster must not move an enrolled host silently."""
    a, _b, inventory = fleet
    mi = host_mi(a)
    before = (instances_of(pb_emulator, mi), host_files(a), units(a))
    result = run_playbook("register", inventory, pb_emulator, "--limit", a.name, "-e", "ecs_anywhere_cluster=%s" % OTHER)
    assert result.rc != 0, result.tail
    row = summary_row(result.stdout, a.name)
    assert re.search(r"REFUSED: enrolled in cluster %s, not %s; nothing was changed.*ecs_anywhere_allow_cluster_change=true"
                     % (CLUSTER, OTHER), row), row or result.tail
    assert (instances_of(pb_emulator, mi), host_files(a), units(a)) == before


def test_register_moves_a_host_when_allowed(fleet, pb_emulator):
    """Point 3: with ecs_anywhere_allow_cluster_change, A's tasks leave it and its container instance is deregistered
    from CLUSTER before A registers in the other cluster."""
    a, b, inventory = fleet
    mi = host_mi(a)
    ecs = pb_emulator.client("ecs")
    ecs.register_task_definition(family=SERVICE, requiresCompatibilities=["EXTERNAL"], networkMode="bridge",
                                 containerDefinitions=[{"name": "web", "image": "nginx", "cpu": 128, "memory": 64, "essential": True}])
    ecs.create_service(cluster=CLUSTER, serviceName=SERVICE, taskDefinition=SERVICE, desiredCount=4, launchType="EXTERNAL")
    old_arn = next(ci["containerInstanceArn"] for ci in container_instances(pb_emulator) if ci["ec2InstanceId"] == mi)

    def tasks_on(arn):
        return ecs.list_tasks(cluster=CLUSTER, containerInstance=arn, desiredStatus="RUNNING")["taskArns"]
    wait_until("service tasks on A", lambda: tasks_on(old_arn), timeout=60)
    emulator_config(pb_emulator, drain_delay=2)
    seen = {}

    def at_ecs_role(line):
        # When the ECS agent role starts on A, its old container instance must already be gone from CLUSTER.
        if line.startswith("TASK [ECS agent]"):
            (old,) = ecs.describe_container_instances(cluster=CLUSTER, containerInstances=[old_arn])["containerInstances"]
            seen.update(status=old["status"], tasks=tasks_on(old_arn))
            return True
        return False
    result = run_playbook("register", inventory, pb_emulator, "--limit", a.name, "-e", "ecs_anywhere_cluster=%s" % OTHER,
                          "-e", "ecs_anywhere_allow_cluster_change=true", "-e", "ecs_anywhere_poll_interval=2", on_line=at_ecs_role)
    assert result.rc == 0, result.tail
    assert seen == {"status": "INACTIVE", "tasks": []}, seen
    assert re.search(r"ACTIVE connected .*moved from %s to %s" % (CLUSTER, OTHER), summary_row(result.stdout, a.name)), result.tail
    # Same managed instance, now in OTHER only; the service runs its tasks on B.
    assert host_mi(a) == mi
    assert [(c, s, conn) for c, s, conn in instances_of(pb_emulator, mi) if s != "INACTIVE"] == [(OTHER, "ACTIVE", True)]
    assert "ECS_CLUSTER=%s" % OTHER in a.exec("cat /etc/ecs/ecs.config").stdout
    wait_until("4 service tasks on B", lambda: len(ecs.list_tasks(cluster=CLUSTER, serviceName=SERVICE, desiredStatus="RUNNING")
                                                  ["taskArns"]) == 4, timeout=60)


def test_a_controller_without_root_drains_and_registers(fleet, pb_emulator, nonroot_controller):
    """Issue 13 section 2: the controller is a local user with no sudo rights, and the inventory sets
    `ansible_become: true` for `all`, as inventories often do (the implicit localhost inherits it). The controller
    side never escalates; what needs root on the host escalates there. B is taken out and enrolled again."""
    _a, b, inventory = fleet
    pb_emulator.client("ecs").delete_service(cluster=CLUSTER, service=SERVICE, force=True)
    mi = host_mi(b)
    data = yaml.safe_load(Path(inventory).read_text())
    data["all"]["vars"] = {"ansible_become": True}
    # The harness writes reports beside the inventory, in this (root's) test directory: the user's go to its own.
    data["all"]["children"]["ecs_anywhere"]["vars"]["ecs_anywhere_report_dir"] = str(nonroot_controller.home / "reports")
    own_inventory = nonroot_controller.inventory(data)
    env = nonroot_controller.env({
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1", "ANSIBLE_HOST_KEY_CHECKING": "False", "ANSIBLE_PIPELINING": "True"})
    who = nonroot_controller.run(["sudo", "-n", "true"], env=env)
    assert who.returncode != 0, "the controller user may sudo: the test would prove nothing"

    def playbook(name, *args):
        proc = nonroot_controller.run([nonroot_controller.bin("ansible-playbook"), "hybridfleet.ecs_anywhere." + name,
                                       "-i", str(own_inventory), "--limit", b.name, *args], env=env, timeout=1200)
        return proc.returncode, proc.stdout + proc.stderr

    rc, out = playbook("drain_and_deregister", "-e", "ecs_anywhere_poll_interval=2")
    assert rc == 0, out[-5000:]
    assert "deregistered and cleaned" in summary_row(out, b.name), out[-3000:]
    assert mi not in {i["InstanceId"] for i in managed_instances(pb_emulator)}
    assert b.exec("test -e /var/lib/amazon/ssm/registration", check=False).returncode != 0

    rc, out = playbook("register")
    assert rc == 0, out[-5000:]
    assert re.search(r"ACTIVE connected .* enrolled", summary_row(out, b.name)), out[-3000:]
    new_mi = host_mi(b)
    assert new_mi != mi and instances_of(pb_emulator, new_mi) == [(CLUSTER, "ACTIVE", True)]
