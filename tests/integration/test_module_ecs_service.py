"""ecs_service against the emulator's scheduler on seeded EXTERNAL instances: create and wait, where the tasks run,
idempotence, a rolling update to a new revision, scaling, refusals, check mode, and removal."""
import pytest

APP = {"name": "app", "image": "nginx:1.27", "memory": 64, "portMappings": [{"containerPort": 80}]}


def definition(image="nginx:1.27", family="on-prem-app"):
    return {"ecs_task_definition": {"family": family, "container_definitions": [dict(APP, image=image)]}}


def service(**options):
    return {"ecs_service": dict({"name": "on-prem-app", "cluster": "edge", "task_definition": "on-prem-app",
                                 "desired_count": 3, "poll_interval": 1, "wait_timeout": 60}, **options)}


@pytest.fixture
def fleet(emulator):
    return emulator.seed("edge", 3)


def test_lifecycle(play, emulator, fleet):
    ecs = emulator.client("ecs")
    _td, predicted, created, again = play(definition(), dict(service(), check_mode=True), service(), service(), diff=True)
    assert predicted["changed"] and predicted["tasks"] == [] and predicted["diff"]["after"] == {"state": "present"}
    assert created["changed"] and created["service"]["running_count"] == 3 and created["service"]["status"] == "ACTIVE"
    assert sorted(t["managed_instance_id"] for t in created["tasks"]) == sorted(fleet["managed_instance_ids"])
    assert all(t["last_status"] == "RUNNING" and t["task_definition_arn"].endswith(":1") for t in created["tasks"])
    assert again["changed"] is False and again["changed_fields"] == []

    _td2, rolled, scaled, tagged = play(definition("nginx:1.28"), service(), service(desired_count=1),
                                        service(desired_count=1, tags={"team": "edge"}), diff=True)
    assert rolled["changed"] and rolled["changed_fields"] == ["taskDefinition"]
    assert rolled["service"]["task_definition"].endswith(":2") and len(rolled["service"]["deployments"]) == 1
    assert len(rolled["tasks"]) == 3 and all(t["task_definition_arn"].endswith(":2") for t in rolled["tasks"])
    assert scaled["changed_fields"] == ["desiredCount"] and len(scaled["tasks"]) == 1
    assert tagged["changed_fields"] == ["tags"] and tagged["service"]["tags"] == {"team": "edge"}

    (absent_check,) = play(dict(service(state="absent"), check_mode=True))
    assert absent_check["changed"] and ecs.list_tasks(cluster="edge", serviceName="on-prem-app")["taskArns"]
    removed, removed_again = play(service(state="absent"), service(state="absent"))
    assert removed["changed"] and removed["service"] is None and removed_again["changed"] is False
    assert ecs.describe_services(cluster="edge", services=["on-prem-app"])["services"][0]["status"] == "INACTIVE"
    assert ecs.list_tasks(cluster="edge", family="on-prem-app")["taskArns"] == []


def test_refusals(play, emulator, fleet):
    play({"ecs_task_definition": {"family": "ec2-only", "requires_compatibilities": ["EC2"],
                                  "container_definitions": [APP]}})
    missing, ec2_only, daemon_count = play(
        dict(service(task_definition="nothing-here"), expect_failure=True),
        dict(service(task_definition="ec2-only"), expect_failure=True),
        dict(service(scheduling_strategy="DAEMON"), expect_failure=True),
    )
    assert "nothing-here has no ACTIVE revision" in missing["msg"] and "ecs_task_definition" in missing["msg"]
    assert "not compatible with EXTERNAL" in ec2_only["msg"]
    assert "desired_count cannot be given to a DAEMON service" in daemon_count["msg"]
    assert emulator.client("ecs").list_services(cluster="edge")["serviceArns"] == []


def test_a_service_that_cannot_settle_fails_saying_why(play, emulator, fleet):
    play(definition())
    (stuck,) = play(dict(service(desired_count=5, wait_timeout=3,
                                 placement_constraints=[{"type": "distinctInstance"}]), expect_failure=True))
    assert "is not settled after" in stuck["msg"] and "3 of 5 tasks" in stuck["msg"]
    assert "Latest ECS events:" in stuck["msg"]


def test_daemon_with_a_constraint_follows_the_hosts_that_qualify(play, emulator, fleet):
    ecs = emulator.client("ecs")
    plant7 = fleet["container_instance_arns"][:2]
    ecs.put_attributes(cluster="edge", attributes=[{"name": "site", "value": "plant-7", "targetId": arn} for arn in plant7])
    daemon = {"name": "log-shipper", "task_definition": "log-shipper", "scheduling_strategy": "DAEMON", "desired_count": None,
              "placement_constraints": [{"type": "memberOf", "expression": "attribute:site == plant-7"}]}
    _td, first = play(definition(family="log-shipper"), service(**daemon))
    assert first["changed"] and first["service"]["scheduling_strategy"] == "DAEMON"
    assert sorted(t["container_instance_arn"] for t in first["tasks"]) == sorted(plant7)

    # A host that enrolls later with the attribute gets its task; the module, re-run, changes nothing.
    late = emulator.seed("edge", 1)["container_instance_arns"][0]
    ecs.put_attributes(cluster="edge", attributes=[{"name": "site", "value": "plant-7", "targetId": late}])
    (again,) = play(service(**daemon))
    assert again["changed"] is False
    assert sorted(t["container_instance_arn"] for t in again["tasks"]) == sorted(plant7 + [late])
    assert again["service"]["desired_count"] == 3


def test_a_placement_strategy_decides_where_the_tasks_go(play, emulator, fleet):
    strategy = [{"type": "binpack", "field": "memory"}]
    _td, packed, again = play(definition(), service(desired_count=2, placement_strategy=strategy),
                              service(desired_count=2, placement_strategy=strategy))
    # Binpack on memory: the second task joins the first on its host rather than spreading (the default).
    hosts = [t["managed_instance_id"] for t in packed["tasks"]]
    assert len(hosts) == 2 and len(set(hosts)) == 1
    assert packed["service"]["placement_strategy"] == strategy and again["changed"] is False
    (spread,) = play(service(desired_count=2, placement_strategy=[{"type": "spread", "field": "instanceId"}], force_new_deployment=True))
    # A new strategy places new tasks only (as in ECS): the forced deployment replaces both, now one per host.
    assert spread["changed_fields"] == ["placementStrategy", "deployment"]
    assert len({t["managed_instance_id"] for t in spread["tasks"]}) == 2


def test_a_deployment_the_circuit_breaker_fails_is_reported_at_once(play, emulator, fleet):
    breaker = {"circuit_breaker": {"enable": True, "rollback": True}}
    play(definition(), service(desired_count=2, deployment_configuration=breaker))
    emulator._call("POST", "/_emulator/config", {"failing_images": ["nginx:broken"]})  # its tasks exit at once
    _td, failed = play(definition("nginx:broken"),
                       dict(service(desired_count=2, deployment_configuration=breaker, wait_timeout=120), expect_failure=True))
    assert failed["msg"].startswith("Service on-prem-app in cluster edge: the deployment of on-prem-app:2 FAILED "
                                    "(ECS deployment circuit breaker: tasks failed to start.); ECS is rolling back to on-prem-app:1."), failed["msg"]
    assert "desired_status STOPPED" in failed["msg"] and failed["service"]["task_definition"].endswith("on-prem-app:1")
    (back,) = play(dict(service(desired_count=2, task_definition="on-prem-app:1", deployment_configuration=breaker)))
    assert back["service"]["running_count"] == 2 and all(t["task_definition"] == "on-prem-app:1" for t in back["tasks"])
