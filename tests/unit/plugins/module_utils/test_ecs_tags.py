"""apply_ecs_tags: the calls it makes, what it reports, and nothing called in check mode."""
import types

from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._diff import DifferenceTracker
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._ecs_tags import apply_ecs_tags

ARN = "arn:aws:ecs:us-east-1:123456789012:service/edge/app"


class Client:
    def __init__(self):
        self.calls = []

    def tag_resource(self, **kwargs):
        self.calls.append(("tag", kwargs))

    def untag_resource(self, **kwargs):
        self.calls.append(("untag", kwargs))


def run(current, wanted, purge=True, check_mode=False):
    client, diff = Client(), DifferenceTracker()
    after = apply_ecs_tags(types.SimpleNamespace(check_mode=check_mode), client, ARN, current, wanted, purge, diff)
    return after, client.calls, diff


def test_sets_what_differs_and_purges_the_rest():
    after, calls, diff = run({"a": "1", "b": "2"}, {"a": "1", "c": "3"})
    assert after == {"a": "1", "c": "3"}
    assert calls == [("untag", {"resourceArn": ARN, "tagKeys": ["b"]}), ("tag", {"resourceArn": ARN, "tags": [{"key": "c", "value": "3"}]})]
    assert diff.as_diff() == {"before": {"tags": {"a": "1", "b": "2"}}, "after": {"tags": {"a": "1", "c": "3"}}}


def test_keeps_the_rest_without_purge_and_calls_nothing_when_equal_or_not_given():
    after, calls, _diff = run({"a": "1", "b": "2"}, {"c": "3"}, purge=False)
    assert after == {"a": "1", "b": "2", "c": "3"} and [call[0] for call in calls] == ["tag"]
    for wanted in ({"a": "1"}, None):
        after, calls, diff = run({"a": "1"}, wanted)
        assert after == {"a": "1"} and calls == [] and not diff.has_changes


def test_check_mode_predicts_and_calls_nothing():
    after, calls, diff = run({"a": "1"}, {"b": "2"}, check_mode=True)
    assert after == {"b": "2"} and calls == [] and diff.has_changes
