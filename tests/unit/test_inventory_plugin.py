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
