"""ecs_container_instance's manager against a fake ECS client and a fake clock: batching per poll round, timeout handling,
what a timeout reverts and reports, where the targets are, and how large the result is."""
import json

import pytest

from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._errors import FleetError
from ansible_collections.hybridfleet.ecs_anywhere.plugins.modules.ecs_container_instance import ContainerInstanceManager
from tests.unit.plugins.fake_aws import ARN, ACCOUNT, FakeClock, FakeECS, FakeModule, FakeSTS

DEFAULTS = dict(cluster="c", container_instance=None, managed_instance_id=None, state=None, wait=False, wait_timeout=600,
                poll_interval=10, force=False, revert_on_timeout=False, attributes=None, remove_attributes=None, result_detail="compact")


def arn(i, cluster="c"):
    return ARN.format(region="us-east-1", account=ACCOUNT, cluster=cluster, id=i)


def mid(i):
    return "mi-%017x" % i


def manager(ecs, check_mode=False, sts=None, region="us-east-1", **params):
    module = FakeModule(dict(DEFAULTS, **params), check_mode=check_mode, region=region, ecs=ecs, sts=sts or FakeSTS())
    mgr = ContainerInstanceManager(module)
    mgr.clock = FakeClock()
    return mgr


def failure(mgr):
    with pytest.raises(FleetError) as info:
        mgr.run()
    return info.value


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
    assert result["diff"]["before"][arn(0)]["status"] == "ACTIVE"
    assert result["timed_out"] is False and set(result["outcomes"].values()) == {"drained"}
    expected = {"container_instance_arn": arn(7), "outcome": "drained", "running_tasks_count": 0, "status": "DRAINING"}
    assert result["by_managed_instance_id"][mid(7)] == expected


def test_timeout_names_standalone_tasks_and_leaves_draining():
    ecs = FakeECS(3, standalone={1}, drain_rounds=0)
    error = failure(manager(ecs, container_instance=list(ecs.instances), state="draining", wait=True, wait_timeout=30, poll_interval=10))
    assert "task/standalone-%s" % mid(1) in error.message and "left DRAINING" in error.message
    assert f"{mid(1)} ({arn(1)}): 1 running" in error.message
    assert error.extra["standalone_tasks"] == {arn(1): ["task/standalone-%s" % mid(1)]}
    assert error.extra["timed_out"] is True and error.extra["changed"] is True
    assert error.extra["outcomes"] == {arn(0): "drained", arn(1): "timed_out", arn(2): "drained"}
    assert {ci["status"] for ci in ecs.instances.values()} == {"DRAINING"}


def test_revert_undoes_only_what_this_call_drained_and_changed_tells_the_truth():
    """Issue 12 point 9: A was ACTIVE and never drains, B was DRAINING before the call, C drains in time."""
    ecs = FakeECS(3, standalone={0, 1}, drain_rounds=0)
    ecs.instances[arn(1)]["status"] = "DRAINING"
    mgr = manager(ecs, container_instance=list(ecs.instances), state="draining", wait=True, wait_timeout=10, revert_on_timeout=True)
    error = failure(mgr)
    statuses = {a: ci["status"] for a, ci in ecs.instances.items()}
    assert statuses == {arn(0): "ACTIVE", arn(1): "DRAINING", arn(2): "DRAINING"}
    assert error.extra["outcomes"] == {arn(0): "reverted", arn(1): "timed_out", arn(2): "drained"}
    assert error.extra["changed"] is True
    assert error.extra["by_managed_instance_id"][mid(0)]["status"] == "ACTIVE"
    expected = {"container_instance_arn": arn(1), "outcome": "timed_out", "running_tasks_count": 1, "status": "DRAINING"}
    assert error.extra["by_managed_instance_id"][mid(1)] == expected
    assert f"{arn(0)} (set DRAINING by this task) were set back to ACTIVE" in error.message
    assert ecs.calls["update_ACTIVE"] == 1


def test_revert_with_every_instance_reverted_still_reports_changed():
    ecs = FakeECS(2, standalone={0, 1}, drain_rounds=0)
    error = failure(manager(ecs, container_instance=list(ecs.instances), state="draining", wait=True, wait_timeout=10,
                            revert_on_timeout=True))
    assert {ci["status"] for ci in ecs.instances.values()} == {"ACTIVE"}
    assert error.extra["changed"] is True and set(error.extra["outcomes"].values()) == {"reverted"}


def test_revert_of_instances_drained_before_the_call_touches_nothing():
    ecs = FakeECS(1, standalone={0}, drain_rounds=0)
    ecs.instances[arn(0)]["status"] = "DRAINING"
    error = failure(manager(ecs, container_instance=[arn(0)], state="draining", wait=True, wait_timeout=10, revert_on_timeout=True))
    assert ecs.instances[arn(0)]["status"] == "DRAINING" and ecs.calls["update"] == 0
    assert error.extra["changed"] is False and error.extra["outcomes"] == {arn(0): "timed_out"}
    assert "none was set back to ACTIVE" in error.message


def test_refused_state_change_is_a_failed_outcome_and_the_others_are_still_drained():
    ecs = FakeECS(2, drain_rounds=0)
    ecs.instances[arn(1)]["_refuse"] = "UNSUPPORTED"
    error = failure(manager(ecs, container_instance=list(ecs.instances), state="draining", wait=True, wait_timeout=10))
    assert error.extra["outcomes"] == {arn(0): "drained", arn(1): "failed"}
    assert "ECS refused to set DRAINING" in error.message and "UNSUPPORTED" in error.message
    assert error.extra["timed_out"] is False and error.extra["changed"] is True


def test_check_mode_predicts_without_writing_or_waiting():
    ecs = FakeECS(2)
    mgr = manager(ecs, check_mode=True, container_instance=list(ecs.instances), state="deregistered", wait=True,
                  attributes={"site": "p7"})
    result = mgr.run()
    assert result["changed"] and {c["status"] for c in result["container_instances"]} == {"INACTIVE"}
    assert ecs.calls["update"] == ecs.calls["deregister"] == 0 and mgr.clock.sleeps == []


def test_check_mode_drain_outcomes_are_unchanged():
    ecs = FakeECS(2)
    result = manager(ecs, check_mode=True, container_instance=list(ecs.instances), state="draining", wait=True).run()
    assert set(result["outcomes"].values()) == {"unchanged"} and ecs.calls["update"] == 0


def test_busy_deregistration_without_wait_or_force_changes_nothing():
    ecs = FakeECS(2)
    with pytest.raises(FleetError, match="wait: true.*force: true"):
        manager(ecs, managed_instance_id=[mid(0)], state="deregistered").run()
    assert ecs.calls["update"] == ecs.calls["deregister"] == 0


def test_deregister_with_wait_drains_first():
    ecs = FakeECS(2, drain_rounds=1)
    result = manager(ecs, managed_instance_id=[mid(0), mid(1)], state="deregistered", wait=True).run()
    assert ecs.calls["deregister"] == 2 and result["changed"]
    assert {c["status"] for c in result["container_instances"]} == {"INACTIVE"}


def test_managed_ids_are_resolved_with_the_query_language_not_a_listing():
    ecs = FakeECS(5000, tasks_each=0)
    wanted = [mid(i) for i in range(0, 5000, 50)]  # 100 hosts of 5,000
    result = manager(ecs, managed_instance_id=wanted, state="draining").run()
    assert len(result["container_instances"]) == 100
    # 2 filtered ListContainerInstances (90 + 10 ids), 1 describe to resolve, 1 to report; 10 state changes of 10
    assert ecs.calls["list"] == ecs.calls["list_filtered"] == 2
    assert ecs.calls["describe"] == 2 and ecs.calls["update"] == 10


@pytest.mark.parametrize("param", ["cluster", "container_instance"])
def test_arn_of_another_region_or_account_is_refused_before_any_call(param):
    ecs, sts = FakeECS(1), FakeSTS()
    other_region = "arn:aws:ecs:eu-west-1:%s:cluster/c" % ACCOUNT
    other_account = "arn:aws:ecs:us-east-1:111111111111:container-instance/c/%032x" % 0
    value = other_region if param == "cluster" else [other_account]
    params = {"cluster": value} if param == "cluster" else {"container_instance": value}
    params.setdefault("container_instance", [arn(0)])
    error = failure(manager(ecs, sts=sts, state="deregistered", force=True, **params))
    if param == "cluster":
        assert "region eu-west-1, account 123456789012" in error.message and "region us-east-1" in error.message
    else:
        assert "account 111111111111" in error.message and "account 123456789012" in error.message
    assert "Nothing was changed" in error.message
    assert sum(ecs.calls.values()) == 0 and sts.calls == 1


def test_names_alone_never_ask_sts():
    ecs, sts = FakeECS(1), FakeSTS()
    manager(ecs, sts=sts, container_instance=["%032x" % 0], state="active").run()
    assert sts.calls == 0


def test_deregistering_another_clusters_arn_fails_naming_its_cluster():
    ecs = FakeECS(1, cluster="c")
    other = ecs.add("prod", 1)[0]
    error = failure(manager(ecs, container_instance=[other], state="deregistered"))
    # one read (which would report an unknown cluster first), nothing written or taken as already deregistered
    assert "is in cluster prod, not in c" in error.message and set(ecs.calls) == {"describe"}
    assert ecs.instances[other]["status"] == "ACTIVE"


def test_deregistering_a_managed_instance_registered_elsewhere_fails_naming_the_cluster():
    ecs = FakeECS(1, cluster="c")
    ecs.add("prod", 1, tasks_each=0)
    error = failure(manager(ecs, managed_instance_id=[mid(1)], state="deregistered"))
    assert f"{mid(1)} is registered in cluster prod, not in c" in error.message
    assert ecs.calls["deregister"] == 0


def test_deregistering_a_bare_id_registered_elsewhere_fails_naming_the_cluster():
    ecs = FakeECS(1, cluster="c")
    ecs.add("prod", 1, tasks_each=0)
    error = failure(manager(ecs, container_instance=["%032x" % 1], state="deregistered"))
    assert "is registered in cluster prod" in error.message and ecs.calls["deregister"] == 0


def test_deregistering_what_is_nowhere_is_ok():
    ecs = FakeECS(1, cluster="c")
    ecs.add("prod", 1)
    result = manager(ecs, managed_instance_id=["mi-%017x" % 999], state="deregistered").run()
    assert result["changed"] is False and result["container_instances"] == []


def test_error_about_5000_ids_names_five_and_counts_the_rest():
    ecs = FakeECS(1)
    unknown = ["mi-%017x" % (10000 + i) for i in range(5000)]
    error = failure(manager(ecs, managed_instance_id=unknown, state="draining"))
    assert unknown[4] in error.message and unknown[5] not in error.message and "and 4995 more" in error.message
    assert len(error.message) < 600


def test_timeout_of_5000_instances_is_a_short_message_and_few_calls():
    ecs = FakeECS(5000, standalone=set(range(5000)), drain_rounds=0)
    error = failure(manager(ecs, managed_instance_id=[mid(i) for i in range(5000)], state="draining", wait=True, wait_timeout=10))
    assert "and 4995 more instance(s)" in error.message and len(error.message) < 2000
    assert ecs.calls["list_tasks"] == 10  # standalone tasks looked up for the first ten busy instances only


def test_compact_result_of_a_5000_instance_drain_is_a_fraction_of_the_full_one():
    sizes = {}
    for detail in ("compact", "full"):
        ecs = FakeECS(5000, tasks_each=0, attributes_each=25)
        result = manager(ecs, managed_instance_id=[mid(i) for i in range(5000)], state="draining", wait=True, result_detail=detail).run()
        result.pop("diff")  # returned only with --diff
        sizes[detail] = len(json.dumps(result))
    print("5,000-instance drain result: compact %.1f MB, full %.1f MB" % (sizes["compact"] / 1e6, sizes["full"] / 1e6))
    assert sizes["compact"] * 2 < sizes["full"]


@pytest.mark.parametrize("attributes,phrase", [
    ({"bad name!": "x"}, "name 'bad name!' must be"),
    ({"site": " padded"}, "the value of 'site' must be"),
    ({"site": "x" * 129}, "the value of 'site' must be"),
    ({"a%d" % i: "v" for i in range(11)}, "at most 10 custom attributes, this would make 11"),
    ({"site": {"nested": 1}}, "attribute 'site' must be a string, number or boolean"),
])
def test_attributes_ecs_would_refuse_are_refused_before_any_write(attributes, phrase):
    ecs = FakeECS(1)
    error = failure(manager(ecs, container_instance=[arn(0)], attributes=attributes))
    assert phrase in error.message and mid(0) in error.message
    assert ecs.calls["put_attributes"] == 0


def test_boolean_and_number_attributes_are_stored_as_aws_cli_users_write_them():
    ecs = FakeECS(1)
    result = manager(ecs, container_instance=[arn(0)], attributes={"gpu": True, "rack": 7, "spare": None}).run()
    stored = {a["name"]: a.get("value") for a in ecs.instances[arn(0)]["attributes"]}
    assert stored["gpu"] == "true" and stored["rack"] == "7" and stored["spare"] is None
    assert result["container_instances"][0]["attributes"] == {"gpu": "true", "rack": "7", "spare": None}


def test_rows_carry_their_cluster():
    ecs = FakeECS(1)
    row = manager(ecs, container_instance=[arn(0)], state="active").run()["container_instances"][0]
    assert row["cluster_name"] == "c" and row["cluster_arn"] == "arn:aws:ecs:us-east-1:%s:cluster/c" % ACCOUNT
