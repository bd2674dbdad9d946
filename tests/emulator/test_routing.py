"""How requests find their service and region: SigV4 scope, X-Amz-Target, Host, region header."""
import urllib.error
import urllib.request

import pytest


def test_unsigned_call_for_an_operation_moto_owns_is_forwarded(raw, ssm):
    status, body = raw.ssm("PutParameter", {"Name": "/raw/p", "Value": "v", "Type": "String"})
    assert status == 200 and body["Version"] == 1
    assert ssm.get_parameter(Name="/raw/p")["Parameter"]["Value"] == "v"


def test_region_from_aws_host_header(emulator, raw, role):
    west = emulator.client("ssm", region="ap-southeast-2")
    act = west.create_activation(IamRole=role)
    status, body = raw.ssm("RegisterManagedInstance", {"ActivationId": act["ActivationId"],
                                                       "ActivationCode": act["ActivationCode"]},
                           headers={"Host": "ssm.ap-southeast-2.amazonaws.com"})
    assert status == 200, body


def test_default_region_is_configurable(emulator, raw, role, set_config):
    set_config(default_region="eu-central-1")
    act = emulator.client("ssm", region="eu-central-1").create_activation(IamRole=role)
    status, body = raw.ssm("RegisterManagedInstance", {"ActivationId": act["ActivationId"],
                                                       "ActivationCode": act["ActivationCode"]})
    assert status == 200, body


def test_unsigned_ecs_call_and_stats_name(emulator, raw, cluster):
    emulator.reset_stats()
    status, body = raw.ecs("ListContainerInstances", {"cluster": "edge"})
    assert (status, body) == (200, {"containerInstanceArns": []})
    assert emulator.calls("ecs:ListContainerInstances") == 1


def test_malformed_json_is_a_serialization_error(raw):
    req = urllib.request.Request(raw.url + "/", data=b"{not json", method="POST", headers={
        "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "AmazonSSM.DescribeActivations"})
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(req, timeout=10)
    assert exc.value.code == 400
    assert b"SerializationException" in exc.value.read()


def test_cluster_deletion_rules(ecs, container_instance, task_definition):
    task_definition()
    arn = container_instance()["containerInstanceArn"]
    ecs.create_service(cluster="edge", serviceName="web", taskDefinition="web", desiredCount=0, launchType="EXTERNAL")
    with pytest.raises(ecs.exceptions.ClusterContainsContainerInstancesException):
        ecs.delete_cluster(cluster="edge")
    ecs.deregister_container_instance(cluster="edge", containerInstance=arn)
    with pytest.raises(ecs.exceptions.ClusterContainsServicesException):
        ecs.delete_cluster(cluster="edge")
    ecs.delete_service(cluster="edge", service="web")
    assert ecs.delete_cluster(cluster="edge")["cluster"]["clusterName"] == "edge"
    with pytest.raises(ecs.exceptions.ClusterNotFoundException):
        ecs.list_container_instances(cluster="edge")
