"""Task definitions answer as ECS does where moto does not: latest ACTIVE revision, filled-in defaults,
registration and deregistration times."""
import botocore.exceptions
import pytest


def _register(ecs, image="nginx:1.27", mode="bridge", mappings=None):
    return ecs.register_task_definition(
        family="web", requiresCompatibilities=["EXTERNAL"], networkMode=mode,
        containerDefinitions=[{"name": "app", "image": image, "memory": 128,
                               "portMappings": mappings or [{"containerPort": 80, "hostPort": 8080}]}])["taskDefinition"]


def test_a_bare_family_means_its_latest_active_revision(ecs):
    _register(ecs, "nginx:1")
    _register(ecs, "nginx:2")
    ecs.deregister_task_definition(taskDefinition="web:2")
    latest = ecs.describe_task_definition(taskDefinition="web")["taskDefinition"]
    assert latest["revision"] == 1 and latest["containerDefinitions"][0]["image"] == "nginx:1"
    ecs.deregister_task_definition(taskDefinition="web:1")
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        ecs.describe_task_definition(taskDefinition="web")
    assert caught.value.response["Error"]["Code"] == "ClientException"
    assert caught.value.response["Error"]["Message"] == "Unable to describe task definition."
    assert ecs.describe_task_definition(taskDefinition="web:2")["taskDefinition"]["status"] == "INACTIVE"


def test_registration_fills_what_ecs_fills_and_says_when_and_who(ecs):
    td = _register(ecs, mappings=[{"containerPort": 80, "hostPort": 8080}])
    assert td["containerDefinitions"][0]["portMappings"] == [{"containerPort": 80, "hostPort": 8080, "protocol": "tcp"}]
    assert td["registeredAt"] and td["registeredBy"].startswith("arn:aws:iam::")
    host = _register(ecs, mode="host", mappings=[{"containerPort": 9000}])
    assert host["networkMode"] == "host"
    assert host["containerDefinitions"][0]["portMappings"] == [{"containerPort": 9000, "hostPort": 9000, "protocol": "tcp"}]
    described = ecs.describe_task_definition(taskDefinition=host["taskDefinitionArn"])["taskDefinition"]
    assert described["registeredAt"] == host["registeredAt"]
    gone = ecs.deregister_task_definition(taskDefinition="web:1")["taskDefinition"]
    assert gone["status"] == "INACTIVE" and gone["deregisteredAt"] >= gone["registeredAt"]


def test_tags_given_at_registration_are_returned_with_it(ecs):
    response = ecs.register_task_definition(family="tagged", containerDefinitions=[{"name": "a", "image": "busybox", "memory": 16}],
                                            requiresCompatibilities=["EXTERNAL"], tags=[{"key": "team", "value": "edge"}])
    assert response["tags"] == [{"key": "team", "value": "edge"}]
    described = ecs.describe_task_definition(taskDefinition="tagged", include=["TAGS"])
    assert described["tags"] == [{"key": "team", "value": "edge"}]
