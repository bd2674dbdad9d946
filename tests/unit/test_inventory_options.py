"""Checking fleet inventory options and turning them into SSM filters."""
from ansible_collections.hybridfleet.ecs_anywhere.plugins.plugin_utils.fleet_options import entry_matches
from ansible_collections.hybridfleet.ecs_anywhere.plugins.plugin_utils.fleet_options import regions_to_query
from ansible_collections.hybridfleet.ecs_anywhere.plugins.plugin_utils.fleet_options import ssm_filters
from ansible_collections.hybridfleet.ecs_anywhere.plugins.plugin_utils.fleet_options import unknown_options

KNOWN = {"plugin": {}, "clusters": {}, "regions": {}, "ping_status": {}, "hostnames": {}}


def test_known_options_pass():
    assert unknown_options({"plugin": "x", "clusters": ["a"], "regions": []}, KNOWN) is None


def test_unknown_options_are_named_with_a_suggestion():
    message = unknown_options({"plugin": "x", "cluster": ["a"], "colour": "red"}, KNOWN)
    assert "'cluster' (did you mean 'clusters'?)" in message
    assert "'colour'" in message and "ansible-doc -t inventory hybridfleet.ecs_anywhere.fleet" in message


def test_ssm_filters_select_managed_instances_by_ping_and_tags():
    assert ssm_filters(["Online", "ConnectionLost"]) == [
        {"Key": "ResourceType", "Values": ["ManagedInstance"]},
        {"Key": "PingStatus", "Values": ["Online", "ConnectionLost"]},
    ]
    assert ssm_filters() == [{"Key": "ResourceType", "Values": ["ManagedInstance"]}]


def test_ssm_tag_filters_go_alone_as_aws_requires():
    """AWS refuses tag filters beside other filter types: the type and ping status are then checked on the results."""
    assert ssm_filters(["Online"], {"site": "lyon", "tier": 2}) == [
        {"Key": "tag:site", "Values": ["lyon"]},
        {"Key": "tag:tier", "Values": ["2"]},
    ]


def test_entry_matches_repeats_the_server_side_filters():
    assert entry_matches({"ResourceType": "ManagedInstance", "PingStatus": "Online"}, ["Online"])
    assert not entry_matches({"ResourceType": "EC2Instance", "PingStatus": "Online"})
    assert not entry_matches({"ResourceType": "ManagedInstance", "PingStatus": "Inactive"}, ["Online"])


def test_regions_default_to_the_configured_region_and_drop_repeats():
    assert regions_to_query([], "eu-west-1") == ["eu-west-1"]
    assert regions_to_query(["us-east-1", "eu-west-1", "us-east-1"], "ap-south-1") == ["us-east-1", "eu-west-1"]
    assert regions_to_query(None, None) == []
