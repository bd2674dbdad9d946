import botocore.config

from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._common import USER_AGENT_EXTRA
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._common import botocore_config
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._common import security_token_fallback
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._diff import DifferenceTracker


def test_security_token_used_only_when_session_token_missing():
    assert security_token_fallback({}, {"AWS_SECURITY_TOKEN": "legacy"}) == "legacy"
    assert security_token_fallback({}, {"AWS_SECURITY_TOKEN": "legacy", "AWS_SESSION_TOKEN": "new"}) is None
    assert security_token_fallback({"session_token": "param"}, {"AWS_SECURITY_TOKEN": "legacy"}) is None
    assert security_token_fallback({"profile": "p"}, {"AWS_SECURITY_TOKEN": "legacy"}) is None
    assert security_token_fallback({}, {}) is None
    assert security_token_fallback({}, {"AWS_SECURITY_TOKEN": ""}) is None


def test_user_agent_names_the_collection_and_keeps_caller_config():
    assert USER_AGENT_EXTRA.startswith("hybridfleet.ecs_anywhere/")
    assert botocore_config().user_agent_extra == USER_AGENT_EXTRA
    merged = botocore_config({"connect_timeout": 7})
    assert merged.user_agent_extra == USER_AGENT_EXTRA and merged.connect_timeout == 7
    merged = botocore_config(botocore.config.Config(read_timeout=9))
    assert merged.read_timeout == 9 and merged.user_agent_extra == USER_AGENT_EXTRA


def test_difference_tracker():
    diff = DifferenceTracker()
    diff.add("same", 1, 1)
    assert not diff.has_changes
    diff.add("tags", {"a": "1"}, {"a": "2"})
    assert diff.has_changes and diff.changed_names() == ["tags"]
    assert diff.as_diff() == {"before": {"tags": {"a": "1"}}, "after": {"tags": {"a": "2"}}}
