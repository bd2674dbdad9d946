"""EXTERNAL task definitions, services, standalone tasks, placement and draining."""
import time
import urllib.error

import pytest


def test_external_task_definition_keeps_bridge_networking(ecs, task_definition):
    td = task_definition()
    assert td["networkMode"] == "bridge"
    assert "EXTERNAL" in td["compatibilities"]
    again = ecs.describe_task_definition(taskDefinition="web")["taskDefinition"]
    assert again["networkMode"] == "bridge"
    assert again["requiresCompatibilities"] == ["EXTERNAL"]


def _service(ecs, count, td="web", name="web"):
    return ecs.create_service(cluster="edge", serviceName=name, taskDefinition=td, desiredCount=count,
                              launchType="EXTERNAL")["service"]


def test_service_places_tasks_on_active_external_instances(ecs, container_instance, task_definition):
    task_definition()
    a = container_instance(cpu=1024, memory=2048)["containerInstanceArn"]
    b = container_instance(cpu=1024, memory=2048)["containerInstanceArn"]
    svc = _service(ecs, 4)
    assert svc["launchType"] == "EXTERNAL" and svc["runningCount"] == 4 and svc["status"] == "ACTIVE"
    tasks = ecs.list_tasks(cluster="edge", serviceName="web")["taskArns"]
    assert len(tasks) == 4
    described = ecs.describe_tasks(cluster="edge", tasks=tasks)["tasks"]
    assert {t["lastStatus"] for t in described} == {"RUNNING"}
    assert sorted(t["containerInstanceArn"] for t in described) == sorted([a, a, b, b])  # spread
    instances = ecs.describe_container_instances(cluster="edge", containerInstances=[a, b])["containerInstances"]
    for instance in instances:
        remaining = {r["name"]: r["integerValue"] for r in instance["remainingResources"]
                     if r["name"] in ("CPU", "MEMORY")}
        assert remaining == {"CPU": 1024 - 2 * 256, "MEMORY": 2048 - 2 * 512}
        assert instance["runningTasksCount"] == 2
    cluster = ecs.describe_clusters(clusters=["edge"])["clusters"][0]
    assert (cluster["runningTasksCount"], cluster["activeServicesCount"]) == (4, 1)


def test_service_respects_remaining_resources(ecs, container_instance, task_definition):
    task_definition(cpu=512, memory=512)
    container_instance(cpu=1024, memory=4096)
    svc = _service(ecs, 3)
    assert svc["runningCount"] == 2
    assert "unable to place a task" in svc["events"][0]["message"]
    container_instance(cpu=1024, memory=4096)
    assert ecs.describe_services(cluster="edge", services=["web"])["services"][0]["runningCount"] == 3


def test_service_scaling_update_and_delete(ecs, container_instance, task_definition):
    task_definition()
    container_instance()
    _service(ecs, 2)
    assert ecs.update_service(cluster="edge", service="web", desiredCount=1)["service"]["runningCount"] == 1
    assert len(ecs.list_tasks(cluster="edge")["taskArns"]) == 1
    assert len(ecs.list_tasks(cluster="edge", desiredStatus="STOPPED")["taskArns"]) == 1
    task_definition(family="web", cpu=128)
    updated = ecs.update_service(cluster="edge", service="web", taskDefinition="web:2")["service"]
    assert updated["taskDefinition"].endswith("web:2") and updated["runningCount"] == 1
    # The rolling deployment moves one step per ECS call (test_ecs_services.py covers the steps).
    for _ in range(10):
        if len(ecs.describe_services(cluster="edge", services=["web"])["services"][0]["deployments"]) == 1:
            break
    running = ecs.describe_tasks(cluster="edge", tasks=ecs.list_tasks(cluster="edge")["taskArns"])["tasks"]
    assert [t["taskDefinitionArn"].split("/")[-1] for t in running] == ["web:2"]
    with pytest.raises(ecs.exceptions.InvalidParameterException):
        ecs.delete_service(cluster="edge", service="web")
    deleted = ecs.delete_service(cluster="edge", service="web", force=True)["service"]
    assert deleted["status"] == "DRAINING"
    assert ecs.list_services(cluster="edge")["serviceArns"] == []
    assert ecs.describe_services(cluster="edge", services=["web"])["services"][0]["status"] == "INACTIVE"
    assert ecs.list_tasks(cluster="edge")["taskArns"] == []
    with pytest.raises(ecs.exceptions.ServiceNotActiveException):
        ecs.update_service(cluster="edge", service="web", desiredCount=1)
    _service(ecs, 1)  # the name is free again once INACTIVE


def test_service_errors(ecs, container_instance, task_definition):
    task_definition()
    _service(ecs, 0)
    with pytest.raises(ecs.exceptions.InvalidParameterException):
        _service(ecs, 0)
    with pytest.raises(ecs.exceptions.ServiceNotFoundException):
        ecs.update_service(cluster="edge", service="nope", desiredCount=1)
    with pytest.raises(ecs.exceptions.ClientException):
        _service(ecs, 1, td="missing", name="other")
    ecs.register_task_definition(family="ec2only", containerDefinitions=[{"name": "a", "image": "x", "memory": 64}])
    with pytest.raises(ecs.exceptions.InvalidParameterException):
        _service(ecs, 1, td="ec2only", name="other")
    with pytest.raises(ecs.exceptions.ClusterNotFoundException):
        ecs.create_service(cluster="nope", serviceName="x", taskDefinition="web", desiredCount=1,
                           launchType="EXTERNAL")
    described = ecs.describe_services(cluster="edge", services=["web", "ghost"])
    assert described["failures"][0]["reason"] == "MISSING"


def test_draining_moves_service_tasks_after_delay_and_keeps_standalone(
        ecs, container_instance, task_definition, set_config):
    set_config(drain_delay=600)
    task_definition()
    a = container_instance()["containerInstanceArn"]
    _service(ecs, 2)
    standalone = ecs.run_task(cluster="edge", taskDefinition="web", launchType="EXTERNAL")["tasks"][0]
    assert standalone["containerInstanceArn"] == a
    b = container_instance()["containerInstanceArn"]
    ecs.update_container_instances_state(cluster="edge", containerInstances=[a], status="DRAINING")
    assert len(ecs.list_tasks(cluster="edge", containerInstance=a, serviceName="web")["taskArns"]) == 2
    set_config(drain_delay=0.1)  # applies to the drain already under way
    time.sleep(0.15)
    assert ecs.list_tasks(cluster="edge", containerInstance=a, serviceName="web")["taskArns"] == []
    assert len(ecs.list_tasks(cluster="edge", containerInstance=b, serviceName="web")["taskArns"]) == 2
    on_a = ecs.list_tasks(cluster="edge", containerInstance=a)["taskArns"]
    assert on_a == [standalone["taskArn"]]
    drained = ecs.describe_container_instances(cluster="edge", containerInstances=[a])["containerInstances"][0]
    assert (drained["status"], drained["runningTasksCount"]) == ("DRAINING", 1)
    stopped = ecs.describe_tasks(cluster="edge", tasks=ecs.list_tasks(
        cluster="edge", containerInstance=a, desiredStatus="STOPPED")["taskArns"])["tasks"]
    assert len(stopped) == 2 and all("drain" in t["stoppedReason"] for t in stopped)
    with pytest.raises(ecs.exceptions.InvalidParameterException):
        ecs.deregister_container_instance(cluster="edge", containerInstance=a)
    ecs.stop_task(cluster="edge", task=standalone["taskArn"])
    assert ecs.deregister_container_instance(cluster="edge", containerInstance=a)["containerInstance"][
        "status"] == "INACTIVE"


def test_draining_without_room_leaves_service_short(ecs, container_instance, task_definition, set_config):
    set_config(drain_delay=0)
    task_definition()
    a = container_instance()["containerInstanceArn"]
    _service(ecs, 1)
    ecs.update_container_instances_state(cluster="edge", containerInstances=[a], status="DRAINING")
    svc = ecs.describe_services(cluster="edge", services=["web"])["services"][0]
    assert svc["runningCount"] == 0
    container_instance()
    assert ecs.describe_services(cluster="edge", services=["web"])["services"][0]["runningCount"] == 1


def test_run_stop_and_list_tasks(ecs, container_instance, task_definition):
    task_definition(cpu=512, memory=1024)
    a = container_instance(cpu=1024, memory=2048)["containerInstanceArn"]
    resp = ecs.run_task(cluster="edge", taskDefinition="web", launchType="EXTERNAL", count=3, startedBy="me",
                        tags=[{"key": "k", "value": "v"}])
    assert len(resp["tasks"]) == 2
    assert resp["failures"] == [{"reason": "RESOURCE:CPU"}]
    arns = ecs.list_tasks(cluster="edge")["taskArns"]
    assert sorted(arns) == sorted(t["taskArn"] for t in resp["tasks"])
    assert ecs.list_tasks(cluster="edge", startedBy="me", family="web")["taskArns"] == arns
    assert len(ecs.list_tasks(cluster="edge", maxResults=1)["taskArns"]) == 1
    stopped = ecs.stop_task(cluster="edge", task=arns[0], reason="test")["task"]
    assert (stopped["lastStatus"], stopped["desiredStatus"]) == ("STOPPED", "STOPPED")
    assert stopped["stoppedReason"] == "test"
    assert ecs.list_tasks(cluster="edge")["taskArns"] == arns[1:]
    assert ecs.list_tasks(cluster="edge", desiredStatus="STOPPED")["taskArns"] == arns[:1]
    described = ecs.describe_tasks(cluster="edge", tasks=arns + ["0" * 32], include=["TAGS"])
    assert described["tasks"][1]["tags"] == [{"key": "k", "value": "v"}]
    assert described["failures"][0]["reason"] == "MISSING"
    instance = ecs.describe_container_instances(cluster="edge", containerInstances=[a])["containerInstances"][0]
    assert instance["runningTasksCount"] == 1
    with pytest.raises(ecs.exceptions.InvalidParameterException):
        ecs.stop_task(cluster="edge", task="0" * 32)
    with pytest.raises(ecs.exceptions.InvalidParameterException):
        ecs.deregister_container_instance(cluster="edge", containerInstance=a)
    forced = ecs.deregister_container_instance(cluster="edge", containerInstance=a, force=True)["containerInstance"]
    assert forced["status"] == "INACTIVE"


def test_run_task_without_instances(ecs, cluster, task_definition):
    task_definition()
    with pytest.raises(ecs.exceptions.InvalidParameterException):
        ecs.run_task(cluster="edge", taskDefinition="web", launchType="EXTERNAL")


def test_start_task_on_chosen_instance(ecs, container_instance, task_definition):
    task_definition()
    container_instance()
    b = container_instance()["containerInstanceArn"]
    resp = ecs.start_task(cluster="edge", taskDefinition="web", containerInstances=[b])
    assert resp["tasks"][0]["containerInstanceArn"] == b


def test_stopped_service_task_is_replaced(ecs, container_instance, task_definition):
    task_definition()
    container_instance()
    _service(ecs, 1)
    first = ecs.list_tasks(cluster="edge")["taskArns"]
    ecs.stop_task(cluster="edge", task=first[0])
    replaced = ecs.list_tasks(cluster="edge", serviceName="web")["taskArns"]
    assert len(replaced) == 1 and replaced != first


def test_seeded_fleet_runs_services(emulator, ecs, task_definition):
    emulator.seed("fleet", 20)
    task_definition()
    svc = ecs.create_service(cluster="fleet", serviceName="web", taskDefinition="web", desiredCount=20,
                             launchType="EXTERNAL")["service"]
    assert svc["runningCount"] == 20
    per_instance = ecs.list_container_instances(cluster="fleet", filter="runningTasksCount == 1")
    assert len(per_instance["containerInstanceArns"]) == 20


def test_service_whose_task_definition_was_deleted_does_not_break_the_region(ecs, container_instance,
                                                                             task_definition):
    arn = task_definition()["taskDefinitionArn"]
    container_instance()
    _service(ecs, 0)
    ecs.deregister_task_definition(taskDefinition=arn)
    ecs.delete_task_definitions(taskDefinitions=[arn])
    ecs.update_service(cluster="edge", service="web", desiredCount=1)
    svc = ecs.describe_services(cluster="edge", services=["web"])["services"][0]
    assert svc["runningCount"] == 0 and "does not exist" in svc["events"][0]["message"]
    assert len(ecs.list_container_instances(cluster="edge")["containerInstanceArns"]) == 1


def test_admin_task_exit_is_replaced_by_the_service(emulator, ecs, container_instance, task_definition):
    task_definition()
    container_instance()
    _service(ecs, 1)
    first = ecs.list_tasks(cluster="edge")["taskArns"][0]
    emulator.reset_stats()
    exited = emulator._call("POST", "/_emulator/tasks/exit", {"cluster": "edge", "task": first})["task"]
    assert (exited["lastStatus"], exited["stopCode"]) == ("STOPPED", "EssentialContainerExited")
    assert emulator.stats()["total"] == 0  # not an AWS call
    replaced = ecs.list_tasks(cluster="edge", serviceName="web")["taskArns"]
    assert len(replaced) == 1 and replaced[0] != first
    with pytest.raises(urllib.error.HTTPError) as exc:
        emulator._call("POST", "/_emulator/tasks/exit", {"cluster": "edge", "task": "0" * 32})
    assert exc.value.code == 400
