import datetime

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._shaping import _dates_to_text
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._shaping import _snake_text
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._shaping import attributes_to_dict
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._shaping import container_instance_id
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._shaping import container_instance_state
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._shaping import dict_to_tags
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._shaping import shape_activation
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._shaping import shape_cluster
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._shaping import shape_container_instance
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._shaping import shape_managed_instance
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._shaping import tags_to_dict

WHEN = datetime.datetime(2026, 11, 26, 12, 0, tzinfo=datetime.timezone.utc)
ARN = "arn:aws:ecs:us-east-1:123456789012:container-instance/hybrid/0123456789abcdef0123456789abcdef"


def test_activation_has_no_code_unless_given():
    raw = {"ActivationId": "a1", "IamRole": "r", "RegistrationLimit": 3, "ExpirationDate": WHEN, "Expired": False,
           "Tags": [{"Key": "k", "Value": "v"}]}
    shaped = shape_activation(raw)
    assert "code" not in shaped
    assert shaped["id"] == "a1" and shaped["registration_limit"] == 3 and shaped["registrations_count"] == 0
    assert shaped["expiration_date"] == "2026-11-26T12:00:00+00:00"
    assert shaped["tags"] == {"k": "v"}
    assert shape_activation(raw, code="secret")["code"] == "secret"


def test_managed_instance_keys():
    raw = {"InstanceId": "mi-1", "PingStatus": "Online", "LastPingDateTime": WHEN, "AgentVersion": "3.3", "IPAddress": "10.0.0.1",
           "ComputerName": "h1", "PlatformType": "Linux", "RegistrationDate": WHEN, "ActivationId": "a1"}
    shaped = shape_managed_instance(raw, {"site": "x"})
    assert shaped["instance_id"] == "mi-1" and shaped["ip_address"] == "10.0.0.1" and shaped["computer_name"] == "h1"
    assert shaped["last_ping_date_time"] == WHEN.isoformat() and shaped["registration_date"] == WHEN.isoformat()
    assert shaped["activation_id"] == "a1" and shaped["tags"] == {"site": "x"}


def test_container_instance_convenience_keys():
    raw = {
        "containerInstanceArn": ARN, "ec2InstanceId": "mi-0123456789abcdef0", "status": "ACTIVE", "agentConnected": True,
        "runningTasksCount": 2, "pendingTasksCount": 1, "registeredAt": WHEN,
        "versionInfo": {"agentVersion": "1.80.0", "dockerVersion": "DockerVersion: 20.10"},
        "registeredResources": [{"name": "CPU", "type": "INTEGER", "integerValue": 2048}, {"name": "MEMORY", "type": "INTEGER", "integerValue": 3900},
                                {"name": "PORTS", "type": "STRINGSET", "stringSetValue": ["22"]}],
        "remainingResources": [{"name": "CPU", "type": "INTEGER", "integerValue": 1024}, {"name": "MEMORY", "type": "INTEGER", "integerValue": 900}],
        "attributes": [{"name": "ecs.os-type", "value": "linux"}, {"name": "site", "value": "p7"}, {"name": "flag"}],
        "tags": [{"key": "team", "value": "edge"}],
    }
    shaped = shape_container_instance(raw)
    assert shaped["container_instance_arn"] == ARN
    assert shaped["container_instance_id"] == "0123456789abcdef0123456789abcdef"
    assert shaped["managed_instance_id"] == "mi-0123456789abcdef0"
    assert shaped["agent_version"] == "1.80.0" and shaped["agent_connected"] is True
    assert (shaped["registered_cpu"], shaped["registered_memory"], shaped["remaining_cpu"], shaped["remaining_memory"]) == (2048, 3900, 1024, 900)
    assert shaped["attributes"] == {"ecs.os-type": "linux", "site": "p7", "flag": None}
    assert shaped["tags"] == {"team": "edge"}
    assert shaped["registered_at"] == WHEN.isoformat()
    assert shaped["version_info"]["agent_version"] == "1.80.0"  # the full description is kept
    state = container_instance_state(shaped)
    assert state["attributes"] == {"site": "p7", "flag": None}
    assert state["running_tasks_count"] == 2 and state["status"] == "ACTIVE"


def test_minimal_container_instance_does_not_crash():
    shaped = shape_container_instance({"containerInstanceArn": ARN})
    assert shaped["registered_cpu"] is None and shaped["attributes"] == {} and shaped["agent_connected"] is False


def test_cluster_shape():
    raw = {"clusterName": "c", "clusterArn": "arn:c", "status": "ACTIVE", "registeredContainerInstancesCount": 3,
           "settings": [{"name": "containerInsights", "value": "enabled"}], "tags": [{"key": "a", "value": "b"}]}
    shaped = shape_cluster(raw)
    assert shaped["container_insights"] == "enabled" and shaped["tags"] == {"a": "b"}
    assert shaped["registered_container_instances_count"] == 3


def test_small_helpers():
    assert tags_to_dict(None) == {}
    assert dict_to_tags({"b": 1, "a": "x"}) == [{"Key": "a", "Value": "x"}, {"Key": "b", "Value": "1"}]
    assert dict_to_tags({"a": "x"}, key="key", value="value") == [{"key": "a", "value": "x"}]
    assert container_instance_id("abc") == "abc"
    assert attributes_to_dict(None) == {}


def test_one_pass_key_conversion_equals_ansibles_camel_to_snake_then_dates_to_text():
    """_snake_text (each key converted once per process) gives exactly what camel_dict_to_snake_dict and
    _dates_to_text give, kept subtrees and nesting included."""
    when = datetime.datetime(2026, 12, 2, 11, 0, tzinfo=datetime.timezone.utc)
    raw = {
        "containerInstanceArn": "arn:x", "ec2InstanceId": "mi-1", "registeredAt": when, "agentConnected": True,
        "versionInfo": {"agentVersion": "1.105.1", "dockerVersion": "DockerVersion: 25"},
        "remainingResources": [{"name": "PORTS", "stringSetValue": ["22", "80"], "integerValue": 0}],
        "attachments": [[{"attachmentId": "a", "updatedAt": when}]],
        "healthStatus": {"overallStatus": "OK", "details": [{"type": "CONTAINER_RUNTIME", "lastUpdated": when}]},
        "tags": [{"key": "Site", "value": "Plant-7"}], "attributes": [{"name": "ecs.os-type", "value": "linux"}],
        "HTTPEndpoint": "x", "settings": [{"name": "containerInsights", "value": "enabled"}],
    }
    for keep in (("tags", "attributes"), ("tags", "settings")):
        assert _snake_text(raw, keep) == _dates_to_text(camel_dict_to_snake_dict(raw, ignore_list=list(keep)))
