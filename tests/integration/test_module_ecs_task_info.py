"""ecs_task_info against the emulator's scheduler: what runs where, per service, stopped tasks, and a missing cluster."""
from sandbox_fixtures import wait_until


def start_service(ecs, name, count):
    ecs.register_task_definition(family=name, requiresCompatibilities=["EXTERNAL"], networkMode="bridge",
                                 containerDefinitions=[{"name": name, "image": "nginx:1.27", "memory": 64,
                                                        "portMappings": [{"containerPort": 80}]}])
    ecs.create_service(cluster="edge", serviceName=name, taskDefinition=name, desiredCount=count, launchType="EXTERNAL")


def running(ecs, service):
    arns = ecs.list_tasks(cluster="edge", serviceName=service, desiredStatus="RUNNING")["taskArns"]
    return [t for t in ecs.describe_tasks(cluster="edge", tasks=arns)["tasks"] if t["lastStatus"] == "RUNNING"] if arns else []


def test_tasks_with_their_hosts(play, emulator):
    fleet = emulator.seed("edge", 3)
    ecs = emulator.client("ecs")
    start_service(ecs, "web", 3)
    start_service(ecs, "cache", 1)
    wait_until("4 tasks running", lambda: len(running(ecs, "web")) == 3 and len(running(ecs, "cache")) == 1, timeout=60)

    emulator.reset_stats()
    everything, web, checked = play({"ecs_task_info": {"cluster": "edge"}}, {"ecs_task_info": {"cluster": "edge", "service": "web"}},
                                    {"ecs_task_info": {"cluster": "edge"}, "check_mode": True})
    # Three reads, each one ListTasks, one DescribeTasks and one DescribeContainerInstances: nothing per task or host.
    calls = emulator.stats()["calls"]
    assert (calls["ecs:ListTasks"], calls["ecs:DescribeTasks"], calls["ecs:DescribeContainerInstances"]) == (3, 3, 3)
    assert everything["changed"] is False and len(everything["tasks"]) == 4
    assert [t["service_name"] for t in everything["tasks"]] == ["cache", "web", "web", "web"]
    assert {t["managed_instance_id"] for t in web["tasks"]} <= set(fleet["managed_instance_ids"])
    web_ids = sorted(t["task_id"] for t in web["tasks"])
    assert web_ids == sorted(t["taskArn"].rsplit("/", 1)[-1] for t in running(ecs, "web"))
    for task in everything["tasks"]:
        assert task["task_definition"] == "%s:1" % task["service_name"] and task["launch_type"] == "EXTERNAL"
        assert task["last_status"] == "RUNNING" and task["containers"][0]["image"] == "nginx:1.27"
        assert task in everything["by_managed_instance_id"][task["managed_instance_id"]]
    assert sum(len(rows) for rows in everything["by_managed_instance_id"].values()) == 4
    assert checked["tasks"] == everything["tasks"]

    ecs.update_service(cluster="edge", service="cache", desiredCount=0)
    wait_until("cache stopped", lambda: not running(ecs, "cache"), timeout=60)
    (stopped,) = play({"ecs_task_info": {"cluster": "edge", "service": "cache", "desired_status": "STOPPED"}})
    assert [(t["service_name"], t["desired_status"]) for t in stopped["tasks"]] == [("cache", "STOPPED")]


def test_a_missing_cluster_is_named(play, emulator):
    (missing,) = play({"ecs_task_info": {"cluster": "nowhere"}, "expect_failure": True})
    assert missing["msg"] == "cluster nowhere does not exist in us-east-1: check cluster and region."
