"""Every wrapper splits large inputs to AWS's per-call limits: fake clients refuse any call over a limit (their numbers are
written from the API reference, not taken from _batching) and count the calls, which must be the fewest the limits allow."""
import math

import pytest

from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils import _ecs
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils import _ssm
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._batching import chunks_by_length
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._batching import split_filters
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._lookup import find_activations
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._lookup import find_container_instances
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._lookup import find_in_clusters
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._lookup import find_managed_instances
from tests.unit.plugins.fake_aws import FakeECS
from tests.unit.plugins.fake_aws import FakeSSM
from tests.unit.plugins.fake_aws import MAX_QUERY_LENGTH
from tests.unit.plugins.fake_aws import check

N = 5000


def mids(n, start=0):
    return ["mi-%017x" % i for i in range(start, start + n)]


def test_5000_managed_instance_ids_in_ssm_cost_one_call_per_50_found():
    ssm = FakeSSM(N)
    found = find_managed_instances(ssm, instance_ids=mids(N), include_tags=False)
    assert len(found) == N
    # 50 filters of 100 ids (AWS's maximum per filter), each read in 2 pages of 50 (the maximum page)
    assert ssm.calls["describe_instance_information"] == math.ceil(N / 50) == 100


def test_activation_ids_and_instance_ids_are_chunked_together():
    ssm = FakeSSM(250, activation_id="act-1")
    found = find_managed_instances(ssm, instance_ids=mids(250), activation_ids=["act-1"], include_tags=False)
    # three chunks of 100, 100 and 50 ids, read in 2 + 2 + 1 pages of 50
    assert len(found) == 250 and ssm.calls["describe_instance_information"] == 5


def test_tags_beside_ids_are_checked_on_the_results():
    ssm = FakeSSM(10)
    ssm.tags["mi-%017x" % 3] = {"site": "p7"}
    found = find_managed_instances(ssm, instance_ids=mids(10), tags={"site": "p7"})
    assert [f["instance_id"] for f in found] == ["mi-%017x" % 3]


def test_5000_managed_instance_ids_in_ecs_cost_one_query_per_90_ids():
    ecs = FakeECS(N, tasks_each=0)
    found = find_container_instances(ecs, "c", managed_instance_ids=mids(N))
    assert len(found) == N
    per_query = len(_ecs.managed_instance_chunks(mids(N))[0])
    assert per_query == 90  # 20-character mi- ids in a 2,000-character `ec2InstanceId in [...]`
    assert ecs.calls["list_filtered"] == math.ceil(N / per_query) == 56
    assert ecs.calls["describe"] == math.ceil(N / 100) == 50


def test_query_chunks_stay_within_the_expression_limit_with_a_user_filter():
    query = "attribute:site == lyon and agentConnected == true"
    batches = _ecs.managed_instance_chunks(mids(1000), query)
    assert all(len(_ecs.managed_instance_query(b, query)) <= MAX_QUERY_LENGTH for b in batches)
    assert sum(len(b) for b in batches) == 1000 and len(batches) == math.ceil(1000 / len(batches[0]))


def test_an_expression_no_id_fits_beside_is_refused():
    with pytest.raises(ValueError, match="longer than 2000"):
        _ecs.managed_instance_chunks(mids(1), "attribute:x == " + "y" * 1990)


def test_5000_state_changes_go_ten_per_call():
    ecs = FakeECS(N)
    changed, failures = _ecs.update_container_instances_state(ecs, "c", list(ecs.instances), "DRAINING")
    assert len(changed) == N and not failures and ecs.calls["update"] == math.ceil(N / 10) == 500


def test_5000_described_100_per_call():
    ecs = FakeECS(N)
    instances, _failures = _ecs.describe_container_instances(ecs, "c", list(ecs.instances))
    assert len(instances) == N and ecs.calls["describe"] == 50


def test_attributes_go_ten_per_call():
    ecs = FakeECS(3)
    arn = list(ecs.instances)[0]
    entries = [{"name": "a%d" % i, "value": "v", "targetType": "container-instance", "targetId": arn} for i in range(25)]
    _ecs.put_attributes(ecs, "c", entries)
    _ecs.delete_attributes(ecs, "c", entries)
    assert ecs.calls["put_attributes"] == ecs.calls["delete_attributes"] == 3


def test_clusters_are_listed_100_per_page_and_each_queried_once():
    ecs = FakeECS()
    for i in range(250):
        ecs.add("c%03d" % i, 1)
    wanted = ["mi-%017x" % 7, "mi-%017x" % 200]
    found = find_in_clusters(ecs, wanted)
    assert sorted(c.rsplit("/", 1)[1] for c in found) == ["c007", "c200"]
    assert ecs.calls["list_clusters"] == 3 and ecs.calls["list_filtered"] == 250 and ecs.calls["describe"] == 2


def test_activation_ids_are_sent_100_per_call():
    class FakeActivations:
        calls = 0

        def describe_activations(self, MaxResults, Filters=(), NextToken=None):
            check(1 <= MaxResults <= 50, "MaxResults")
            for f in Filters:
                check(len(f["FilterValues"]) <= 100, "filter values")
            FakeActivations.calls += 1
            ids = Filters[0]["FilterValues"]
            return {"ActivationList": [{"ActivationId": i, "Tags": []} for i in ids]}

    found = find_activations(FakeActivations(), activation_ids=["a%d" % i for i in range(250)])
    assert len(found) == 250 and FakeActivations.calls == 3


def test_split_filters_chunks_each_filter_and_keeps_the_others_whole():
    filters = [{"Key": "InstanceIds", "Values": list(range(250))}, {"Key": "PingStatus", "Values": ["Online"]}]
    combos = split_filters(filters, 100)
    assert [len(c[0]["Values"]) for c in combos] == [100, 100, 50]
    assert all(c[1] == {"Key": "PingStatus", "Values": ["Online"]} for c in combos)
    assert split_filters(None, 100) == [[]]


def test_chunks_by_length():
    render = ", ".join
    assert chunks_by_length(["aa", "bb", "cc"], render, 6) == [["aa", "bb"], ["cc"]]
    assert chunks_by_length(["aa", "bb", "cc"], render, 100, max_items=2) == [["aa", "bb"], ["cc"]]
    with pytest.raises(ValueError):
        chunks_by_length(["toolong"], render, 3)


def test_ssm_tag_lists_and_ssm_wrappers_share_one_dedupe():
    ssm = FakeSSM(120)
    # the same ids twice: chunks overlap, each instance is returned once
    assert len(_ssm.describe_instance_information(ssm, [{"Key": "InstanceIds", "Values": mids(120) + mids(120)}])) == 120
