"""Faults on real sandbox hosts, chained on one fleet of three (A, B, C) to keep CI time down; the tests
depend on each other's outcome and run in file order.

1. register while B loses power (`docker kill`: everything on it stops at once, so the point is
   deterministic) once its SSM registration is done and the ECS agent role starts, and C's Docker engine
   is masked: each fails with its own message, A enrolls, nothing of B or C is left half-registered, the
   activation is deleted; a re-run enrolls B and C.
2. agent_update, drain_and_deregister and register with 30% of the controller's AWS calls throttled and
   200 ms latency on each: all succeed.
3. drain_and_deregister of B while the control plane (emulator) is stopped during the drain wait and
   started again (same port, state kept as AWS keeps it) once the wait gave up: B is not deregistered
   with its tasks on it, it fails on its own, and a re-run finishes the job.
"""
import json
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # fault_fixtures sits beside this file
from fault_fixtures import (  # noqa: E402
    CONTROLLER_USER_AGENT, assert_activations_all_deleted, assert_config_whole, assert_enrolled_exactly_once,
    control_plane_mis, host_mi, restart_host)
from sandbox_fixtures import wait_until  # noqa: E402
from test_playbooks_harness import (  # noqa: E402
    CLUSTER, activations_report, container_instances, docker, recap, run_playbook, summary_row)

pytestmark = pytest.mark.hosts
HOST_COUNT = 3
THROTTLE = {"throttle_rate": 0.3, "latency_ms": 200, "seed": 8, "user_agent": CONTROLLER_USER_AGENT}
# Recorded for .build/reliability-faults.md: wall time of each playbook run, by test.
TIMES = {}


def keep(emulator, name, result):
    """Keep a run's whole output beside the emulator's logs (the assertion messages show only its tail)."""
    path = emulator.log_dir / (re.sub(r"\W+", "-", name) + ".out")
    path.write_text(result.stdout)
    TIMES[name] = result.seconds
    return path


def host_side_changes(stdout, host):
    """Tasks reported changed on the host itself (not those delegated to the controller, `[host -> localhost]`)."""
    return re.findall(r"^changed: \[%s\]" % re.escape(host), stdout, re.M)


def failure_line(stdout):
    """The final 'N of M host(s) failed: ...' message of a failed run (from its `fatal: [...]: FAILED! => {json}` line)."""
    found = [json.loads(line.split(" => ", 1)[1])["msg"] for line in stdout.splitlines()
             if line.startswith("fatal: [") and " => " in line and "host(s) failed: " in line]
    return found[-1] if found else ""


def test_register_with_a_host_stopped_midway_and_docker_masked(fault_fleet, fault_emulator, sandbox_versions):
    hosts, inventory = fault_fleet
    a, b, c = hosts
    # C: the operator (or a config-management run) has masked Docker before register runs.
    c.exec("systemctl mask docker.service docker.socket")

    def stop_b(line):
        # The deterministic point: every host finished the SSM agent role (B is registered with SSM, its
        # agent running) and the ECS agent role begins; B's container instance does not exist yet.
        # `docker kill` (power loss) rather than `docker stop`: a host shutting down slowly still answers
        # over Ansible's open SSH connection for a while, which makes the failing task a matter of timing.
        if line.startswith("TASK [ECS agent]"):
            assert host_mi(b), "B should be registered with SSM when its ECS agent role starts"
            docker("kill", b.name)
            return True
        return False
    result = run_playbook("register", inventory, fault_emulator, "-e", "ecs_anywhere_agent_version=%s" % sandbox_versions["ecs_old"],
                          "-e", "ecs_anywhere_verify_timeout=60", on_line=stop_b)
    keep(fault_emulator, "register, B stopped midway, C Docker masked", result)
    assert result.rc != 0, result.tail
    assert "TASK [ECS agent]" in result.stdout
    message = failure_line(result.stdout)
    # One clear failure per host, each with its cause; A is not among them.
    assert message.startswith("2 of 3 host(s) failed"), result.tail
    assert re.search(r"%s: FAILED \(unreachable\) at '[^']+': .*%s.*(No route to host|Connection refused|timed out)" % (b.name, b.address), message), message
    assert re.search(r"%s: FAILED at 'Enable and start docker': .*masked" % c.name, message), message
    assert a.name + ":" not in message
    assert re.search(r"ACTIVE connected .* enrolled$", summary_row(result.stdout, a.name))
    # One activation for the three unregistered hosts; deleted although the run failed.
    assert [(x["RegistrationLimit"], x["RegistrationsCount"]) for x in activations_report(fault_emulator)] == [(3, 2)]
    assert_activations_all_deleted(fault_emulator)
    # Nothing half-registered in ECS: A's container instance only. C never registered and has no config.
    _, ecs_mis = control_plane_mis(fault_emulator)
    assert ecs_mis == [host_mi(a)]
    for ci in container_instances(fault_emulator):
        assert (ci["status"], ci["agentConnected"]) == ("ACTIVE", True), ci
    assert host_mi(c) is None
    assert c.exec("test -e /etc/ecs/ecs.config", check=False).returncode != 0
    assert c.exec("systemctl is-active amazon-ssm-agent", check=False).stdout.strip() != "active"


def test_failed_register_leaves_no_orphan_managed_instance(fault_fleet, fault_emulator):
    """Nothing half-registered in SSM: B registered with SSM and was then lost; its managed instance must not
    be left behind (an orphan that counts against the account, keeps its role, and that no host uses).
    Found by this suite (request F1 in .build/requests-reliability.md), fixed in register.yml."""
    hosts, _ = fault_fleet
    a = hosts[0]
    ssm_mis, _ = control_plane_mis(fault_emulator)
    assert ssm_mis == {host_mi(a)}, "managed instances besides A's: %s" % (ssm_mis - {host_mi(a)})


def test_register_rerun_finishes_the_job(fault_fleet, fault_emulator, sandbox_versions):
    hosts, inventory = fault_fleet
    a, b, c = hosts
    restart_host(b, inventory)
    assert_config_whole(b)  # what B had written before it stopped is whole, not half a file
    c.exec("systemctl unmask docker.service docker.socket")
    before = len(activations_report(fault_emulator))
    result = run_playbook("register", inventory, fault_emulator, "-e", "ecs_anywhere_agent_version=%s" % sandbox_versions["ecs_old"])
    out = keep(fault_emulator, "register re-run (B, C enroll)", result)
    assert result.rc == 0, result.tail
    # Nothing changes on A (the controller's package download for B and C is reported under A, delegated).
    assert host_side_changes(result.stdout, a.name) == [], out
    assert recap(result.stdout)[a.name]["failed"] == 0
    assert re.search(r"ACTIVE connected .* already enrolled$", summary_row(result.stdout, a.name))
    assert re.search(r"ACTIVE connected .* enrolled$", summary_row(result.stdout, c.name))
    # At most one new activation (for the hosts that still needed SSM), deleted; every host enrolled
    # exactly once: no duplicate container instance for B, whose first attempt was cut short.
    assert len(activations_report(fault_emulator)) - before <= 1
    assert_activations_all_deleted(fault_emulator)
    assert_enrolled_exactly_once(fault_emulator, hosts)
    for h in hosts:
        assert_config_whole(h)


def throttled(emulator):
    return emulator._call("GET", "/_emulator/faults")["throttled"]


def test_agent_update_survives_throttling(fault_fleet, fault_emulator, sandbox_versions):
    hosts, inventory = fault_fleet
    fault_emulator.faults(**THROTTLE)
    try:
        result = run_playbook("agent_update", inventory, fault_emulator, "-e", "ecs_anywhere_agent_version=%s" % sandbox_versions["ecs_new"])
        refused = throttled(fault_emulator)
    finally:
        fault_emulator.faults()
    keep(fault_emulator, "agent_update, 30% throttled + 200 ms", result)
    assert result.rc == 0, result.tail
    assert refused > 0, "no call was throttled: the test proved nothing"
    upstream = sandbox_versions["ecs_new"].rsplit("-", 1)[0]
    for ci in container_instances(fault_emulator):
        assert (ci["status"], ci["agentConnected"], ci["versionInfo"]["agentVersion"]) == ("ACTIVE", True, upstream)


def test_drain_and_register_survive_throttling(fault_fleet, fault_emulator, sandbox_versions):
    hosts, inventory = fault_fleet
    a = hosts[0]
    mi = host_mi(a)
    fault_emulator.faults(**THROTTLE)
    try:
        drained = run_playbook("drain_and_deregister", inventory, fault_emulator, "--limit", a.name,
                               "-e", "ecs_anywhere_poll_interval=2")
        refused_drain = throttled(fault_emulator)
        assert drained.rc == 0, drained.tail
        assert mi not in control_plane_mis(fault_emulator)[0]
        assert host_mi(a) is None
        fault_emulator.faults(**THROTTLE)  # the count starts again for the register run
        registered = run_playbook("register", inventory, fault_emulator,
                                  "-e", "ecs_anywhere_agent_version=%s" % sandbox_versions["ecs_new"])
        refused_register = throttled(fault_emulator)
    finally:
        fault_emulator.faults()
    keep(fault_emulator, "drain_and_deregister (1 host), 30% throttled + 200 ms", drained)
    keep(fault_emulator, "register (1 host re-enrolls), 30% throttled + 200 ms", registered)
    assert registered.rc == 0, registered.tail
    assert refused_drain > 0 and refused_register > 0, (refused_drain, refused_register)
    assert re.search(r"ACTIVE connected .* enrolled$", summary_row(registered.stdout, a.name))
    assert_activations_all_deleted(fault_emulator)
    assert_enrolled_exactly_once(fault_emulator, hosts)


RESTART = {}


def test_emulator_restart_during_drain(fault_fleet, fault_emulator):
    """The control plane goes away while the drain waits, and comes back (same port, state kept) once the wait
    has given up; B's tasks are still on it. B must be neither deregistered with tasks on it nor forgotten."""
    hosts, inventory = fault_fleet
    b = hosts[1]
    ecs = fault_emulator.client("ecs")
    ecs.register_task_definition(
        family="web", requiresCompatibilities=["EXTERNAL"], networkMode="bridge",
        containerDefinitions=[{"name": "web", "image": "nginx", "cpu": 128, "memory": 64, "essential": True}])
    ecs.create_service(cluster=CLUSTER, serviceName="web", taskDefinition="web", desiredCount=3, launchType="EXTERNAL")
    mi = host_mi(b)
    arn = next(ci["containerInstanceArn"] for ci in container_instances(fault_emulator) if ci["ec2InstanceId"] == mi)
    wait_until("a web task on B", lambda: ecs.list_tasks(cluster=CLUSTER, containerInstance=arn)["taskArns"], timeout=60)
    # Tasks stay on a DRAINING instance for 10 minutes, so they are still on B whatever the timing.
    fault_emulator._call("POST", "/_emulator/config", {"drain_delay": 600})
    activations_before = activations_report(fault_emulator)
    events = []

    def outage(line):
        # Down at the first progress report of the drain wait (B is DRAINING by then), up again once the wait
        # has ended and its result is read: deterministic, whatever botocore's retries would have ridden out.
        if not events and line.startswith("TASK [Show what the drain waits for]"):
            (status,) = [ci["status"] for ci in container_instances(fault_emulator, status=None) if ci["containerInstanceArn"] == arn]
            assert status == "DRAINING"
            fault_emulator.stop()
            events.append("stopped")
        elif events == ["stopped"] and line.startswith("TASK [Read the drain's result]"):
            # Started with the long drain delay: set afterwards, the default 2 s could stop B's tasks first
            # (in the loaded state the drain began long ago).
            fault_emulator.start(drain_delay=600)
            events.append("started after the wait")
            return True
        return False
    result = run_playbook("drain_and_deregister", inventory, fault_emulator, "--limit", b.name,
                          "-e", "ecs_anywhere_poll_interval=2", on_line=outage)
    keep(fault_emulator, "drain_and_deregister (1 host), emulator down mid-drain", result)
    RESTART.update(result=result, b=b)
    assert events == ["stopped", "started after the wait"], (events, result.tail)
    # The control plane kept its state across the restart (the activation log, codes and all).
    assert "state loaded from" in fault_emulator.logs()
    assert activations_report(fault_emulator) == activations_before
    # Nothing half-done: B is still DRAINING with its tasks, still known to SSM, its files whole.
    assert result.rc != 0, result.tail
    (ci,) = ecs.describe_container_instances(cluster=CLUSTER, containerInstances=[arn])["containerInstances"]
    assert (ci["status"], ci["runningTasksCount"] > 0) == ("DRAINING", True)
    assert mi in control_plane_mis(fault_emulator)[0] and host_mi(b) == mi
    assert_config_whole(b)


def test_drain_wait_failure_is_a_per_host_failure():
    """The failed drain of the previous test is reported for B, in the summary, with its cause.
    Found by this suite (request F2 in .build/requests-reliability.md), fixed in drain_and_deregister.yml."""
    result, b = RESTART["result"], RESTART["b"]
    message = failure_line(result.stdout)
    assert message.startswith("1 of 1 host(s) failed: %s: FAILED" % b.name), result.tail
    assert re.search(r"endpoint|connect", message, re.I), message


def test_drain_rerun_finishes_the_job(fault_fleet, fault_emulator):
    hosts, inventory = fault_fleet
    b = hosts[1]
    fault_emulator._call("POST", "/_emulator/config", {"drain_delay": 2})
    result = run_playbook("drain_and_deregister", inventory, fault_emulator, "--limit", b.name,
                          "-e", "ecs_anywhere_poll_interval=2")
    keep(fault_emulator, "drain_and_deregister re-run after the restart", result)
    assert result.rc == 0, result.tail
    assert host_mi(b) is None
    assert b.exec("test -e /var/lib/ecs/data/agent.db", check=False).returncode != 0
    assert_enrolled_exactly_once(fault_emulator, [hosts[0], hosts[2]])
    # The service's tasks left B and run on the others.
    ecs = fault_emulator.client("ecs")
    wait_until("3 web tasks on A and C", lambda: len(ecs.list_tasks(cluster=CLUSTER, serviceName="web")["taskArns"]) == 3, timeout=60)
    print("\nplaybook wall times (s): %s" % TIMES)
