"""Tag and attribute values as YAML gives them: stored as AWS CLI users write them, or refused naming the key."""
import pytest

from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._common import check_arn_location
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._common import check_managed_instance_ids
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._errors import FleetError
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._errors import name_some
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._shaping import dict_to_tags
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._user_input import check_attributes
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._user_input import check_tags
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._user_input import normalize_tags


def test_scalars_are_stored_as_yaml_and_the_aws_cli_spell_them():
    assert normalize_tags({"on": True, "off": False, "n": 7, "f": 1.5, "s": "x", True: "k"}) == {
        "on": "true", "off": "false", "n": "7", "f": "1.5", "s": "x", "true": "k"}
    assert dict_to_tags({"gpu": True}) == [{"Key": "gpu", "Value": "true"}]


@pytest.mark.parametrize("value, phrase", [(None, "tags 'site' has no value (null)"), (["a"], "must be a string, number or boolean, got a list")])
def test_null_and_structured_tag_values_are_refused_naming_the_key(value, phrase):
    with pytest.raises(FleetError, match=phrase.replace("(", r"\(").replace(")", r"\)")):
        normalize_tags({"site": value})


@pytest.mark.parametrize("tags, service, existing, phrase", [
    ({"": "x"}, "ssm", 0, "key '' must be 1-128"),
    ({"k" * 129: "x"}, "ecs", 0, "must be 1-128"),
    ({"site": "v" * 257}, "ssm", 0, "the value of 'site' must be 0-256"),
    ({"site": "a\nb"}, "ecs", 0, "the value of 'site' must be"),
    ({"aws:owner": "me"}, "ssm", 0, "starts with aws:, which AWS reserves"),
    ({"a": "1"}, "ecs", 50, "at most 50 tags, this would make 51"),
])
def test_tags_aws_would_refuse(tags, service, existing, phrase):
    with pytest.raises(FleetError, match=phrase):
        check_tags(tags, service, existing=existing)


def test_tags_aws_accepts():
    check_tags({"Name": "edge 1", "owner@site": "a+b=c/d:e_f.g-h", "empty": ""}, "ssm", existing=47)
    check_tags({"clé": "vålue"}, "ecs")


@pytest.mark.parametrize("put, total, phrase", [
    ({"bad name!": "x"}, 1, "name 'bad name!' must be"),
    ({"ok": "tab\there"}, 1, "the value of 'ok' must be"),
    ({"ok": "trailing "}, 1, "the value of 'ok' must be"),
    ({"ok": "x" * 129}, 1, "the value of 'ok' must be"),
    ({"ok": "v"}, 11, "at most 10 custom attributes, this would make 11"),
])
def test_attributes_ecs_would_refuse(put, total, phrase):
    with pytest.raises(FleetError, match=phrase):
        check_attributes(put, list(put), total)


def test_attributes_ecs_accepts():
    check_attributes({"site.zone/rack_2-b\\x": "Lyon 7@dc:a/b\\c", "flag": None}, ["site.zone/rack_2-b\\x", "flag", "old"], 10)


def test_name_some_caps_long_lists():
    assert name_some(["a", "b"]) == "a, b"
    assert name_some(range(5000)) == "0, 1, 2, 3, 4 and 4995 more"


def test_arns_of_another_region_or_account_are_refused_and_names_are_not_looked_up():
    looked_up = []

    def account():
        looked_up.append(1)
        return "123456789012"

    check_arn_location(["c1", "abc"], "us-east-1", account)
    assert looked_up == []
    check_arn_location(["arn:aws:ecs:us-east-1:123456789012:cluster/c1"], "us-east-1", account)
    with pytest.raises(FleetError) as error:
        check_arn_location(["arn:aws:ecs:eu-west-1:111111111111:cluster/c1"], "us-east-1", account)
    assert "region eu-west-1, account 111111111111" in error.value.message
    assert "region us-east-1 with the credentials of account 123456789012" in error.value.message


def test_managed_instance_ids_cannot_break_out_of_the_query():
    check_managed_instance_ids(["mi-0123456789abcdef0", "i-0123456789abcdef0"], "ids")
    with pytest.raises(FleetError, match="'mi-1] or agentConnected == true'"):
        check_managed_instance_ids(["mi-1] or agentConnected == true"], "ids")
