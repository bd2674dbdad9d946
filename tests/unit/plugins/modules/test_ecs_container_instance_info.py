"""ecs_container_instance_info against a fake ECS: the call count of finding some hosts of a big fleet, any_cluster, row keys."""
import pytest

from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._errors import FleetError
from ansible_collections.hybridfleet.ecs_anywhere.plugins.modules.ecs_container_instance_info import ContainerInstanceInfo
from tests.unit.plugins.fake_aws import ACCOUNT, FakeECS, FakeModule, FakeSTS

DEFAULTS = dict(cluster=None, any_cluster=False, filter=None, status=None, container_instances=None, managed_instance_ids=None)


def info(ecs, sts=None, **params):
    return ContainerInstanceInfo(FakeModule(dict(DEFAULTS, **params), ecs=ecs, sts=sts or FakeSTS())).run()


def mid(i):
    return "mi-%017x" % i


def test_100_hosts_of_a_5000_host_cluster_cost_at_most_6_calls():
    """Issue 16: the drain's lookup of 100 hosts must not list 5,000 (it made 50 + 50 calls)."""
    ecs = FakeECS(5000)
    wanted = [mid(i) for i in range(0, 5000, 50)]
    result = info(ecs, cluster="c", managed_instance_ids=wanted)
    assert sorted(result["by_managed_instance_id"]) == sorted(wanted)
    assert sum(ecs.calls[k] for k in ("list", "describe")) <= 6
    assert ecs.calls["list"] == ecs.calls["list_filtered"] == 2 and ecs.calls["describe"] == 1


def test_any_cluster_finds_each_host_in_its_cluster_and_leaves_unknown_ids_out():
    ecs = FakeECS()
    ecs.add("c1", 2)
    ecs.add("c2", 2)
    result = info(ecs, any_cluster=True, managed_instance_ids=[mid(1), mid(2), "mi-%017x" % 999])
    by_mi = result["by_managed_instance_id"]
    assert set(by_mi) == {mid(1), mid(2)}
    assert by_mi[mid(1)]["cluster_name"] == "c1" and by_mi[mid(2)]["cluster_name"] == "c2"
    assert by_mi[mid(2)]["cluster_arn"] == "arn:aws:ecs:us-east-1:%s:cluster/c2" % ACCOUNT
    assert ecs.calls["list_clusters"] == 1 and ecs.calls["list_filtered"] == 2


def test_a_host_registered_twice_is_described_by_its_active_registration():
    ecs = FakeECS()
    ecs.add("old", 1, status="DRAINING")
    new = ecs.add("new", 1)[0]
    ecs.instances[new]["ec2InstanceId"] = mid(0)  # the same host, registered again in another cluster
    result = info(ecs, any_cluster=True, managed_instance_ids=[mid(0)])
    assert len(result["container_instances"]) == 2
    assert result["by_managed_instance_id"][mid(0)]["container_instance_arn"] == new


@pytest.mark.parametrize("params, phrase", [
    (dict(any_cluster=True), "any_cluster: true searches every cluster"),
    (dict(any_cluster=True, cluster="c", managed_instance_ids=[mid(0)]), "neither cluster nor container_instances"),
    (dict(managed_instance_ids=[mid(0)]), "cluster is required"),
    (dict(cluster="c", filter="x" * 2001), "filter is 2001 characters long"),
    (dict(cluster="arn:aws:ecs:eu-west-1:%s:cluster/c" % ACCOUNT), "is in region eu-west-1"),
])
def test_bad_combinations_are_refused_before_any_call(params, phrase):
    ecs = FakeECS(1)
    with pytest.raises(FleetError, match=phrase):
        info(ecs, **params)
    assert sum(ecs.calls.values()) == 0
