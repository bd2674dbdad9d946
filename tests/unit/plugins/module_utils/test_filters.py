from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._filters import activation_filters
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._filters import activation_matches
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._filters import instance_filters
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._filters import instance_matches
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._filters import is_managed_instance_id
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._filters import missing_ids
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._filters import select_by_managed_ids
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._filters import tags_match


def test_activation_filters_only_for_given_options():
    assert activation_filters() == []
    assert activation_filters(["a", "b"], "edge", "role") == [
        {"FilterKey": "ActivationIds", "FilterValues": ["a", "b"]},
        {"FilterKey": "DefaultInstanceName", "FilterValues": ["edge"]},
        {"FilterKey": "IamRole", "FilterValues": ["role"]},
    ]


def test_activation_matches_all_criteria():
    act = {"id": "a1", "default_instance_name": "edge", "iam_role": "r", "expired": False, "tags": {"team": "x", "n": "1"}}
    assert activation_matches(act)
    assert activation_matches(act, ["a1"], "edge", "r", {"team": "x"}, False)
    assert activation_matches(act, tags={"n": 1})  # tag values compare as text
    assert not activation_matches(act, ["a2"])
    assert not activation_matches(act, default_instance_name="core")
    assert not activation_matches(act, iam_role="other")
    assert not activation_matches(act, expired=True)
    assert not activation_matches(act, tags={"team": "y"})
    assert not activation_matches(act, tags={"missing": "x"})


def test_instance_filters_use_api_keys_and_tag_prefix():
    assert instance_filters(None, "Online", {"site": "p7", "a": 1, "on": True}) == [
        {"Key": "tag:a", "Values": ["1"]},
        {"Key": "tag:on", "Values": ["true"]},
        {"Key": "tag:site", "Values": ["p7"]},
    ]
    assert instance_filters(["mi-1"], "Online", activation_ids=["a1"]) == [
        {"Key": "InstanceIds", "Values": ["mi-1"]},
        {"Key": "ActivationIds", "Values": ["a1"]},
        {"Key": "PingStatus", "Values": ["Online"]},
    ]
    assert instance_filters() == []


def test_tag_filters_are_never_combined_with_other_filter_types():
    """AWS: 'Tag filters can't be combined with other filter types.' Ids go to the API, tags are checked after."""
    for args in ((["mi-1"], "Online", {"site": "p7"}), (None, None, {"site": "p7"}, ["a1"]), (None, "Online", {"site": "p7"})):
        keys = {f["Key"].startswith("tag:") for f in instance_filters(*args)}
        assert len(keys) == 1, args
    assert instance_filters(["mi-1"], None, {"site": "p7"}) == [{"Key": "InstanceIds", "Values": ["mi-1"]}]


def test_instance_matches_client_side_fields():
    raw = {"InstanceId": "mi-1", "PingStatus": "Online", "ComputerName": "edge-03.lan", "IPAddress": "10.0.0.3"}
    assert instance_matches(raw)
    assert instance_matches(raw, computer_name="edge-*", ip_address="10.0.0.3", ping_status="Online", instance_ids=["mi-1"])
    assert not instance_matches(raw, computer_name="core-*")
    assert not instance_matches(raw, ip_address="10.0.0.4")
    assert not instance_matches(raw, ping_status="ConnectionLost")
    assert not instance_matches(raw, instance_ids=["mi-2"])
    assert not instance_matches(dict(raw, ActivationId="a1"), activation_ids=["a2"])
    assert instance_matches(dict(raw, ActivationId="a1"), activation_ids=["a1"], ping_status=["Online", "Inactive"])


def test_managed_instance_id_shape():
    assert is_managed_instance_id("mi-0123456789abcdef0")
    assert not is_managed_instance_id("i-0123456789abcdef0")
    assert not is_managed_instance_id("mi-XYZ")


def test_select_and_missing():
    cis = [{"ec2InstanceId": "mi-1"}, {"ec2InstanceId": "mi-2"}, {}]
    assert select_by_managed_ids(cis, ["mi-2", "mi-9"]) == [{"ec2InstanceId": "mi-2"}]
    assert missing_ids(["mi-2", "mi-9", "mi-1"], ["mi-1", "mi-2"]) == ["mi-9"]
    assert tags_match(None, None)
