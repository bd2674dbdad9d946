"""Host names from the preference list, never merging two hosts into one."""
import pytest

from ansible_collections.hybridfleet.ecs_anywhere.plugins.plugin_utils.fleet_hostnames import assign_hostnames
from ansible_collections.hybridfleet.ecs_anywhere.plugins.plugin_utils.fleet_hostnames import candidate_names


def record(instance_id, computer_name=None, ip=None, name=None):
    return {"ssm": {"instance_id": instance_id, "computer_name": computer_name, "ip_address": ip, "name": name}}


@pytest.mark.parametrize("preferences, expected", [
    (["computer_name", "instance_id"], ["edge-1", "mi-1"]),
    (["ip_address", "computer_name"], ["10.0.0.1", "edge-1", "mi-1"]),
    (["instance_id"], ["mi-1"]),
    (["name"], ["mi-1"]),  # no value: falls through to the id
    ([], ["mi-1"]),
])
def test_candidates_follow_preferences_and_end_with_the_id(preferences, expected):
    assert candidate_names(record("mi-1", "edge-1", "10.0.0.1")["ssm"], preferences) == expected


def test_first_available_preference_names_each_host():
    named, collisions = assign_hostnames([record("mi-1", "edge-1"), record("mi-2", None, "10.0.0.2")], ["computer_name", "ip_address"])
    assert [pair[0] for pair in named] == ["edge-1", "10.0.0.2"]
    assert collisions == []


def test_repeated_computer_name_falls_back_instead_of_merging_hosts():
    hosts = [record("mi-1", "raspberrypi", "10.0.0.1"), record("mi-2", "raspberrypi", "10.0.0.1"), record("mi-3", "raspberrypi", "10.0.0.1")]
    named, collisions = assign_hostnames(hosts, ["computer_name", "ip_address"])
    assert [pair[0] for pair in named] == ["raspberrypi", "10.0.0.1", "mi-3"]
    assert len(collisions) == 2 and "mi-2" in collisions[0] and "'raspberrypi'" in collisions[0]
    assert [pair[1]["ssm"]["instance_id"] for pair in named] == ["mi-1", "mi-2", "mi-3"]


def test_same_instance_listed_twice_still_gets_two_names():
    named = assign_hostnames([record("mi-1"), record("mi-1")], ["instance_id"])[0]
    assert [pair[0] for pair in named] == ["mi-1", "mi-1_2"]
