"""SSM wrappers: pages of 50, 'not found' mapped to plain values, tags handled per instance."""
from botocore.stub import Stubber

from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils import _ssm
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._lookup import find_activations
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._lookup import find_managed_instances


def info(i, name="edge"):
    return {"InstanceId": "mi-%017x" % i, "PingStatus": "Online", "ComputerName": "%s-%d" % (name, i), "IPAddress": "10.0.0.%d" % i}


def test_instances_are_read_in_pages_of_50(ssm_client):
    with Stubber(ssm_client) as stub:
        stub.add_response("describe_instance_information", {"InstanceInformationList": [info(i) for i in range(50)], "NextToken": "t"},
                          {"MaxResults": 50, "Filters": [{"Key": "PingStatus", "Values": ["Online"]}]})
        stub.add_response("describe_instance_information", {"InstanceInformationList": [info(i) for i in range(50, 60)]},
                          {"MaxResults": 50, "Filters": [{"Key": "PingStatus", "Values": ["Online"]}], "NextToken": "t"})
        found = find_managed_instances(ssm_client, ping_status="Online", computer_name="edge-5*", include_tags=False)
        stub.assert_no_pending_responses()
    assert [f["computer_name"] for f in found] == ["edge-5"] + ["edge-%d" % i for i in range(50, 60)]
    assert found[0]["tags"] is None


def test_tags_fetched_per_match_and_rechecked(ssm_client):
    with Stubber(ssm_client) as stub:
        stub.add_response("describe_instance_information", {"InstanceInformationList": [info(1), info(2)]},
                          {"MaxResults": 50, "Filters": [{"Key": "tag:site", "Values": ["p7"]}]})
        stub.add_response("list_tags_for_resource", {"TagList": [{"Key": "site", "Value": "p7"}]},
                          {"ResourceType": "ManagedInstance", "ResourceId": "mi-%017x" % 1})
        stub.add_response("list_tags_for_resource", {"TagList": [{"Key": "site", "Value": "p8"}]},
                          {"ResourceType": "ManagedInstance", "ResourceId": "mi-%017x" % 2})
        found = find_managed_instances(ssm_client, tags={"site": "p7"})
    assert [f["instance_id"] for f in found] == ["mi-%017x" % 1]
    assert found[0]["tags"] == {"site": "p7"}


def test_missing_things_are_plain_values(ssm_client):
    with Stubber(ssm_client) as stub:
        stub.add_client_error("deregister_managed_instance", "InvalidInstanceId")
        stub.add_client_error("delete_activation", "InvalidActivation")
        stub.add_response("delete_activation", {})
        assert _ssm.deregister_managed_instance(ssm_client, "mi-00000000000000001") is False
        assert _ssm.delete_activation(ssm_client, "a") is False
        assert _ssm.delete_activation(ssm_client, "a") is True


def test_activations_filter_server_and_client_side(ssm_client):
    page = {"ActivationList": [
        {"ActivationId": "a1", "DefaultInstanceName": "edge", "Expired": True, "Tags": [{"Key": "p", "Value": "ecs"}]},
        {"ActivationId": "a2", "DefaultInstanceName": "edge", "Expired": False, "Tags": [{"Key": "p", "Value": "ecs"}]},
        {"ActivationId": "a3", "DefaultInstanceName": "edge", "Expired": True},
    ]}
    with Stubber(ssm_client) as stub:
        stub.add_response("describe_activations", page,
                          {"MaxResults": 50, "Filters": [{"FilterKey": "DefaultInstanceName", "FilterValues": ["edge"]}]})
        found = find_activations(ssm_client, default_instance_name="edge", tags={"p": "ecs"}, expired=True)
    assert [a["id"] for a in found] == ["a1"]
    assert all("code" not in a for a in found)
