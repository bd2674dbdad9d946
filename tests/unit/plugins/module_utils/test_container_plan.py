import pytest

from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._container_plan import PlanError
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._container_plan import attribute_changes
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._container_plan import attribute_requests
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._container_plan import busy_summary
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._container_plan import predict
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._container_plan import split_tasks


def test_attribute_changes_only_differences():
    current = {"site": "p7", "rack": "2", "old": None}
    to_put, to_delete = attribute_changes(current, {"site": "p7", "rack": 3, "new": None}, ["old", "absent"])
    assert to_put == {"rack": "3", "new": None}
    assert to_delete == ["old"]
    assert attribute_changes(current) == ({}, [])


@pytest.mark.parametrize("wanted,remove", [({"ecs.os-type": "x"}, None), (None, ["ecs.capability.foo"])])
def test_agent_attributes_are_refused(wanted, remove):
    with pytest.raises(PlanError, match="set by the ECS agent"):
        attribute_changes({}, wanted, remove)


def test_same_attribute_put_and_removed_is_refused():
    with pytest.raises(PlanError, match="both"):
        attribute_changes({}, {"a": "1"}, ["a"])


def test_attribute_requests_target_the_instance():
    assert attribute_requests("arn1", [("a", "1"), ("b", None)]) == [
        {"name": "a", "value": "1", "targetType": "container-instance", "targetId": "arn1"},
        {"name": "b", "targetType": "container-instance", "targetId": "arn1"},
    ]


def test_predict_does_not_mutate():
    state = {"status": "ACTIVE", "attributes": {"a": "1", "b": "2"}}
    after = predict(state, "DRAINING", {"c": "3"}, ["a"])
    assert after == {"status": "DRAINING", "attributes": {"b": "2", "c": "3"}}
    assert state == {"status": "ACTIVE", "attributes": {"a": "1", "b": "2"}}


def test_split_tasks_and_summary():
    tasks = [{"taskArn": "t1", "group": "service:web"}, {"taskArn": "t2", "group": "family:job"}]
    assert split_tasks(tasks) == (["t1"], ["t2"])
    text = busy_summary([{"containerInstanceArn": "arn1", "ec2InstanceId": "mi-1", "runningTasksCount": 1}], {"arn1": ["t2"]})
    assert "mi-1" in text and "1 running" in text and "t2" in text
