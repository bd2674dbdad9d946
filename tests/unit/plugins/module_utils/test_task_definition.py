"""Task definitions compared as ECS returns them: its defaults and list order never make a difference, real changes do."""
import pytest

from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._errors import FleetError
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._task_definition import check_request
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._task_definition import comparable
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._task_definition import differences
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._task_definition import request

PARAMS = {"family": "app", "container_definitions": [{"name": "web", "image": "nginx:1", "memory": 128,
                                                      "portMappings": [{"containerPort": 80}]}],
          "network_mode": "bridge", "requires_compatibilities": ["EXTERNAL"], "cpu": 256, "memory": None, "volumes": []}


def returned(**container):
    """What ECS answers for PARAMS: defaults filled in, extra fields of the revision."""
    web = {"name": "web", "image": "nginx:1", "cpu": 0, "memory": 128, "essential": True, "environment": [], "mountPoints": [],
           "volumesFrom": [], "systemControls": [], "portMappings": [{"containerPort": 80, "hostPort": 0, "protocol": "tcp"}]}
    web.update(container)
    return {"family": "app", "revision": 4, "status": "ACTIVE", "taskDefinitionArn": "arn:aws:ecs:r:1:task-definition/app:4",
            "containerDefinitions": [web], "networkMode": "bridge", "requiresCompatibilities": ["EXTERNAL"],
            "compatibilities": ["EC2", "EXTERNAL"], "cpu": "256", "volumes": [], "placementConstraints": [], "registeredAt": 1.0}


def test_the_request_leaves_out_what_was_not_given_and_gives_cpu_as_ecs_does():
    wanted = request(PARAMS)
    assert wanted["cpu"] == "256" and "memory" not in wanted and "volumes" not in wanted and "taskRoleArn" not in wanted


def test_ecs_defaults_and_list_order_are_no_difference():
    assert differences(comparable(returned()), comparable(request(PARAMS))) == []
    env = [{"name": "Y", "value": "1"}, {"name": "X", "value": "2"}]
    two = dict(PARAMS, container_definitions=[{"name": "b", "image": "x", "memory": 1, "environment": env},
                                              {"name": "a", "image": "x", "memory": 1}])
    swapped = dict(PARAMS, container_definitions=[{"name": "a", "image": "x", "memory": 1},
                                                  {"name": "b", "image": "x", "memory": 1, "environment": env[::-1]}])
    assert comparable(request(two)) == comparable(request(swapped))


@pytest.mark.parametrize("change", [{"image": "nginx:2"}, {"essential": False}, {"memory": 256},
                                    {"portMappings": [{"containerPort": 80, "hostPort": 8080, "protocol": "tcp"}]},
                                    {"command": ["b", "a"]}])
def test_a_real_change_is_a_difference(change):
    assert differences(comparable(returned(**change)), comparable(request(PARAMS))) == ["containerDefinitions"]


def test_order_of_strings_and_of_environment_files_is_kept():
    first = comparable({"containerDefinitions": [{"name": "a", "command": ["x", "y"],
                                                  "environmentFiles": [{"type": "s3", "value": "1"}, {"type": "s3", "value": "2"}]}]})
    second = comparable({"containerDefinitions": [{"name": "a", "command": ["y", "x"],
                                                   "environmentFiles": [{"type": "s3", "value": "2"}, {"type": "s3", "value": "1"}]}]})
    assert first["containerDefinitions"][0]["command"] == ["x", "y"]
    assert first["containerDefinitions"][0]["environmentFiles"][0]["value"] == "1"
    assert first != second


def test_host_mode_host_port_is_the_container_port():
    host = dict(PARAMS, network_mode="host")
    answered = dict(returned(portMappings=[{"containerPort": 80, "hostPort": 80, "protocol": "tcp"}]), networkMode="host")
    assert differences(comparable(answered), comparable(request(host))) == []
    assert differences(comparable(returned()), comparable(request(host))) == ["networkMode"]


def test_task_level_fields_are_compared_too():
    assert differences(comparable(dict(returned(), cpu="512")), comparable(request(PARAMS))) == ["cpu"]
    role = dict(PARAMS, execution_role_arn="arn:aws:iam::1:role/exec")
    assert differences(comparable(returned()), comparable(request(role))) == ["executionRoleArn"]


@pytest.mark.parametrize("params, words", [
    (dict(PARAMS, network_mode="awsvpc"), "awsvpc is not available to EXTERNAL tasks"),
    (dict(PARAMS, container_definitions=[]), "container_definitions of app is empty"),
    (dict(PARAMS, container_definitions=["web"]), "item 1 of app must be a dict"),
    (dict(PARAMS, container_definitions=[{"name": "web", "memory": 1}]), "container web of app has no image"),
    (dict(PARAMS, container_definitions=[{"name": "web", "image": "x", "memory": 1, "log_configuration": {}}]),
     "log_configuration is not an ECS field; container_definitions take the ECS API's names as RegisterTaskDefinition does "
     "(e.g. logConfiguration)"),
    (dict(PARAMS, container_definitions=[{"name": "web", "image": "x"}]), "container web of app needs memory or memoryReservation"),
])
def test_refused_before_any_call(params, words):
    with pytest.raises(FleetError) as caught:
        check_request(request(params))
    assert words in caught.value.message and "Nothing was changed." in caught.value.message


def test_awsvpc_stays_possible_for_ec2_and_task_memory_is_enough():
    check_request(request(dict(PARAMS, network_mode="awsvpc", requires_compatibilities=["EC2"])))
    check_request(request(dict(PARAMS, memory="512", container_definitions=[{"name": "web", "image": "x"}])))
