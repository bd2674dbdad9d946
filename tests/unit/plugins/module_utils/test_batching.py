import pytest

from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._batching import chunks
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._batching import follow_pages
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._batching import unique


@pytest.mark.parametrize("count,size,expected", [(0, 100, []), (1, 100, [1]), (100, 100, [100]), (101, 100, [100, 1]), (250, 100, [100, 100, 50])])
def test_chunks_sizes(count, size, expected):
    batches = chunks(range(count), size)
    assert [len(b) for b in batches] == expected
    assert [x for b in batches for x in b] == list(range(count))


def test_chunks_rejects_zero():
    with pytest.raises(ValueError):
        chunks([1], 0)


def test_unique_keeps_first_order():
    assert unique(["b", "a", "b", "c", "a"]) == ["b", "a", "c"]


def test_follow_pages_passes_tokens_and_concatenates():
    pages = {None: {"items": [1, 2], "nextToken": "t1"}, "t1": {"items": [3], "nextToken": "t2"}, "t2": {"items": []}}
    seen = []

    def fetch(token):
        seen.append(token)
        return pages[token]

    assert follow_pages(fetch, "items") == [1, 2, 3]
    assert seen == [None, "t1", "t2"]


def test_paginate_retries_a_throttled_page_alone_and_leaves_out_empty_parameters(monkeypatch):
    from botocore.exceptions import ClientError
    from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._batching import paginate
    monkeypatch.setattr("time.sleep", lambda seconds: None)
    calls = []
    pages = {None: {"Items": [1, 2], "NextToken": "p2"}, "p2": {"Items": [3], "NextToken": "p3"}, "p3": {"Items": [4]}}
    throttled = {"p2": 1}

    class Client:
        def list_things(self, **params):
            calls.append(params)
            token = params.get("NextToken")
            if throttled.get(token):
                throttled[token] -= 1
                raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, "ListThings")
            return pages[token]

    assert paginate(Client(), "list_things", "Items", MaxResults=2, Filters=[], Query="", Other=None) == [1, 2, 3, 4]
    assert [c.get("NextToken") for c in calls] == [None, "p2", "p2", "p3"]
    assert all(c == dict({"MaxResults": 2}, **({"NextToken": c["NextToken"]} if "NextToken" in c else {})) for c in calls)
