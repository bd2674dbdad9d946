"""The service scheduler as ECS runs it for EXTERNAL services: placement constraints, host ports, DAEMON services,
rolling deployments within minimumHealthyPercent / maximumPercent, and the fields ECS returns."""
import collections
import re

import pytest

CLUSTER = "edge"


def _td(ecs, family="web", cpu=128, memory=128, network_mode="bridge", ports=(), health=False, constraints=(),
        image="nginx:1.27"):
    container = {"name": "app", "image": image, "cpu": cpu, "memory": memory, "essential": True,
                 "portMappings": [dict(p) for p in ports]}
    if health:
        container["healthCheck"] = {"command": ["CMD-SHELL", "true"]}
    return ecs.register_task_definition(
        family=family, requiresCompatibilities=["EXTERNAL"], networkMode=network_mode,
        containerDefinitions=[container], placementConstraints=list(constraints))["taskDefinition"]


def _service(ecs, name="web", **extra):
    extra.setdefault("desiredCount", 1)
    return ecs.create_service(cluster=CLUSTER, serviceName=name, taskDefinition=extra.pop("td", "web"),
                              launchType="EXTERNAL", **extra)["service"]


def _describe(ecs, name="web"):
    return ecs.describe_services(cluster=CLUSTER, services=[name])["services"][0]


def _tasks(ecs, **filters):
    arns = ecs.list_tasks(cluster=CLUSTER, **filters)["taskArns"]
    return ecs.describe_tasks(cluster=CLUSTER, tasks=arns)["tasks"] if arns else []


def _per_instance(tasks):
    return collections.Counter(t["containerInstanceArn"] for t in tasks)


def _messages(service):
    return [e["message"] for e in service["events"]]


# --- placement strategies ------------------------------------------------------------------------------------------
def test_binpack_on_memory_fills_the_fullest_instance_first(ecs, container_instance):
    _td(ecs, memory=512)
    roomy = container_instance(memory=4096)["containerInstanceArn"]
    tight = container_instance(memory=1536)["containerInstanceArn"]
    _service(ecs, desiredCount=4, placementStrategy=[{"type": "binpack", "field": "memory"}])
    # 1536 MiB takes three tasks of 512 before the roomy instance gets one.
    assert _per_instance(_tasks(ecs)) == {tight: 3, roomy: 1}


def test_spread_over_an_attribute_balances_sites_not_instances(ecs, container_instance):
    _td(ecs)
    plant7 = [container_instance(attributes=[("site", "plant-7")])["containerInstanceArn"] for _ in range(3)]
    plant9 = container_instance(attributes=[("site", "plant-9")])["containerInstanceArn"]
    _service(ecs, desiredCount=4, placementStrategy=[{"type": "spread", "field": "attribute:site"},
                                                      {"type": "spread", "field": "instanceId"}])
    placed = _per_instance(_tasks(ecs))
    assert placed[plant9] == 2 and sum(placed[i] for i in plant7) == 2 and max(placed[i] for i in plant7) == 1


def test_default_spreads_over_instances_and_a_strategy_change_applies_to_later_tasks(ecs, container_instance):
    _td(ecs)
    first, second = (container_instance()["containerInstanceArn"] for _ in range(2))
    _service(ecs, desiredCount=2)
    assert _per_instance(_tasks(ecs)) == {first: 1, second: 1}
    ecs.update_service(cluster=CLUSTER, service="web", desiredCount=4, placementStrategy=[{"type": "binpack", "field": "cpu"}])
    assert sorted(_per_instance(_tasks(ecs)).values()) == [1, 3]
    assert _describe(ecs)["placementStrategy"] == [{"type": "binpack", "field": "cpu"}]


@pytest.mark.parametrize("strategy, message", [
    ([{"type": "binpack", "field": "disk"}], "Invalid placement strategy field 'disk' for binpack"),
    ([{"type": "spread"}], "Invalid placement strategy field None for spread"),
    ([{"type": "random", "field": "cpu"}], "A random placement strategy takes no field."),
    ([{"type": "random"}] * 6, "A service can have at most 5 placement strategies."),
])
def test_malformed_strategies_are_refused(ecs, container_instance, strategy, message):
    _td(ecs)
    container_instance()
    with pytest.raises(ecs.exceptions.InvalidParameterException, match=re.escape(message)):
        _service(ecs, placementStrategy=strategy)
    assert ecs.list_services(cluster=CLUSTER)["serviceArns"] == []


# --- placement constraints -----------------------------------------------------------------------------------------
def test_member_of_service_constraint_keeps_tasks_on_matching_instances(ecs, container_instance):
    _td(ecs)
    plant = [container_instance(attributes=[("site", "plant-7")])["containerInstanceArn"] for _ in range(2)]
    container_instance(attributes=[("site", "plant-9")])
    _service(ecs, desiredCount=4,
             placementConstraints=[{"type": "memberOf", "expression": "attribute:site == plant-7"}])
    assert _per_instance(_tasks(ecs)) == {plant[0]: 2, plant[1]: 2}


def test_task_definition_constraint_and_run_task_failure_reason(ecs, container_instance):
    _td(ecs, constraints=[{"type": "memberOf", "expression": "attribute:site == plant-7"}])
    container_instance(attributes=[("site", "plant-9")])
    resp = ecs.run_task(cluster=CLUSTER, taskDefinition="web", launchType="EXTERNAL")
    assert resp["tasks"] == [] and resp["failures"] == [{"reason": "MemberOf placement constraint unsatisfied."}]
    plant = container_instance(attributes=[("site", "plant-7")])["containerInstanceArn"]
    resp = ecs.run_task(cluster=CLUSTER, taskDefinition="web", launchType="EXTERNAL", count=2)
    assert [t["containerInstanceArn"] for t in resp["tasks"]] == [plant, plant]
    svc = _service(ecs, desiredCount=1,
                   placementConstraints=[{"type": "memberOf", "expression": "attribute:site == nowhere"}])
    assert svc["runningCount"] == 0
    assert _messages(svc)[0].endswith('encountered error "MemberOf placement constraint unsatisfied.".')


def test_distinct_instance_one_task_of_the_group_per_instance(ecs, container_instance):
    _td(ecs)
    arns = [container_instance()["containerInstanceArn"] for _ in range(2)]
    svc = _service(ecs, desiredCount=3, placementConstraints=[{"type": "distinctInstance"}])
    assert svc["runningCount"] == 2 and set(_per_instance(_tasks(ecs)).values()) == {1}
    assert 'encountered error "DistinctInstance placement constraint unsatisfied."' in _messages(svc)[0]
    resp = ecs.run_task(cluster=CLUSTER, taskDefinition="web", launchType="EXTERNAL", count=3, group="batch",
                        placementConstraints=[{"type": "distinctInstance"}])
    assert sorted(t["containerInstanceArn"] for t in resp["tasks"]) == sorted(arns)
    assert resp["failures"] == [{"reason": "DistinctInstance placement constraint unsatisfied."}]


def test_malformed_constraints_are_refused(ecs, container_instance):
    _td(ecs)
    container_instance()
    for bad in ([{"type": "memberOf", "expression": "attribute:site =="}], [{"type": "sameHost"}],
                [{"type": "distinctInstance", "expression": "attribute:x exists"}],
                [{"type": "distinctInstance"}] * 11):
        with pytest.raises(ecs.exceptions.InvalidParameterException):
            _service(ecs, placementConstraints=bad)
        with pytest.raises(ecs.exceptions.InvalidParameterException):
            ecs.run_task(cluster=CLUSTER, taskDefinition="web", launchType="EXTERNAL", placementConstraints=bad)


# --- host ports ----------------------------------------------------------------------------------------------------
def test_fixed_host_port_allows_one_task_per_instance(ecs, container_instance):
    _td(ecs, ports=[{"containerPort": 80, "hostPort": 8080}])
    first = container_instance()["containerInstanceArn"]
    svc = _service(ecs, desiredCount=2)
    assert svc["runningCount"] == 1
    assert _messages(svc)[0].endswith("is already using a port required by your task.")
    (task,) = _tasks(ecs)
    assert task["containers"][0]["networkBindings"] == [
        {"bindIP": "0.0.0.0", "containerPort": 80, "hostPort": 8080, "protocol": "tcp"}]
    instance = ecs.describe_container_instances(cluster=CLUSTER, containerInstances=[first])["containerInstances"][0]
    ports = {r["name"]: r.get("stringSetValue") for r in instance["remainingResources"]}
    assert "8080" in ports["PORTS"] and "22" in ports["PORTS"]
    resp = ecs.run_task(cluster=CLUSTER, taskDefinition="web", launchType="EXTERNAL")
    assert resp["failures"] == [{"reason": "RESOURCE:PORTS"}]
    second = container_instance()["containerInstanceArn"]
    assert _describe(ecs)["runningCount"] == 2
    assert _per_instance(_tasks(ecs)) == {first: 1, second: 1}
    ecs.stop_task(cluster=CLUSTER, task=task["taskArn"])  # frees 8080: the service's replacement takes it
    assert _per_instance(_tasks(ecs)) == {first: 1, second: 1}


def test_reserved_and_host_mode_ports(ecs, container_instance):
    container_instance()
    _td(ecs, family="ssh", ports=[{"containerPort": 2222, "hostPort": 22}])
    assert ecs.run_task(cluster=CLUSTER, taskDefinition="ssh", launchType="EXTERNAL")["failures"] == [
        {"reason": "RESOURCE:PORTS"}]
    _td(ecs, family="dns", ports=[{"containerPort": 53, "hostPort": 53, "protocol": "udp"}])
    assert len(ecs.run_task(cluster=CLUSTER, taskDefinition="dns", launchType="EXTERNAL")["tasks"]) == 1
    assert ecs.run_task(cluster=CLUSTER, taskDefinition="dns", launchType="EXTERNAL")["failures"] == [
        {"reason": "RESOURCE:PORTS_UDP"}]
    _td(ecs, family="host", network_mode="host", ports=[{"containerPort": 9100}])
    (task,) = ecs.run_task(cluster=CLUSTER, taskDefinition="host", launchType="EXTERNAL")["tasks"]
    assert task["containers"][0]["networkBindings"] == [
        {"bindIP": "0.0.0.0", "containerPort": 9100, "hostPort": 9100, "protocol": "tcp"}]
    assert ecs.run_task(cluster=CLUSTER, taskDefinition="host", launchType="EXTERNAL")["failures"] == [
        {"reason": "RESOURCE:PORTS"}]


def test_dynamic_host_ports_differ_per_task(ecs, container_instance):
    container_instance()
    _td(ecs, ports=[{"containerPort": 80}])
    tasks = ecs.run_task(cluster=CLUSTER, taskDefinition="web", launchType="EXTERNAL", count=3)["tasks"]
    bound = [t["containers"][0]["networkBindings"][0]["hostPort"] for t in tasks]
    assert len(set(bound)) == 3 and all(32768 <= p < 61000 for p in bound)


# --- DAEMON --------------------------------------------------------------------------------------------------------
def test_daemon_refusals_use_ecs_wording(ecs, container_instance):
    _td(ecs)
    with pytest.raises(ecs.exceptions.InvalidParameterException, match="does not support a desired count"):
        _service(ecs, schedulingStrategy="DAEMON", desiredCount=2)
    with pytest.raises(ecs.exceptions.InvalidParameterException, match="values above 100 for maximumPercent"):
        ecs.create_service(cluster=CLUSTER, serviceName="d", taskDefinition="web", launchType="EXTERNAL",
                           schedulingStrategy="DAEMON", deploymentConfiguration={"maximumPercent": 200})
    with pytest.raises(ecs.exceptions.InvalidParameterException, match="does not support placement strategies"):
        ecs.create_service(cluster=CLUSTER, serviceName="d", taskDefinition="web", launchType="EXTERNAL",
                           schedulingStrategy="DAEMON", placementStrategy=[{"type": "random"}])
    ecs.create_service(cluster=CLUSTER, serviceName="d", taskDefinition="web", launchType="EXTERNAL",
                       schedulingStrategy="DAEMON")
    with pytest.raises(ecs.exceptions.InvalidParameterException, match="does not support a desired count"):
        ecs.update_service(cluster=CLUSTER, service="d", desiredCount=3)
    config = _describe(ecs, "d")["deploymentConfiguration"]
    assert (config["maximumPercent"], config["minimumHealthyPercent"]) == (100, 0)


def test_daemon_runs_one_task_per_fitting_instance(ecs, container_instance, set_config):
    set_config(drain_delay=0)
    _td(ecs, memory=512)
    a = container_instance(attributes=[("role", "edge")])["containerInstanceArn"]
    container_instance(attributes=[("role", "db")])
    container_instance(memory=256, attributes=[("role", "edge")])  # too small: not counted
    svc = ecs.create_service(cluster=CLUSTER, serviceName="agent", taskDefinition="web", launchType="EXTERNAL",
                             schedulingStrategy="DAEMON",
                             placementConstraints=[{"type": "memberOf", "expression": "attribute:role == edge"}])[
        "service"]
    assert (svc["schedulingStrategy"], svc["desiredCount"], svc["runningCount"]) == ("DAEMON", 1, 1)
    late = container_instance(attributes=[("role", "edge")])["containerInstanceArn"]
    svc = _describe(ecs, "agent")
    assert (svc["desiredCount"], svc["runningCount"]) == (2, 2)
    assert _per_instance(_tasks(ecs, serviceName="agent")) == {a: 1, late: 1}
    ecs.update_container_instances_state(cluster=CLUSTER, containerInstances=[a], status="DRAINING")
    svc = _describe(ecs, "agent")
    assert (svc["desiredCount"], svc["runningCount"]) == (1, 1)
    assert _per_instance(_tasks(ecs, serviceName="agent")) == {late: 1}
    # The constraint is re-evaluated for running tasks: an instance that leaves the group loses its daemon.
    ecs.put_attributes(cluster=CLUSTER, attributes=[{"name": "role", "value": "db", "targetId": late}])
    svc = _describe(ecs, "agent")
    assert (svc["desiredCount"], svc["runningCount"]) == (0, 0)
    ecs.delete_service(cluster=CLUSTER, service="agent")  # no scale-down first: a daemon has no desired count


# --- rolling deployments -------------------------------------------------------------------------------------------
def _roll(ecs, minimum, maximum, desired=4, instances=4, polls=30):
    """Deploy web:2 over web:1 and poll; returns every DescribeServices answer until the rollout completed."""
    _td(ecs)
    _service(ecs, desiredCount=desired,
             deploymentConfiguration={"minimumHealthyPercent": minimum, "maximumPercent": maximum})
    _td(ecs)
    updated = ecs.update_service(cluster=CLUSTER, service="web", taskDefinition="web:2")["service"]
    seen = [updated]
    for _ in range(polls):
        seen.append(_describe(ecs))
        if len(seen[-1]["deployments"]) == 1 and seen[-1]["deployments"][0]["rolloutState"] == "COMPLETED":
            return seen
    raise AssertionError("the deployment did not complete: %r" % seen[-1]["deployments"])


@pytest.mark.parametrize("minimum, maximum, low, high", [(50, 100, 2, 4), (100, 200, 4, 8), (75, 125, 3, 5)])
def test_rolling_deployment_stays_within_the_configured_bounds(ecs, container_instance, minimum, maximum, low, high):
    for _ in range(4):
        container_instance(cpu=2048, memory=4096)
    seen = _roll(ecs, minimum, maximum)
    running = [s["runningCount"] for s in seen]
    assert min(running) == low and max(running) == high  # the bounds are reached, never passed
    assert any(len(s["deployments"]) == 2 for s in seen)
    for answer in seen:
        assert sum(d["runningCount"] for d in answer["deployments"]) == answer["runningCount"]
        primary = answer["deployments"][0]
        assert primary["status"] == "PRIMARY" and primary["taskDefinition"].endswith("web:2")
        if len(answer["deployments"]) == 2:
            old = answer["deployments"][1]
            assert old["status"] == "ACTIVE" and old["taskDefinition"].endswith("web:1")
            assert primary["rolloutState"] == "IN_PROGRESS"
            assert primary["rolloutStateReason"] == "ECS deployment %s in progress." % primary["id"]
    done = seen[-1]["deployments"][0]
    assert done["rolloutStateReason"] == "ECS deployment %s completed." % done["id"]
    assert done["runningCount"] == done["desiredCount"] == 4
    assert {t["taskDefinitionArn"].split("/")[-1] for t in _tasks(ecs)} == {"web:2"}
    assert _messages(seen[-1])[0] == "(service web) has reached a steady state."
    assert any(re.fullmatch(r"\(service web\) has stopped \d running tasks: (\(task \w+\) ?)+\.", m)
               for m in _messages(seen[-1]))


def test_rolling_deployment_that_can_neither_start_nor_stop_says_so(ecs, container_instance):
    container_instance(cpu=4096, memory=8192)
    _td(ecs)
    _service(ecs, desiredCount=2, deploymentConfiguration={"minimumHealthyPercent": 100, "maximumPercent": 100})
    ecs.update_service(cluster=CLUSTER, service="web", forceNewDeployment=True)
    svc = _describe(ecs)
    assert [d["status"] for d in svc["deployments"]] == ["PRIMARY", "ACTIVE"] and svc["runningCount"] == 2
    assert _messages(svc)[0] == (
        "(service web) was unable to stop or start tasks during a deployment because of the service deployment "
        "configuration. Update the minimumHealthyPercent or maximumPercent value and try again.")
    ecs.update_service(cluster=CLUSTER, service="web", deploymentConfiguration={"minimumHealthyPercent": 50})
    for _ in range(6):
        svc = _describe(ecs)
    assert len(svc["deployments"]) == 1 and svc["deployments"][0]["rolloutState"] == "COMPLETED"


def test_fixed_port_deployment_on_one_instance_needs_room_below_minimum(ecs, container_instance):
    """As in ECS, a new task cannot start beside the old one holding its host port: only min healthy < 100 frees it."""
    container_instance()
    _td(ecs, ports=[{"containerPort": 80, "hostPort": 8080}])
    _service(ecs, desiredCount=1)
    ecs.update_service(cluster=CLUSTER, service="web", forceNewDeployment=True)
    svc = _describe(ecs)
    assert len(svc["deployments"]) == 2 and svc["runningCount"] == 1
    assert _messages(svc)[0].endswith("is already using a port required by your task.")
    ecs.update_service(cluster=CLUSTER, service="web", deploymentConfiguration={"minimumHealthyPercent": 0})
    for _ in range(4):
        svc = _describe(ecs)
    assert len(svc["deployments"]) == 1 and svc["runningCount"] == 1


# --- fields ECS returns --------------------------------------------------------------------------------------------
def test_service_task_and_container_fields(ecs, container_instance):
    arn = container_instance(attributes=[("ecs.cpu-architecture", "arm64")])["containerInstanceArn"]
    _td(ecs, health=True, ports=[{"containerPort": 80, "hostPort": 8080}])
    svc = _service(ecs, enableExecuteCommand=True,
                   deploymentConfiguration={"deploymentCircuitBreaker": {"enable": True, "rollback": True}})
    assert svc["deploymentController"] == {"type": "ECS"}
    assert svc["createdBy"] == "arn:aws:iam::123456789012:root"
    assert "platformFamily" not in svc and "roleArn" not in svc
    assert svc["deploymentConfiguration"]["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    assert svc["enableExecuteCommand"] is True
    (deployment,) = svc["deployments"]
    assert {"id", "createdAt", "updatedAt", "rolloutState", "rolloutStateReason"} <= set(deployment)
    assert deployment["id"].startswith("ecs-svc/")
    (task,) = _tasks(ecs)
    assert task["startedBy"] == deployment["id"] and task["enableExecuteCommand"] is True
    assert task["attributes"] == [{"name": "ecs.cpu-architecture", "value": "arm64"}]
    assert task["containerInstanceArn"] == arn and "availabilityZone" not in task
    assert task["createdAt"] <= task["connectivityAt"] <= task["pullStartedAt"] <= task["pullStoppedAt"] \
        <= task["startedAt"]
    assert task["healthStatus"] == "HEALTHY"
    (container,) = task["containers"]
    assert re.fullmatch(r"[0-9a-f]{64}", container["runtimeId"])
    assert (container["name"], container["image"], container["healthStatus"]) == ("app", "nginx:1.27", "HEALTHY")
    assert container["containerArn"].startswith("arn:aws:ecs:us-east-1:123456789012:container/edge/")
    _td(ecs, family="plain")
    (plain,) = ecs.run_task(cluster=CLUSTER, taskDefinition="plain", launchType="EXTERNAL")["tasks"]
    assert plain["enableExecuteCommand"] is False and plain["healthStatus"] == "UNKNOWN"
    assert plain["containers"][0]["healthStatus"] == "UNKNOWN" and plain["containers"][0]["networkBindings"] == []


def test_exited_task_counts_as_failed_while_the_deployment_is_in_progress(emulator, ecs, container_instance):
    container_instance()
    _td(ecs, memory=1536)
    _service(ecs, desiredCount=2)  # room for one: the first deployment stays IN_PROGRESS
    (task,) = _tasks(ecs)
    emulator._call("POST", "/_emulator/tasks/exit", {"cluster": CLUSTER, "task": task["taskArn"]})
    deployment = _describe(ecs)["deployments"][0]
    assert (deployment["rolloutState"], deployment["failedTasks"], deployment["runningCount"]) == (
        "IN_PROGRESS", 1, 1)


def _until(ecs, done, passes=20):
    """DescribeServices (one scheduler pass each) until done(service); the service then."""
    for _ in range(passes):
        service = _describe(ecs)
        if done(service):
            return service
    raise AssertionError("not after %d passes: %s" % (passes, service["deployments"]))


def _broken_update(ecs, container_instance, set_config, rollback):
    for _ in range(2):
        container_instance()
    _td(ecs)
    breaker = {"deploymentCircuitBreaker": {"enable": True, "rollback": rollback}}
    _service(ecs, desiredCount=2, deploymentConfiguration=breaker)
    assert _describe(ecs)["deployments"][0]["rolloutState"] == "COMPLETED"
    set_config(failing_images=["registry.example/app:broken"])
    _td(ecs, image="registry.example/app:broken")  # web:2, whose tasks exit as soon as they start
    ecs.update_service(cluster=CLUSTER, service="web", taskDefinition="web:2")
    # Threshold: 0.5 x 2 is below the minimum of 3.
    return _until(ecs, lambda s: any(d["rolloutState"] == "FAILED" for d in s["deployments"]))


def test_circuit_breaker_fails_the_deployment_and_rolls_back(ecs, container_instance, set_config):
    service = _broken_update(ecs, container_instance, set_config, rollback=True)
    failed = next(d for d in service["deployments"] if d["rolloutState"] == "FAILED")
    # Both new tasks crash in each pass: the count passes the threshold of 3 by the second pass.
    assert failed["taskDefinition"].endswith("web:2") and failed["status"] == "ACTIVE" and failed["failedTasks"] == 4
    assert failed["rolloutStateReason"] == "ECS deployment circuit breaker: tasks failed to start."
    assert service["deployments"][0]["taskDefinition"].endswith("web:1")
    assert service["deployments"][0]["rolloutStateReason"].startswith("ECS deployment circuit breaker: rolling back")
    assert any(m.endswith("deployment failed: tasks failed to start.") for m in _messages(service))
    settled = _until(ecs, lambda s: len(s["deployments"]) == 1 and s["deployments"][0]["rolloutState"] == "COMPLETED")
    assert settled["taskDefinition"].endswith("web:1") and settled["runningCount"] == 2
    assert sorted(t["taskDefinitionArn"].split("/")[-1] for t in _tasks(ecs)) == ["web:1", "web:1"]
    stopped = _tasks(ecs, desiredStatus="STOPPED")
    assert {t["stoppedReason"] for t in stopped if t["taskDefinitionArn"].endswith("web:2")} == {"Essential container in task exited"}


def test_circuit_breaker_without_rollback_stops_starting_tasks(ecs, container_instance, set_config):
    service = _broken_update(ecs, container_instance, set_config, rollback=False)
    assert service["deployments"][0]["rolloutState"] == "FAILED" and service["taskDefinition"].endswith("web:2")
    running = sorted(t["taskArn"] for t in _tasks(ecs))
    for _ in range(3):
        again = _describe(ecs)
    # Nothing more starts or stops: the old revision keeps serving until someone deploys again.
    assert sorted(t["taskArn"] for t in _tasks(ecs)) == running and again["deployments"][0]["failedTasks"] == 4
    assert all(t["taskDefinitionArn"].endswith("web:1") for t in _tasks(ecs))


def test_without_the_breaker_a_failing_deployment_keeps_trying(ecs, container_instance, set_config):
    container_instance()
    _td(ecs)
    _service(ecs, desiredCount=1)
    set_config(failing_images=["registry.example/app:broken"])
    _td(ecs, image="registry.example/app:broken")
    ecs.update_service(cluster=CLUSTER, service="web", taskDefinition="web:2")
    for _ in range(8):
        service = _describe(ecs)
    assert service["deployments"][0]["rolloutState"] == "IN_PROGRESS" and service["deployments"][0]["failedTasks"] >= 3


def test_daemon_deployment_replaces_every_task_with_minimum_healthy_zero(ecs, container_instance):
    hosts = {container_instance()["containerInstanceArn"] for _ in range(3)}
    _td(ecs)
    ecs.create_service(cluster=CLUSTER, serviceName="agent", taskDefinition="web", launchType="EXTERNAL",
                       schedulingStrategy="DAEMON")
    _td(ecs)
    ecs.update_service(cluster=CLUSTER, service="agent", taskDefinition="web:2")
    seen = [_describe(ecs, "agent") for _ in range(3)]
    assert [s["runningCount"] for s in seen] == [0, 3, 3]  # 100 / 0: all stop, then all start, one step each
    assert seen[-1]["deployments"][0]["rolloutState"] == "COMPLETED" and len(seen[-1]["deployments"]) == 1
    tasks = _tasks(ecs, serviceName="agent")
    assert set(_per_instance(tasks)) == hosts and {t["taskDefinitionArn"][-5:] for t in tasks} == {"web:2"}
