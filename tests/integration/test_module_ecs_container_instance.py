"""ecs_container_instance(_info) against the emulator: batching, drain with wait, deregistration, attributes."""
import json
import urllib.request

CLUSTER = "hybrid"


def configure(emulator, **values):
    req = urllib.request.Request(emulator.url + "/_emulator/config", data=json.dumps(values).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


def external_service(emulator, count, name="web"):
    ecs = emulator.client("ecs")
    ecs.register_task_definition(family=name, requiresCompatibilities=["EXTERNAL"], networkMode="bridge",
                                 containerDefinitions=[{"name": name, "image": "nginx", "memory": 64, "cpu": 16}])
    ecs.create_service(cluster=CLUSTER, serviceName=name, taskDefinition=name, desiredCount=count, launchType="EXTERNAL")
    return ecs


def standalone_task(emulator, arn):
    ecs = emulator.client("ecs")
    ecs.register_task_definition(family="job", requiresCompatibilities=["EXTERNAL"], networkMode="bridge",
                                 containerDefinitions=[{"name": "job", "image": "busybox", "memory": 32, "cpu": 8}])
    return ecs.start_task(cluster=CLUSTER, taskDefinition="job", containerInstances=[arn])["tasks"][0]["taskArn"]


def test_info_of_250_instances_is_batched(play, emulator):
    seeded = emulator.seed(CLUSTER, 250)
    emulator.reset_stats()
    (everything,) = play({"ecs_container_instance_info": {"cluster": CLUSTER}})
    assert len(everything["container_instances"]) == 250
    assert emulator.calls("ecs:ListContainerInstances") <= 3
    assert emulator.calls("ecs:DescribeContainerInstances") <= 3
    first = everything["container_instances"][0]
    for key in ("container_instance_arn", "managed_instance_id", "agent_version", "agent_connected", "status", "running_tasks_count",
                "pending_tasks_count", "registered_cpu", "registered_memory", "remaining_cpu", "remaining_memory", "attributes", "tags"):
        assert key in first, key
    assert first["managed_instance_id"] in seeded["managed_instance_ids"]
    assert first["attributes"]["ecs.os-type"] == "linux" and first["status"] == "ACTIVE"


def test_info_selectors(play, emulator):
    seeded = emulator.seed(CLUSTER, 5)
    arns, mids = seeded["container_instance_arns"], seeded["managed_instance_ids"]
    emulator.client("ecs").update_container_instances_state(cluster=CLUSTER, containerInstances=[arns[0]], status="DRAINING")
    by_filter, draining, by_arn, by_id, by_mid, unknown_cluster = play(
        {"ecs_container_instance_info": {"cluster": CLUSTER, "filter": "attribute:hostname == seed-hybrid-0002"}},
        {"ecs_container_instance_info": {"cluster": CLUSTER, "status": "DRAINING"}},
        {"ecs_container_instance_info": {"cluster": CLUSTER, "container_instances": [arns[1], arns[2]]}},
        {"ecs_container_instance_info": {"cluster": CLUSTER, "container_instances": [arns[3].rsplit("/", 1)[1], "nope"]}},
        {"ecs_container_instance_info": {"cluster": CLUSTER, "managed_instance_ids": [mids[4]]}},
        {"ecs_container_instance_info": {"cluster": "no-such-cluster"}, "expect_failure": True},
    )
    assert [c["managed_instance_id"] for c in by_filter["container_instances"]] == [mids[1]]
    assert [c["container_instance_arn"] for c in draining["container_instances"]] == [arns[0]]
    assert [c["container_instance_arn"] for c in by_arn["container_instances"]] == [arns[1], arns[2]]
    assert [c["container_instance_arn"] for c in by_id["container_instances"]] == [arns[3]]
    assert by_id["failures"] and by_id["failures"][0]["reason"] == "MISSING"
    assert [c["container_instance_arn"] for c in by_mid["container_instances"]] == [arns[4]]
    assert "ClusterNotFoundException" in unknown_cluster["msg"] and "ecs_cluster" in unknown_cluster["msg"]


def test_drain_activate_and_attributes_check_real_repeat(play, emulator):
    seeded = emulator.seed(CLUSTER, 2)
    arn, mid = seeded["container_instance_arns"][0], seeded["managed_instance_ids"][0]
    results = play(
        {"ecs_container_instance": {"cluster": CLUSTER, "managed_instance_id": mid, "state": "draining",
                                    "attributes": {"site": "p7"}}, "check_mode": True},
        {"ecs_container_instance": {"cluster": CLUSTER, "managed_instance_id": mid, "state": "draining",
                                    "attributes": {"site": "p7"}, "result_detail": "full"}},
        {"ecs_container_instance": {"cluster": CLUSTER, "managed_instance_id": mid, "state": "draining",
                                    "attributes": {"site": "p7"}}},
        {"ecs_container_instance": {"cluster": CLUSTER, "container_instance": arn, "state": "active", "remove_attributes": ["site"]}},
        {"ecs_container_instance": {"cluster": CLUSTER, "container_instance": arn, "state": "active", "remove_attributes": ["site"]}},
        diff=True,
    )
    predicted, drained, repeat, activated, activated_again = results
    assert predicted["changed"] and predicted["container_instances"][0]["status"] == "DRAINING"
    assert predicted["diff"]["after"][arn] == {"status": "DRAINING", "attributes": {"hostname": "seed-hybrid-0001", "site": "p7"}}
    assert drained["changed"] and drained["container_instances"][0]["status"] == "DRAINING"
    assert drained["container_instances"][0]["attributes"]["site"] == "p7"
    assert drained["before"][0]["status"] == "ACTIVE" and drained["after"][0]["status"] == "DRAINING"
    assert repeat["changed"] is False
    assert activated["changed"] and activated["container_instances"][0]["status"] == "ACTIVE"
    assert "site" not in activated["container_instances"][0]["attributes"]
    assert activated_again["changed"] is False
    # check mode wrote nothing: the first real run still saw ACTIVE without the attribute
    assert "site" not in drained["before"][0]["attributes"]


def test_error_paths_change_nothing(play, emulator):
    seeded = emulator.seed(CLUSTER, 1)
    arn, mid = seeded["container_instance_arns"][0], seeded["managed_instance_ids"][0]
    external_service(emulator, 1)
    before = emulator.client("ecs").describe_container_instances(cluster=CLUSTER, containerInstances=[arn])["containerInstances"][0]
    unknown_mid, unknown_arn, reserved, busy, neither = play(
        {"ecs_container_instance": {"cluster": CLUSTER, "managed_instance_id": "mi-0000000000000beef", "state": "draining"},
         "expect_failure": True},
        {"ecs_container_instance": {"cluster": CLUSTER, "container_instance": "0" * 32, "state": "active"}, "expect_failure": True},
        {"ecs_container_instance": {"cluster": CLUSTER, "container_instance": arn, "attributes": {"ecs.os-type": "windows"}},
         "expect_failure": True},
        {"ecs_container_instance": {"cluster": CLUSTER, "managed_instance_id": mid, "state": "deregistered"}, "expect_failure": True},
        {"ecs_container_instance": {"cluster": CLUSTER, "state": "active"}, "expect_failure": True},
    )
    assert "mi-0000000000000beef" in unknown_mid["msg"] and "ecs_container_instance_info" in unknown_mid["msg"]
    assert "0" * 32 in unknown_arn["msg"]
    assert "set by the ECS agent" in reserved["msg"]
    assert "tasks still run" in busy["msg"] and "wait: true" in busy["msg"] and "force: true" in busy["msg"]
    assert "one of the following is required" in neither["msg"]
    after = emulator.client("ecs").describe_container_instances(cluster=CLUSTER, containerInstances=[arn])["containerInstances"][0]
    assert after["status"] == before["status"] == "ACTIVE" and after["attributes"] == before["attributes"]


def test_drain_120_with_wait_batches_polls(play, emulator):
    configure(emulator, drain_delay=2)
    seeded = emulator.seed(CLUSTER, 120)
    external_service(emulator, 60)
    emulator.reset_stats()
    (result,) = play({"ecs_container_instance": {"cluster": CLUSTER, "managed_instance_id": seeded["managed_instance_ids"],
                                                 "state": "draining", "wait": True, "poll_interval": 1, "wait_timeout": 60,
                                                 "result_detail": "full"}})
    assert result["changed"] and len(result["container_instances"]) == 120
    assert all(c["status"] == "DRAINING" and c["running_tasks_count"] == 0 for c in result["container_instances"])
    assert sum(b["running_tasks_count"] for b in result["before"]) == 60
    rounds = result["waited"]["rounds"]
    assert rounds >= 2  # the drain delay makes at least one round find tasks still running
    # 2 describes to resolve by managed id, 2 to report the result, and at most 2 per poll round in between.
    assert emulator.calls("ecs:DescribeContainerInstances") <= 2 * rounds + 4
    assert emulator.calls("ecs:UpdateContainerInstancesState") == 12
    # 120 managed instance ids: two `ec2InstanceId in [...]` expressions (90 + 30), not a listing of the cluster
    assert emulator.calls("ecs:ListContainerInstances") == 2
    assert result["timed_out"] is False and set(result["outcomes"].values()) == {"drained"} and len(result["outcomes"]) == 120
    row = result["by_managed_instance_id"][seeded["managed_instance_ids"][0]]
    assert row == {"container_instance_arn": seeded["container_instance_arns"][0], "outcome": "drained", "running_tasks_count": 0,
                   "status": "DRAINING"}


def test_timeout_reports_standalone_tasks_and_reverts_on_request(play, emulator):
    configure(emulator, drain_delay=0)
    seeded = emulator.seed(CLUSTER, 2)
    arns = seeded["container_instance_arns"]
    task_a = standalone_task(emulator, arns[0])
    task_b = standalone_task(emulator, arns[1])
    left, reverted = play(
        {"ecs_container_instance": {"cluster": CLUSTER, "container_instance": arns[0], "state": "draining", "wait": True,
                                    "wait_timeout": 2, "poll_interval": 1}, "expect_failure": True},
        {"ecs_container_instance": {"cluster": CLUSTER, "container_instance": arns[1], "state": "draining", "wait": True,
                                    "wait_timeout": 2, "poll_interval": 1, "revert_on_timeout": True}, "expect_failure": True},
    )
    assert "Timed out" in left["msg"] and task_a in left["msg"] and "left DRAINING" in left["msg"]
    assert left["standalone_tasks"] == {arns[0]: [task_a]}
    assert task_b in reverted["msg"] and "back to ACTIVE" in reverted["msg"]
    statuses = {c["containerInstanceArn"]: c["status"] for c in emulator.client("ecs").describe_container_instances(
        cluster=CLUSTER, containerInstances=arns)["containerInstances"]}
    assert statuses == {arns[0]: "DRAINING", arns[1]: "ACTIVE"}


def test_deregister_with_wait_force_and_repeat(play, emulator):
    configure(emulator, drain_delay=1)
    seeded = emulator.seed(CLUSTER, 3)
    arns, mids = seeded["container_instance_arns"], seeded["managed_instance_ids"]
    external_service(emulator, 2)
    standalone_task(emulator, arns[2])
    predicted, drained_gone, forced, again, info = play(
        {"ecs_container_instance": {"cluster": CLUSTER, "managed_instance_id": mids[:2], "state": "deregistered", "wait": True}, "check_mode": True},
        {"ecs_container_instance": {"cluster": CLUSTER, "managed_instance_id": mids[:2], "state": "deregistered", "wait": True,
                                    "poll_interval": 1, "wait_timeout": 60}},
        {"ecs_container_instance": {"cluster": CLUSTER, "container_instance": arns[2], "state": "deregistered", "force": True}},
        {"ecs_container_instance": {"cluster": CLUSTER, "managed_instance_id": mids, "state": "deregistered"}},
        {"ecs_container_instance_info": {"cluster": CLUSTER}},
    )
    assert predicted["changed"] and {c["status"] for c in predicted["container_instances"]} == {"INACTIVE"}
    assert drained_gone["changed"] and {c["status"] for c in drained_gone["container_instances"]} == {"INACTIVE"}
    assert forced["changed"] and forced["container_instances"][0]["status"] == "INACTIVE"
    assert again["changed"] is False
    assert info["container_instances"] == []


def test_info_resolves_100_of_5000_hosts_in_three_calls(play, emulator):
    """Issue 16: drain 100 hosts of a 5,000-host cluster without listing the cluster (<= 6 calls)."""
    seeded = emulator.seed(CLUSTER, 5000)
    wanted = seeded["managed_instance_ids"][::50]
    emulator.reset_stats()
    (found,) = play({"ecs_container_instance_info": {"cluster": CLUSTER, "managed_instance_ids": wanted}})
    calls = emulator.stats()["calls"]
    assert calls == {"ecs:ListContainerInstances": 2, "ecs:DescribeContainerInstances": 1}, calls
    assert sorted(found["by_managed_instance_id"]) == sorted(wanted) and len(found["container_instances"]) == 100
    row = found["by_managed_instance_id"][wanted[3]]
    assert row["container_instance_arn"] == seeded["container_instance_arns"][150]
    assert row["cluster_name"] == CLUSTER and row["cluster_arn"] == seeded["cluster_arn"]
    assert all(r["cluster_name"] == CLUSTER for r in found["container_instances"])


def test_any_cluster_finds_each_host_in_its_cluster(play, emulator):
    c1, c2 = emulator.seed("c1", 3), emulator.seed("c2", 2)
    emulator.seed("c3", 1)
    unknown = "mi-0000000000000beef"
    emulator.reset_stats()
    found, refused = play(
        {"ecs_container_instance_info": {"any_cluster": True, "managed_instance_ids": [c1["managed_instance_ids"][0],
                                                                                        c2["managed_instance_ids"][1], unknown]}},
        {"ecs_container_instance_info": {"any_cluster": True}, "expect_failure": True},
    )
    by_mi = found["by_managed_instance_id"]
    assert set(by_mi) == {c1["managed_instance_ids"][0], c2["managed_instance_ids"][1]}
    assert by_mi[c1["managed_instance_ids"][0]]["cluster_name"] == "c1" and by_mi[c1["managed_instance_ids"][0]]["cluster_arn"] == c1["cluster_arn"]
    assert by_mi[c2["managed_instance_ids"][1]]["cluster_name"] == "c2"
    assert by_mi[c2["managed_instance_ids"][1]]["container_instance_arn"] == c2["container_instance_arns"][1]
    # one ListClusters, one query per cluster, one describe per cluster holding a match
    assert emulator.calls("ecs:ListClusters") == 1 and emulator.calls("ecs:ListContainerInstances") == 3
    assert emulator.calls("ecs:DescribeContainerInstances") == 2
    assert "any_cluster: true searches every cluster" in refused["msg"] and "managed_instance_ids" in refused["msg"]


def test_timeout_reverts_only_what_this_call_drained_and_reports_each_instance(play, emulator):
    """Issue 12 point 9: A (ACTIVE, a standalone task) is drained by the call and reverted; B was DRAINING before the
    call (someone else's drain) and stays DRAINING; C runs nothing and stays drained. Two instances changed."""
    configure(emulator, drain_delay=0)
    seeded = emulator.seed(CLUSTER, 3)
    arns, mids = seeded["container_instance_arns"], seeded["managed_instance_ids"]
    task_a, task_b = standalone_task(emulator, arns[0]), standalone_task(emulator, arns[1])
    emulator.client("ecs").update_container_instances_state(cluster=CLUSTER, containerInstances=[arns[1]], status="DRAINING")
    (result,) = play({"ecs_container_instance": {"cluster": CLUSTER, "container_instance": arns, "state": "draining", "wait": True,
                                                 "wait_timeout": 2, "poll_interval": 1, "revert_on_timeout": True},
                      "expect_failure": True})
    statuses = {c["containerInstanceArn"]: c["status"] for c in emulator.client("ecs").describe_container_instances(
        cluster=CLUSTER, containerInstances=arns)["containerInstances"]}
    assert statuses == {arns[0]: "ACTIVE", arns[1]: "DRAINING", arns[2]: "DRAINING"}
    assert result["outcomes"] == {arns[0]: "reverted", arns[1]: "timed_out", arns[2]: "drained"}
    assert result["changed"] is True and result["timed_out"] is True
    assert result["by_managed_instance_id"][mids[1]] == {"container_instance_arn": arns[1], "outcome": "timed_out",
                                                         "running_tasks_count": 1, "status": "DRAINING"}
    assert result["by_managed_instance_id"][mids[0]]["status"] == "ACTIVE"
    assert f"{mids[0]} ({arns[0]}): 1 running" in result["msg"] and f"{mids[1]} ({arns[1]}): 1 running" in result["msg"]
    assert task_a in result["msg"] and task_b in result["msg"]
    assert f"{arns[0]} (set DRAINING by this task) were set back to ACTIVE" in result["msg"]
