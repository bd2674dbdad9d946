"""The fleet playbooks' paths the operator walk-through (test_playbooks_fleet.py) never takes.

One sandbox for the module (own emulator, mirror, three systemd hosts), enrolled once by `register`
at the older stand-in agent, then, in file order, each test leaving the fleet as the next expects:

1. agent_update with ecs_anywhere_drain_before_update on host 1: DRAINING (tasks gone) before the
   package changes, ACTIVE again after, at the new version.
2. rolling host 1 back to the older agent: refused without ecs_anywhere_allow_downgrade (nothing
   changes); with it, drained first, rolled back, verified on the host and in ECS, ACTIVE again.
3. agent_update of the whole fleet, one host per batch, draining first, host 2's agent broken: host 1
   is updated again, host 2 fails and stays DRAINING, the rollout stops there and host 3 is never
   touched; the summary and exit code say so.
4. drain_and_deregister on host 3 whose service tasks cannot leave: it fails naming the tasks, stays
   DRAINING (default) or goes back to ACTIVE (revert option), and keeps its ECS and SSM records.
5. drain_and_deregister with hosts 2 and 3 stopped: found through SSM by hostname and by IP address,
   deregistered API-side and reported not cleaned; host 1 (reachable) deregistered and cleaned.

Re-enrolling a drained and cleaned host is proved in test_playbooks_fleet.py.
"""
import json
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from test_playbooks_harness import CLUSTER, docker, emulator_config, managed_instances, run_playbook, summary_row
from sandbox_fixtures import wait_until

pytestmark = pytest.mark.hosts

HOST_COUNT = 3
SERVICE = "paths-web"
# The drain waits poll every 2 s instead of 10: the emulator drains within its 2 s drain delay.
FAST_POLL = ("-e", "ecs_anywhere_poll_interval=2")


def upstream(version):
    return version.rsplit("-", 1)[0]


def describe(emulator, arn):
    return emulator.client("ecs").describe_container_instances(cluster=CLUSTER, containerInstances=[arn])[
        "containerInstances"][0]


def tasks_on(emulator, arn):
    return emulator.client("ecs").list_tasks(cluster=CLUSTER, containerInstance=arn, desiredStatus="RUNNING")["taskArns"]


def service_tasks(emulator):
    return emulator.client("ecs").list_tasks(cluster=CLUSTER, serviceName=SERVICE, desiredStatus="RUNNING")["taskArns"]


def package_version(host):
    return host.exec("dpkg-query -W -f '${Version}' amazon-ecs-init").stdout


def introspected_version(host):
    meta = json.loads(host.exec("curl -sf http://localhost:51678/v1/metadata").stdout)
    return re.search(r"v([0-9.]+) ", meta["Version"]).group(1)


def registered_mis(emulator):
    return {i["InstanceId"] for i in managed_instances(emulator)}


def at_package_change(seen, emulator, arn, host):
    """on_line for run_playbook: when agent_update starts changing the package, record in `seen` what ECS and
    the host show (status, tasks on the instance, installed package)."""
    def on_line(line):
        if not line.startswith("TASK [Pin the target versions]"):
            return False
        seen.update(status=describe(emulator, arn)["status"], tasks=tasks_on(emulator, arn), package=package_version(host))
        return True
    return on_line


class Runs:
    """run_playbook, keeping every run's output in the module's tmp dir for whoever debugs a failure."""

    def __init__(self, emulator, directory):
        self.emulator, self.directory, self.count = emulator, directory, 0

    def __call__(self, name, inventory, *args, **kwargs):
        result = run_playbook(name, inventory, self.emulator, *args, **kwargs)
        self.count += 1
        (self.directory / ("%02d-%s.log" % (self.count, name))).write_text(result.stdout)
        return result


@pytest.fixture(scope="module")
def fleet(pb_fleet, pb_emulator, sandbox_versions, tmp_path_factory):
    """The three hosts enrolled by register at the older agent, with their managed instance ids and ARNs."""
    hosts, inventory = pb_fleet
    run = Runs(pb_emulator, tmp_path_factory.mktemp("playbook-runs"))
    result = run("register", inventory, "-e", "ecs_anywhere_agent_version=%s" % sandbox_versions["ecs_old"])
    assert result.rc == 0, result.tail
    mis = [json.loads(h.exec("cat /var/lib/amazon/ssm/registration").stdout)["ManagedInstanceID"] for h in hosts]
    by_mi = {}
    ecs = pb_emulator.client("ecs")
    arns = ecs.list_container_instances(cluster=CLUSTER)["containerInstanceArns"]
    for ci in ecs.describe_container_instances(cluster=CLUSTER, containerInstances=arns)["containerInstances"]:
        by_mi[ci["ec2InstanceId"]] = ci["containerInstanceArn"]
    return SimpleNamespace(hosts=hosts, inventory=inventory, mis=mis, arns=[by_mi[mi] for mi in mis], run=run)


def test_update_drains_the_host_first_and_reactivates_it(fleet, pb_emulator, sandbox_versions):
    host, arn = fleet.hosts[0], fleet.arns[0]
    old, new = sandbox_versions["ecs_old"], sandbox_versions["ecs_new"]
    ecs = pb_emulator.client("ecs")
    ecs.register_task_definition(
        family=SERVICE, requiresCompatibilities=["EXTERNAL"], networkMode="bridge",
        containerDefinitions=[{"name": "web", "image": "nginx", "cpu": 128, "memory": 64, "essential": True}])
    ecs.create_service(cluster=CLUSTER, serviceName=SERVICE, taskDefinition=SERVICE, desiredCount=6, launchType="EXTERNAL")
    wait_until("6 service tasks running", lambda: len(service_tasks(pb_emulator)) == 6, timeout=60)
    assert tasks_on(pb_emulator, arn), "the service placed no task on %s" % host.name

    # What ECS and the host show at the moment the playbook starts changing the package.
    at_update = {}
    snapshot = at_package_change(at_update, pb_emulator, arn, host)
    result = fleet.run("agent_update", fleet.inventory, "--limit", host.name,
                       "-e", "ecs_anywhere_agent_version=%s" % new, "-e", "ecs_anywhere_drain_before_update=true",
                       "-e", "ecs_anywhere_drain_timeout=60", *FAST_POLL, on_line=snapshot)
    assert result.rc == 0, result.tail
    assert at_update == {"status": "DRAINING", "tasks": [], "package": old}, at_update
    ci = describe(pb_emulator, arn)
    assert (ci["status"], ci["agentConnected"], ci["versionInfo"]["agentVersion"]) == ("ACTIVE", True, upstream(new))
    assert (package_version(host), introspected_version(host)) == (new, upstream(new))
    assert "updated to %s" % upstream(new) in summary_row(result.stdout, host.name)
    # The drained tasks were replaced on the other hosts: the service lost no capacity.
    assert len(service_tasks(pb_emulator)) == 6


def test_rollback_needs_allow_downgrade_and_is_drained_and_verified(fleet, pb_emulator, sandbox_versions):
    """Issue 13 section 5: rolling an agent back was impossible ("A later version is already installed")."""
    host, arn = fleet.hosts[0], fleet.arns[0]
    old, new = sandbox_versions["ecs_old"], sandbox_versions["ecs_new"]
    refused = fleet.run("agent_update", fleet.inventory, "--limit", host.name, "-e", "ecs_anywhere_agent_version=%s" % old)
    assert refused.rc != 0, refused.tail
    row = summary_row(refused.stdout, host.name)
    assert "runs agent %s, newer than %s; nothing was changed" % (upstream(new), upstream(old)) in row, row
    assert "ecs_anywhere_allow_downgrade=true" in row, row
    assert (package_version(host), describe(pb_emulator, arn)["status"]) == (new, "ACTIVE")

    at_change = {}
    snapshot = at_package_change(at_change, pb_emulator, arn, host)
    rolled = fleet.run("agent_update", fleet.inventory, "--limit", host.name, "-e", "ecs_anywhere_agent_version=%s" % old,
                       "-e", "ecs_anywhere_allow_downgrade=true", "-e", "ecs_anywhere_drain_before_update=true",
                       "-e", "ecs_anywhere_drain_timeout=60", *FAST_POLL, on_line=snapshot)
    assert rolled.rc == 0, rolled.tail
    assert at_change == {"status": "DRAINING", "tasks": [], "package": new}, at_change
    ci = describe(pb_emulator, arn)
    assert (ci["status"], ci["agentConnected"], ci["versionInfo"]["agentVersion"]) == ("ACTIVE", True, upstream(old))
    assert (package_version(host), introspected_version(host)) == (old, upstream(old))
    assert summary_row(rolled.stdout, host.name).endswith(" rolled back to %s" % upstream(old))
    assert len(service_tasks(pb_emulator)) == 6


def test_update_stops_the_rollout_at_the_first_failed_host(fleet, pb_emulator, sandbox_versions):
    """One host per batch, drain first: host 1 is updated, host 2 fails (left DRAINING), host 3 is never touched."""
    first, broken, later = fleet.hosts
    old, new = sandbox_versions["ecs_old"], sandbox_versions["ecs_new"]
    # Host 2's saved agent state claims another cluster: the restarted agent refuses to start
    # ("Data mismatch", exit 5), as a real ECS agent does.
    saved = broken.exec("cat /var/lib/ecs/data/agent.db").stdout
    broken.exec("cat > /var/lib/ecs/data/agent.db", input=json.dumps(dict(json.loads(saved), cluster="another-cluster")))
    untouched_tasks = set(tasks_on(pb_emulator, fleet.arns[2]))

    result = fleet.run("agent_update", fleet.inventory, "-e", "ecs_anywhere_agent_version=%s" % new,
                       "-e", "ecs_anywhere_serial=1", "-e", "ecs_anywhere_drain_before_update=true",
                       "-e", "ecs_anywhere_drain_timeout=60", *FAST_POLL,
                       "-e", "ecs_agent_register_timeout=5", "-e", "ecs_anywhere_update_timeout=30")
    assert result.rc != 0, result.tail
    assert result.stdout.count("PLAY [Roll the update out]") == 3
    assert summary_row(result.stdout, first.name).endswith(" updated to %s" % upstream(new))
    row = summary_row(result.stdout, broken.name)
    assert re.search(r"FAILED at '.*': The ECS agent on %s did not register.*\(left DRAINING\)$" % broken.name, row), row
    assert "rollout stopped" in summary_row(result.stdout, later.name)
    assert re.search(r"1 of 3 host\(s\) failed: %s: FAILED" % broken.name, result.stdout), result.tail
    assert describe(pb_emulator, fleet.arns[1])["status"] == "DRAINING"
    # The last batch was never touched: old package and agent, still ACTIVE and connected, its tasks
    # still running (it may have received some of host 2's).
    assert (package_version(later), introspected_version(later)) == (old, upstream(old))
    ci = describe(pb_emulator, fleet.arns[2])
    assert (ci["status"], ci["agentConnected"], ci["versionInfo"]["agentVersion"]) == ("ACTIVE", True, upstream(old))
    assert untouched_tasks <= set(tasks_on(pb_emulator, fleet.arns[2]))

    # Repair host 2 by hand for the next tests; its new package is in place, so it comes back updated.
    broken.exec("cat > /var/lib/ecs/data/agent.db && systemctl restart ecs", input=saved)
    pb_emulator.client("ecs").update_container_instances_state(cluster=CLUSTER, containerInstances=[fleet.arns[1]],
                                                               status="ACTIVE")
    wait_until("%s ACTIVE at %s" % (broken.name, new), lambda: describe(pb_emulator, fleet.arns[1])["versionInfo"][
        "agentVersion"] == upstream(new), timeout=60)


def test_drain_timeout_fails_the_host_naming_its_tasks(fleet, pb_emulator):
    host, arn, mi = fleet.hosts[2], fleet.arns[2], fleet.mis[2]
    busy = tasks_on(pb_emulator, arn)
    assert busy, "the service runs no task on %s" % host.name
    # The scheduler keeps the service tasks where they are, as ECS does when no other host has room.
    emulator_config(pb_emulator, drain_delay=3600)
    try:
        args = ("--limit", host.name, "-e", "ecs_anywhere_drain_timeout=6", *FAST_POLL)
        left = fleet.run("drain_and_deregister", fleet.inventory, *args)
        left_status = describe(pb_emulator, arn)["status"]
        # The revert undoes only what its own run set DRAINING: put the host back in service first.
        pb_emulator.client("ecs").update_container_instances_state(cluster=CLUSTER, containerInstances=[arn], status="ACTIVE")
        reverted = fleet.run("drain_and_deregister", fleet.inventory, *args,
                             "-e", "ecs_anywhere_revert_on_timeout=true")
    finally:
        emulator_config(pb_emulator, drain_delay=2)

    for result, status in ((left, "DRAINING"), (reverted, "ACTIVE (reverted)")):
        assert result.rc != 0, result.tail
        row = summary_row(result.stdout, host.name)
        assert "FAILED" in row and "left %s" % status in row, row
        for task in busy:
            assert task.rsplit("/", 1)[-1] in row, (task, row)
    assert left_status == "DRAINING"
    ci = describe(pb_emulator, arn)
    assert (ci["status"], sorted(tasks_on(pb_emulator, arn))) == ("ACTIVE", sorted(busy))
    # Nothing was deregistered or cleaned.
    assert mi in registered_mis(pb_emulator)
    assert json.loads(host.exec("cat /var/lib/amazon/ssm/registration").stdout)["ManagedInstanceID"] == mi
    assert host.exec("systemctl is-active ecs amazon-ssm-agent").stdout.split() == ["active", "active"]


def test_unreachable_hosts_are_deregistered_api_side(fleet, pb_emulator, tmp_path):
    reachable, by_name, by_address = fleet.hosts
    # Host 3 is known to the inventory only by an alias and its address: SSM can match it by IP only.
    data = yaml.safe_load(Path(fleet.inventory).read_text())
    group = data["all"]["children"]["ecs_anywhere"]
    group["hosts"]["edge-lost"] = group["hosts"].pop(by_address.name)
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(yaml.safe_dump(data, sort_keys=False))
    for host in (by_name, by_address):
        docker("stop", host.name)

    result = fleet.run("drain_and_deregister", str(inventory), "-e", "ecs_anywhere_drain_timeout=60", *FAST_POLL,
                       "-e", "ecs_anywhere_confirm_all=true")
    assert result.rc == 0, result.tail
    assert "deregistered and cleaned" in summary_row(result.stdout, reachable.name)
    assert re.search(r"deregistered \(found by API by hostname\); NOT CLEANED: unreachable",
                     summary_row(result.stdout, by_name.name)), summary_row(result.stdout, by_name.name)
    assert re.search(r"deregistered \(found by API by IP address\); NOT CLEANED: unreachable",
                     summary_row(result.stdout, "edge-lost")), summary_row(result.stdout, "edge-lost")
    # ECS and SSM forget all three.
    assert [describe(pb_emulator, arn)["status"] for arn in fleet.arns] == ["INACTIVE"] * 3
    assert not set(fleet.mis) & registered_mis(pb_emulator)
    # Only the reachable host was cleaned.
    assert reachable.exec("test -e /var/lib/amazon/ssm/registration || test -e /var/lib/ecs/data/agent.db",
                          check=False).returncode != 0
    # Stopped and disabled. ecs may show "failed" rather than "inactive": the agent exits on its own
    # (status 5) as soon as its instance is deregistered, before the clean-up stops it.
    assert not set(reachable.exec("systemctl is-active ecs amazon-ssm-agent", check=False).stdout.split()) & {"active", "activating"}
    assert reachable.exec("systemctl is-enabled ecs amazon-ssm-agent", check=False).stdout.split() == ["disabled"] * 2
