"""The ECS wrappers make the fewest calls the API limits allow (verified against botocore's Stubber)."""
import pytest
from botocore.stub import ANY
from botocore.stub import Stubber

from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils import _ecs
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._errors import FleetAWSError
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._lookup import find_container_instances

ARN = "arn:aws:ecs:us-east-1:123456789012:container-instance/c/{:032x}"


def arns(n):
    return [ARN.format(i) for i in range(n)]


def described(batch):
    return {"containerInstances": [{"containerInstanceArn": a, "ec2InstanceId": "mi-%017x" % i, "status": "ACTIVE"}
                                   for i, a in enumerate(batch)], "failures": []}


def test_250_instances_cost_3_list_and_3_describe_calls(ecs_client):
    all_arns = arns(250)
    with Stubber(ecs_client) as stub:
        stub.add_response("list_container_instances", {"containerInstanceArns": all_arns[:100], "nextToken": "t1"},
                          {"cluster": "c", "maxResults": 100})
        stub.add_response("list_container_instances", {"containerInstanceArns": all_arns[100:200], "nextToken": "t2"},
                          {"cluster": "c", "maxResults": 100, "nextToken": "t1"})
        stub.add_response("list_container_instances", {"containerInstanceArns": all_arns[200:]},
                          {"cluster": "c", "maxResults": 100, "nextToken": "t2"})
        for batch in (all_arns[:100], all_arns[100:200], all_arns[200:]):
            stub.add_response("describe_container_instances", described(batch),
                              {"cluster": "c", "containerInstances": batch, "include": ["TAGS"]})
        found = find_container_instances(ecs_client, "c")
        stub.assert_no_pending_responses()
    assert len(found) == 250


def test_filter_and_status_are_passed_through(ecs_client):
    with Stubber(ecs_client) as stub:
        stub.add_response("list_container_instances", {"containerInstanceArns": []},
                          {"cluster": "c", "maxResults": 100, "filter": "agentConnected == false", "status": "DRAINING"})
        assert _ecs.list_and_describe(ecs_client, "c", query="agentConnected == false", status="DRAINING") == []


def test_named_instances_are_described_without_listing(ecs_client):
    with Stubber(ecs_client) as stub:
        stub.add_response("describe_container_instances",
                          {"containerInstances": [], "failures": [{"arn": "x", "reason": "MISSING"}]},
                          {"cluster": "c", "containerInstances": ["x"], "include": ["TAGS"]})
        instances, failures = _ecs.describe_container_instances(ecs_client, "c", ["x", "x"])
    assert instances == [] and failures == [{"arn": "x", "reason": "MISSING"}]


def test_state_updates_go_in_tens(ecs_client):
    all_arns = arns(25)
    with Stubber(ecs_client) as stub:
        for batch in (all_arns[:10], all_arns[10:20], all_arns[20:]):
            stub.add_response("update_container_instances_state", {"containerInstances": [], "failures": []},
                              {"cluster": "c", "containerInstances": batch, "status": "DRAINING"})
        _ecs.update_container_instances_state(ecs_client, "c", all_arns, "DRAINING")
        stub.assert_no_pending_responses()


def test_throttling_is_retried(ecs_client, no_retry_sleep):
    with Stubber(ecs_client) as stub:
        stub.add_client_error("list_container_instances", "ThrottlingException", http_status_code=400)
        stub.add_response("list_container_instances", {"containerInstanceArns": ["a"]}, {"cluster": "c", "maxResults": 100})
        assert _ecs.list_container_instance_arns(ecs_client, "c") == ["a"]
    assert len(no_retry_sleep) == 1


def test_errors_become_fleet_errors_with_hint(ecs_client):
    with Stubber(ecs_client) as stub:
        stub.add_client_error("list_container_instances", "ClusterNotFoundException", "Cluster not found.")
        with pytest.raises(FleetAWSError, match="ClusterNotFoundException.*ecs_cluster"):
            _ecs.list_container_instance_arns(ecs_client, "nope")


def test_attributes_go_in_tens(ecs_client):
    attrs = [{"name": "a%d" % i, "targetType": "container-instance", "targetId": "x"} for i in range(12)]
    with Stubber(ecs_client) as stub:
        stub.add_response("put_attributes", {"attributes": []}, {"cluster": "c", "attributes": attrs[:10]})
        stub.add_response("put_attributes", {"attributes": []}, {"cluster": "c", "attributes": attrs[10:]})
        _ecs.put_attributes(ecs_client, "c", attrs)
        stub.assert_no_pending_responses()


def test_describe_cluster_ignores_inactive_and_missing(ecs_client):
    with Stubber(ecs_client) as stub:
        stub.add_response("describe_clusters", {"clusters": [{"clusterName": "c", "status": "INACTIVE"}]}, {"clusters": ["c"], "include": ANY})
        stub.add_response("describe_clusters", {"clusters": [], "failures": [{"arn": "c", "reason": "MISSING"}]}, {"clusters": ["c"], "include": ANY})
        assert _ecs.describe_cluster(ecs_client, "c") is None
        assert _ecs.describe_cluster(ecs_client, "c") is None


def test_named_instances_filtered_by_managed_id_and_status(ecs_client):
    from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._lookup import describe_container_instances_raw
    batch = arns(3)
    response = described(batch)
    response["containerInstances"][1]["status"] = "DRAINING"
    with Stubber(ecs_client) as stub:
        stub.add_response("describe_container_instances", response, {"cluster": "c", "containerInstances": batch, "include": ["TAGS"]})
        instances, _failures = describe_container_instances_raw(ecs_client, "c", container_instances=batch,
                                                                managed_instance_ids=["mi-%017x" % 1, "mi-%017x" % 2], status="DRAINING")
    assert [ci["containerInstanceArn"] for ci in instances] == [batch[1]]
