"""Default groups of the fleet inventory and their sanitized names."""
import pytest

from ansible_collections.hybridfleet.ecs_anywhere.plugins.plugin_utils.fleet_groups import default_groups
from ansible_collections.hybridfleet.ecs_anywhere.plugins.plugin_utils.fleet_groups import enrolled_group_problem
from ansible_collections.hybridfleet.ecs_anywhere.plugins.plugin_utils.fleet_groups import is_enrolled
from ansible_collections.hybridfleet.ecs_anywhere.plugins.plugin_utils.fleet_groups import sanitize


@pytest.mark.parametrize("raw, expected", [
    ("hybrid-cluster", "hybrid_cluster"),
    ("Prod.EU  west/1", "prod_eu_west_1"),
    ("ConnectionLost", "connectionlost"),
    ("1st-site", "_1st_site"),
    ("--", "_"),
])
def test_sanitize(raw, expected):
    assert sanitize(raw) == expected


def test_host_in_ecs_is_grouped_by_cluster_status_and_ping():
    hv = {"ssm_ping_status": "Online", "ecs_cluster": "hybrid-cluster", "ecs_status": "DRAINING", "ecs_agent_connected": True,
          "ecs_duplicate_container_instance_arns": []}
    assert default_groups(hv) == ["ssm_ping_online", "ecs_cluster_hybrid_cluster", "ecs_status_draining"]


def test_disconnected_agent_and_duplicate_registration_have_their_groups():
    hv = {"ssm_ping_status": "ConnectionLost", "ecs_cluster": "c", "ecs_status": "ACTIVE", "ecs_agent_connected": False,
          "ecs_duplicate_container_instance_arns": ["arn:old"]}
    assert default_groups(hv) == ["ssm_ping_connectionlost", "ecs_cluster_c", "ecs_status_active", "ecs_agent_disconnected",
                                  "ecs_duplicate_registration"]


def test_host_without_container_instance_is_only_not_in_ecs():
    assert default_groups({"ssm_ping_status": "Inactive"}) == ["ssm_ping_inactive", "not_in_ecs"]


def test_enrolled_means_a_container_instance_in_one_of_the_clusters():
    assert is_enrolled({"ecs_cluster": "c", "ecs_status": "DRAINING"})
    assert not is_enrolled({"ssm_ping_status": "Online"})


@pytest.mark.parametrize("name, ok", [("ecs_anywhere", True), ("Edge_2", True), ("", True), ("ecs-anywhere", False), ("2nd", False),
                                      ("a b", False)])
def test_enrolled_group_name_is_checked(name, ok):
    problem = enrolled_group_problem(name)
    assert (problem is None) is ok
    if not ok:
        assert repr(name) in problem and "'' to leave the group out" in problem
