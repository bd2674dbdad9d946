"""ecs_container_instance's manager against a fake ECS client and a fake clock: batching per poll round, timeout handling."""
import collections

import pytest

from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._errors import FleetError
from ansible_collections.hybridfleet.ecs_anywhere.plugins.modules.ecs_container_instance import ContainerInstanceManager

ARN = "arn:aws:ecs:us-east-1:123456789012:container-instance/c/{:032x}"
DEFAULTS = dict(cluster="c", container_instance=None, managed_instance_id=None, state=None, wait=False, wait_timeout=600,
                poll_interval=10, force=False, revert_on_timeout=False, attributes=None, remove_attributes=None)


class FakeClock:
    def __init__(self):
        self.t = 0.0
        self.sleeps = []

    def now(self):
        return self.t

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.t += seconds


class FakeECS:
    """Just enough ECS: service tasks leave a DRAINING instance after `drain_rounds` describe rounds."""

    def __init__(self, count, tasks_each=1, standalone=(), drain_rounds=2):
        self.calls = collections.Counter()
        self.drain_rounds = drain_rounds
        self.instances = {}
        for i in range(count):
            arn = ARN.format(i)
            self.instances[arn] = {"containerInstanceArn": arn, "ec2InstanceId": "mi-%017x" % i, "status": "ACTIVE",
                                   "runningTasksCount": tasks_each + (1 if i in standalone else 0), "pendingTasksCount": 0,
                                   "attributes": [], "standalone": i in standalone, "drain_seen": 0}

    def _public(self, ci):
        return {k: v for k, v in ci.items() if k not in ("standalone", "drain_seen")}

    def list_container_instances(self, cluster, maxResults, nextToken=None, **_kw):
        self.calls["list"] += 1
        live = [a for a, ci in self.instances.items() if ci["status"] != "INACTIVE"]
        start = int(nextToken or 0)
        page = {"containerInstanceArns": live[start:start + maxResults]}
        if start + maxResults < len(live):
            page["nextToken"] = str(start + maxResults)
        return page

    def describe_container_instances(self, cluster, containerInstances, include=None):
        assert len(containerInstances) <= 100
        self.calls["describe"] += 1
        found = []
        for arn in containerInstances:
            ci = self.instances[arn]
            if ci["status"] == "DRAINING":
                ci["drain_seen"] += 1
                if ci["drain_seen"] > self.drain_rounds:
                    ci["runningTasksCount"] = 1 if ci["standalone"] else 0
            found.append(self._public(ci))
        return {"containerInstances": found, "failures": []}

    def update_container_instances_state(self, cluster, containerInstances, status):
        assert len(containerInstances) <= 10
        self.calls["update"] += 1
        for arn in containerInstances:
            self.instances[arn]["status"] = status
        return {"containerInstances": [], "failures": []}

    def deregister_container_instance(self, cluster, containerInstance, force):
        self.calls["deregister"] += 1
        self.instances[containerInstance]["status"] = "INACTIVE"
        return {"containerInstance": self._public(self.instances[containerInstance])}

    def list_tasks(self, cluster, containerInstance, **_kw):
        self.calls["list_tasks"] += 1
        ci = self.instances[containerInstance]
        return {"taskArns": ["task/standalone-%s" % ci["ec2InstanceId"]] if ci["standalone"] else []}

    def describe_tasks(self, cluster, tasks):
        self.calls["describe_tasks"] += 1
        return {"tasks": [{"taskArn": t, "group": "family:job"} for t in tasks]}


class FakeModule:
    def __init__(self, ecs, check_mode=False, **params):
        self.params = dict(DEFAULTS, **params)
        self.check_mode = check_mode
        self.ecs = ecs

    def client(self, service):
        return self.ecs


def manager(ecs, check_mode=False, **params):
    mgr = ContainerInstanceManager(FakeModule(ecs, check_mode, **params))
    mgr.clock = FakeClock()
    return mgr


def test_draining_120_polls_all_together_with_two_describes_per_round():
    ecs = FakeECS(120, drain_rounds=3)
    mgr = manager(ecs, container_instance=list(ecs.instances), state="draining", wait=True, poll_interval=5)
    result = mgr.run()
    rounds = result["waited"]["rounds"]
    assert rounds == 4 and mgr.clock.sleeps == [5, 5, 5]
    # resolve (2) + rounds x 2 + the final report (2): never one call per instance
    assert ecs.calls["describe"] == 2 + 2 * rounds + 2
    assert ecs.calls["update"] == 12 and ecs.calls["list"] == 0
    assert result["changed"] and {c["status"] for c in result["container_instances"]} == {"DRAINING"}
    assert result["diff"]["before"][ARN.format(0)]["status"] == "ACTIVE"


def test_timeout_names_standalone_tasks_and_leaves_draining():
    ecs = FakeECS(3, standalone={1}, drain_rounds=0)
    mgr = manager(ecs, container_instance=list(ecs.instances), state="draining", wait=True, wait_timeout=30, poll_interval=10)
    with pytest.raises(FleetError) as info:
        mgr.run()
    assert "task/standalone-mi-%017x" % 1 in info.value.message and "left DRAINING" in info.value.message
    assert info.value.extra["standalone_tasks"] == {ARN.format(1): ["task/standalone-mi-%017x" % 1]}
    assert mgr.clock.t == 30 and ecs.calls["list_tasks"] == 1
    assert {ci["status"] for ci in ecs.instances.values()} == {"DRAINING"}


def test_timeout_with_revert_sets_active_again():
    ecs = FakeECS(2, standalone={0}, drain_rounds=0)
    mgr = manager(ecs, container_instance=list(ecs.instances), state="draining", wait=True, wait_timeout=10, revert_on_timeout=True)
    with pytest.raises(FleetError, match="back to ACTIVE"):
        mgr.run()
    assert {ci["status"] for ci in ecs.instances.values()} == {"ACTIVE"}


def test_check_mode_predicts_without_writing_or_waiting():
    ecs = FakeECS(2)
    mgr = manager(ecs, check_mode=True, container_instance=list(ecs.instances), state="deregistered", wait=True,
                  attributes={"site": "p7"})
    result = mgr.run()
    assert result["changed"] and {c["status"] for c in result["container_instances"]} == {"INACTIVE"}
    assert ecs.calls["update"] == ecs.calls["deregister"] == 0 and mgr.clock.sleeps == []


def test_busy_deregistration_without_wait_or_force_changes_nothing():
    ecs = FakeECS(2)
    with pytest.raises(FleetError, match="wait: true.*force: true"):
        manager(ecs, managed_instance_id=["mi-%017x" % 0], state="deregistered").run()
    assert ecs.calls["update"] == ecs.calls["deregister"] == 0


def test_deregister_with_wait_drains_first():
    ecs = FakeECS(2, drain_rounds=1)
    result = manager(ecs, managed_instance_id=["mi-%017x" % 0, "mi-%017x" % 1], state="deregistered", wait=True).run()
    assert ecs.calls["deregister"] == 2 and result["changed"]
    assert {c["status"] for c in result["container_instances"]} == {"INACTIVE"}
