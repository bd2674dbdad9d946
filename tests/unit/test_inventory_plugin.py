"""The fleet plugin's own glue: which credentials reach boto3, and which errors become which messages."""
import botocore.exceptions
import pytest
from ansible.errors import AnsibleParserError

from ansible_collections.hybridfleet.ecs_anywhere.plugins.inventory.fleet import InventoryModule
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._errors import FleetAWSError


@pytest.fixture
def plugin(monkeypatch):
    plugin = InventoryModule()
    options = {}
    calls = []
    monkeypatch.setattr(plugin, "get_option", lambda name, hostvars=None: options.get(name))
    monkeypatch.setattr(plugin, "client", lambda service, **kwargs: calls.append((service, kwargs)) or object())
    plugin.options, plugin.calls = options, calls
    return plugin


def test_legacy_security_token_is_passed_as_session_token(plugin, monkeypatch):
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.setenv("AWS_SECURITY_TOKEN", "legacy-token")
    plugin._client("ssm", "eu-west-1")
    (service, kwargs), = plugin.calls
    assert service == "ssm" and kwargs["region"] == "eu-west-1" and kwargs["aws_session_token"] == "legacy-token"
    assert "hybridfleet.ecs_anywhere/" in kwargs["config"].user_agent_extra


def test_profile_keeps_its_own_token(plugin, monkeypatch):
    monkeypatch.setenv("AWS_SECURITY_TOKEN", "legacy-token")
    plugin.options["profile"] = "edge"
    plugin._client("ecs", "eu-west-1")
    assert "aws_session_token" not in plugin.calls[0][1]


def raising(exception):
    def call(*_args):
        raise FleetAWSError(message="Failed to list container instances (X)", exception=exception)
    return call


def client_error(code):
    return botocore.exceptions.ClientError({"Error": {"Code": code, "Message": "nope"}}, "ListContainerInstances")


@pytest.mark.parametrize("exception, expected", [
    (botocore.exceptions.NoCredentialsError(), "no AWS credentials found: set access_key and secret_key (or profile)"),
    (client_error("ClusterNotFoundException"), "cluster 'edge' does not exist in region eu-west-1: fix clusters"),
    (client_error("AccessDeniedException"), "cluster 'edge' in region eu-west-1: Failed to list container instances (X)"),
])
def test_api_errors_become_inventory_errors_naming_the_problem(plugin, exception, expected):
    with pytest.raises(AnsibleParserError) as raised:
        plugin._aws("eu-west-1", "cluster 'edge'", raising(exception))
    assert expected in str(raised.value)
    assert str(raised.value).startswith("hybridfleet.ecs_anywhere.fleet: ")


def test_only_fleet_files_are_claimed(tmp_path):
    plugin = InventoryModule()
    for name, claimed in [("prod.fleet.yml", True), ("fleet.yaml", True), ("prod.aws_ec2.yml", False), ("hosts.yml", False)]:
        path = tmp_path / name
        path.write_text("plugin: hybridfleet.ecs_anywhere.fleet\n")
        assert plugin.verify_file(str(path)) is claimed, name


def _records():
    enrolled = {"region": "us-east-1", "ssm": {"instance_id": "mi-00000000000000001", "computer_name": "edge-1"},
                "ecs": {"cluster": "c1", "status": "ACTIVE", "agent_connected": True}, "ecs_others": []}
    draining = {"region": "us-east-1", "ssm": {"instance_id": "mi-00000000000000002", "computer_name": "edge-2"},
                "ecs": {"cluster": "c2", "status": "DRAINING", "agent_connected": True}, "ecs_others": []}
    ssm_only = {"region": "us-east-1", "ssm": {"instance_id": "mi-00000000000000003", "computer_name": "edge-3"}, "ecs": None, "ecs_others": []}
    return [enrolled, draining, ssm_only]


@pytest.mark.parametrize("group, default_groups", [("ecs_anywhere", True), ("edge_fleet", False), ("", True)])
def test_enrolled_hosts_land_in_the_enrolled_group(plugin, group, default_groups):
    from ansible.inventory.data import InventoryData
    plugin.inventory = InventoryData()
    plugin.options.update(enrolled_group=group, default_groups=default_groups, hostnames=["computer_name"], ansible_host_from="none",
                          strict=False)
    plugin._populate(_records())
    groups = plugin.inventory.groups
    if group:
        assert sorted(h.name for h in groups[group].get_hosts()) == ["edge-1", "edge-2"]
    else:
        assert "ecs_anywhere" not in groups
    assert ("not_in_ecs" in groups) is default_groups
