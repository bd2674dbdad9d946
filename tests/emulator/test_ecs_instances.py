"""External container instances: register, list with the query language, describe, state, attributes."""
import json
import time

import pytest


def test_register_external_instance_honours_everything(ecs, container_instance):
    ci = container_instance(mi="mi-0123456789abcdef0", cpu=4096, memory=7680,
                            attributes=[("ecs.os-type", "linux"), ("site", "lab")], tags=[("owner", "ops")])
    assert ci["ec2InstanceId"] == "mi-0123456789abcdef0"
    assert ci["containerInstanceArn"].startswith("arn:aws:ecs:us-east-1:123456789012:container-instance/edge/")
    assert ci["status"] == "ACTIVE"
    assert ci["versionInfo"]["agentVersion"] == "1.105.1"
    resources = {r["name"]: r.get("integerValue") for r in ci["registeredResources"]}
    assert resources["CPU"] == 4096 and resources["MEMORY"] == 7680
    assert {(a["name"], a.get("value")) for a in ci["attributes"]} >= {("ecs.os-type", "linux"), ("site", "lab")}
    described = ecs.describe_container_instances(cluster="edge", containerInstances=[ci["containerInstanceArn"]],
                                                 include=["TAGS"])["containerInstances"][0]
    assert described["tags"] == [{"key": "owner", "value": "ops"}]


def test_reregister_with_arn_updates_instead_of_duplicating(ecs, container_instance):
    ci = container_instance(mi="mi-0000000000000000a")
    again = ecs.register_container_instance(
        cluster="edge", containerInstanceArn=ci["containerInstanceArn"],
        instanceIdentityDocument=json.dumps({"instanceId": "mi-0000000000000000a"}),
        versionInfo={"agentVersion": "1.106.0", "agentHash": "x", "dockerVersion": "DockerVersion: 25.0.5"})
    assert again["containerInstance"]["containerInstanceArn"] == ci["containerInstanceArn"]
    assert again["containerInstance"]["versionInfo"]["agentVersion"] == "1.106.0"
    assert ecs.list_container_instances(cluster="edge")["containerInstanceArns"] == [ci["containerInstanceArn"]]
    # Without the saved ARN AWS creates a duplicate; so does the emulator.
    container_instance(mi="mi-0000000000000000a")
    assert len(ecs.list_container_instances(cluster="edge")["containerInstanceArns"]) == 2


def test_register_errors(ecs, cluster):
    with pytest.raises(ecs.exceptions.ClusterNotFoundException):
        ecs.register_container_instance(cluster="nope", instanceIdentityDocument='{"instanceId": "mi-1"}')
    with pytest.raises(ecs.exceptions.ClientException):
        ecs.register_container_instance(cluster="edge", instanceIdentityDocument="not json")


def test_raw_agent_registration_and_poll_endpoint(raw, ecs, cluster):
    status, body = raw.ecs("RegisterContainerInstance", {
        "cluster": "edge", "instanceIdentityDocument": json.dumps({"instanceId": "mi-0123456789abcdef1"}),
        "versionInfo": {"agentVersion": "1.104.0", "agentHash": "h", "dockerVersion": "DockerVersion: 20.10"}})
    assert status == 200
    arn = body["containerInstance"]["containerInstanceArn"]
    assert body["containerInstance"]["agentConnected"] is False
    status, body = raw.ecs("DiscoverPollEndpoint", {"cluster": "edge", "containerInstance": arn})
    assert status == 200 and body["endpoint"].startswith("https://") and body["telemetryEndpoint"]
    described = ecs.describe_container_instances(cluster="edge", containerInstances=[arn])
    assert described["containerInstances"][0]["agentConnected"] is True


def test_agent_connected_window(ecs, container_instance, set_config):
    ci = container_instance()
    ecs.discover_poll_endpoint(containerInstance=ci["containerInstanceArn"], cluster="edge")

    def connected():
        return ecs.describe_container_instances(cluster="edge", containerInstances=[ci["containerInstanceArn"]])[
            "containerInstances"][0]["agentConnected"]
    assert connected() is True
    set_config(agent_connected_window=0.2)
    time.sleep(0.3)
    assert connected() is False
    assert ecs.list_container_instances(cluster="edge", filter="agentConnected == false")["containerInstanceArns"] \
        == [ci["containerInstanceArn"]]


def test_list_with_query_language(ecs, container_instance):
    a = container_instance(attributes=[("ecs.os-type", "linux"), ("site", "a")])["containerInstanceArn"]
    b = container_instance(attributes=[("ecs.os-type", "linux"), ("site", "b")])["containerInstanceArn"]
    c = container_instance(attributes=[("ecs.os-type", "windows")])["containerInstanceArn"]

    def listed(expr):
        return set(ecs.list_container_instances(cluster="edge", filter=expr)["containerInstanceArns"])

    assert listed("attribute:ecs.os-type == linux") == {a, b}
    assert listed("attribute:ecs.os-type != linux") == {c}
    assert listed("attribute:site exists") == {a, b}
    assert listed("attribute:site !exists") == {c}
    assert listed("attribute:ecs.os-type == linux and attribute:site == b") == {b}
    assert listed("attribute:site in [a, b] and attribute:ecs.os-type exists") == {a, b}
    assert listed("attribute:site not_in [a]") == {b, c}
    assert listed("runningTasksCount == 0") == {a, b, c}
    assert listed("attribute:site == a or attribute:site == b") == {a, b}
    assert listed("(attribute:site == a)") == {a}
    for bad in ("site == a", "attribute:site ~= a", "attribute:site =="):
        with pytest.raises(ecs.exceptions.InvalidParameterException):
            ecs.list_container_instances(cluster="edge", filter=bad)


def test_list_pagination_default_and_max(emulator, ecs):
    seeded = emulator.seed("big", 250)
    first = ecs.list_container_instances(cluster="big")
    assert len(first["containerInstanceArns"]) == 100 and first["nextToken"]
    arns = [a for page in ecs.get_paginator("list_container_instances").paginate(cluster="big")
            for a in page["containerInstanceArns"]]
    assert arns == seeded["container_instance_arns"]
    small = ecs.list_container_instances(cluster="big", maxResults=7)
    assert len(small["containerInstanceArns"]) == 7
    with pytest.raises(ecs.exceptions.InvalidParameterException):
        ecs.list_container_instances(cluster="big", maxResults=101)
    with pytest.raises(ecs.exceptions.InvalidParameterException):
        ecs.list_container_instances(cluster="big", nextToken="bogus")


def test_describe_limits_failures_and_bare_ids(ecs, container_instance):
    ci = container_instance()
    bare = ci["containerInstanceArn"].split("/")[-1]
    resp = ecs.describe_container_instances(cluster="edge", containerInstances=[bare, "0" * 32])
    assert [i["containerInstanceArn"] for i in resp["containerInstances"]] == [ci["containerInstanceArn"]]
    assert resp["failures"] == [{"arn": "arn:aws:ecs:us-east-1:123456789012:container-instance/edge/" + "0" * 32,
                                 "reason": "MISSING"}]
    assert "tags" not in resp["containerInstances"][0] and "healthStatus" not in resp["containerInstances"][0]
    health = ecs.describe_container_instances(cluster="edge", containerInstances=[bare],
                                              include=["CONTAINER_INSTANCE_HEALTH"])["containerInstances"][0]
    assert health["healthStatus"]["overallStatus"] == "INSUFFICIENT_DATA"  # its agent never polled
    with pytest.raises(ecs.exceptions.InvalidParameterException):
        ecs.describe_container_instances(cluster="edge", containerInstances=[bare] * 101)
    with pytest.raises(ecs.exceptions.ClusterNotFoundException):
        ecs.describe_container_instances(cluster="nope", containerInstances=[bare])


def test_status_filter_and_draining(ecs, container_instance):
    a = container_instance()["containerInstanceArn"]
    b = container_instance()["containerInstanceArn"]
    resp = ecs.update_container_instances_state(cluster="edge", containerInstances=[a, "f" * 32], status="DRAINING")
    assert [i["status"] for i in resp["containerInstances"]] == ["DRAINING"]
    assert resp["failures"][0]["reason"] == "MISSING"
    assert ecs.list_container_instances(cluster="edge", status="DRAINING")["containerInstanceArns"] == [a]
    assert ecs.list_container_instances(cluster="edge", status="ACTIVE")["containerInstanceArns"] == [b]
    assert set(ecs.list_container_instances(cluster="edge")["containerInstanceArns"]) == {a, b}
    with pytest.raises(ecs.exceptions.InvalidParameterException):
        ecs.update_container_instances_state(cluster="edge", containerInstances=[a], status="INACTIVE")
    with pytest.raises(ecs.exceptions.InvalidParameterException):
        ecs.list_container_instances(cluster="edge", status="BOGUS")
    ecs.update_container_instances_state(cluster="edge", containerInstances=[a], status="ACTIVE")
    assert len(ecs.list_container_instances(cluster="edge", status="ACTIVE")["containerInstanceArns"]) == 2


def test_deregister_leaves_inactive_instance(ecs, container_instance):
    ci = container_instance()
    arn = ci["containerInstanceArn"]
    resp = ecs.deregister_container_instance(cluster="edge", containerInstance=arn)
    assert resp["containerInstance"]["status"] == "INACTIVE"
    assert ecs.list_container_instances(cluster="edge")["containerInstanceArns"] == []
    described = ecs.describe_container_instances(cluster="edge", containerInstances=[arn])["containerInstances"]
    assert described[0]["status"] == "INACTIVE" and described[0]["agentConnected"] is False
    with pytest.raises(ecs.exceptions.ClientException):
        ecs.register_container_instance(cluster="edge", containerInstanceArn=arn,
                                        instanceIdentityDocument=json.dumps({"instanceId": ci["ec2InstanceId"]}))
    with pytest.raises(ecs.exceptions.InvalidParameterException):
        ecs.deregister_container_instance(cluster="edge", containerInstance="0" * 32)


def test_attributes(ecs, container_instance):
    ci = container_instance()
    arn = ci["containerInstanceArn"]
    ecs.put_attributes(cluster="edge", attributes=[{"name": "stack", "value": "blue", "targetId": arn},
                                                   {"name": "gpu", "targetId": arn.split("/")[-1]}])
    names = {a["name"]: a.get("value") for a in ecs.describe_container_instances(
        cluster="edge", containerInstances=[arn])["containerInstances"][0]["attributes"]}
    assert names["stack"] == "blue" and names["gpu"] is None
    assert ecs.list_container_instances(cluster="edge", filter="attribute:stack == blue")["containerInstanceArns"] \
        == [arn]
    listed = ecs.list_attributes(cluster="edge", targetType="container-instance", attributeName="stack")
    assert listed["attributes"] == [{"name": "stack", "value": "blue", "targetType": "container-instance",
                                     "targetId": arn}]
    ecs.delete_attributes(cluster="edge", attributes=[{"name": "stack", "targetId": arn}])
    assert ecs.list_container_instances(cluster="edge", filter="attribute:stack exists")["containerInstanceArns"] == []
    with pytest.raises(ecs.exceptions.TargetNotFoundException):
        ecs.put_attributes(cluster="edge", attributes=[{"name": "x", "value": "y", "targetId": "0" * 32}])


def test_container_instance_tags(ecs, container_instance):
    arn = container_instance(tags=[("a", "1")])["containerInstanceArn"]
    ecs.tag_resource(resourceArn=arn, tags=[{"key": "b", "value": "2"}])
    ecs.untag_resource(resourceArn=arn, tagKeys=["a"])
    assert ecs.list_tags_for_resource(resourceArn=arn)["tags"] == [{"key": "b", "value": "2"}]
    cluster_arn = ecs.describe_clusters(clusters=["edge"])["clusters"][0]["clusterArn"]
    ecs.tag_resource(resourceArn=cluster_arn, tags=[{"key": "team", "value": "x"}])
    assert ecs.list_tags_for_resource(resourceArn=cluster_arn)["tags"] == [{"key": "team", "value": "x"}]


def test_describe_clusters_counts(emulator, ecs):
    emulator.seed("counted", 4)
    cluster = ecs.describe_clusters(clusters=["counted"])["clusters"][0]
    assert cluster["registeredContainerInstancesCount"] == 4
    assert cluster["runningTasksCount"] == 0
    with pytest.raises(ecs.exceptions.ClusterContainsContainerInstancesException):
        ecs.delete_cluster(cluster="counted")


def test_update_cluster_and_statistics_count_the_layers_instances_tasks_services(ecs, container_instance,
                                                                                  task_definition):
    for _ in range(3):
        container_instance()
    task_definition(cpu=256, memory=256)
    ecs.create_service(cluster="edge", serviceName="web", taskDefinition="web", desiredCount=2, launchType="EXTERNAL")
    expected = {"registeredContainerInstancesCount": 3, "runningTasksCount": 2, "pendingTasksCount": 0,
                "activeServicesCount": 1}

    def counts(cluster):
        return {k: cluster[k] for k in expected}
    insights = [{"name": "containerInsights", "value": "enabled"}]
    assert counts(ecs.update_cluster(cluster="edge", settings=insights)["cluster"]) == expected
    assert counts(ecs.update_cluster_settings(cluster="edge", settings=insights)["cluster"]) == expected
    plain, with_statistics = (ecs.describe_clusters(clusters=["edge"], **kw)["clusters"][0]
                              for kw in ({}, {"include": ["STATISTICS"]}))
    assert counts(plain) == counts(with_statistics) == expected
    assert "statistics" not in plain
    statistics = {s["name"]: s["value"] for s in with_statistics["statistics"]}
    documented = ("runningEC2TasksCount", "runningFargateTasksCount", "pendingEC2TasksCount",
                  "pendingFargateTasksCount", "activeEC2ServiceCount", "activeFargateServiceCount",
                  "drainingEC2ServiceCount", "drainingFargateServiceCount")
    assert {statistics[name] for name in documented} == {"0"}
    assert (statistics["runningExternalTasksCount"], statistics["activeExternalServiceCount"]) == ("2", "1")


def test_regions_are_separate(emulator, container_instance):
    container_instance()
    west = emulator.client("ecs", region="us-west-2")
    with pytest.raises(west.exceptions.ClusterNotFoundException):
        west.list_container_instances(cluster="edge")
    west.create_cluster(clusterName="edge")
    assert west.list_container_instances(cluster="edge")["containerInstanceArns"] == []


def test_update_cluster_settings(ecs):
    ecs.create_cluster(clusterName="ci", settings=[{"name": "containerInsights", "value": "enabled"}])
    updated = ecs.update_cluster_settings(cluster="ci", settings=[{"name": "containerInsights", "value": "disabled"}])
    assert updated["cluster"]["settings"] == [{"name": "containerInsights", "value": "disabled"}]
    described = ecs.describe_clusters(clusters=["ci"], include=["SETTINGS"])["clusters"][0]
    assert described["settings"] == [{"name": "containerInsights", "value": "disabled"}]
    with pytest.raises(ecs.exceptions.ClusterNotFoundException):
        ecs.update_cluster_settings(cluster="nope", settings=[{"name": "containerInsights", "value": "enabled"}])


def test_update_container_agent_is_refused_for_external_instances(ecs, container_instance):
    arn = container_instance()["containerInstanceArn"]
    with pytest.raises(ecs.exceptions.ClientException):
        ecs.update_container_agent(cluster="edge", containerInstance=arn)
    with pytest.raises(ecs.exceptions.InvalidParameterException):
        ecs.update_container_agent(cluster="edge", containerInstance="0" * 32)


def test_operation_neither_moto_nor_layer_implements_is_a_server_error(raw):
    status, body = raw.ecs("GetTaskProtection", {"cluster": "default"})
    assert status >= 400 and body.get("__type")
