"""Resource Groups Tagging API GetResources for SSM managed instances (tagging.py): what AWS returns for
`ssm:managed-instance`, paged, with tag filters and ARN lists; other resource types stay moto's; IAM's action is
tag:GetResources."""
import pytest

from .conftest import REGION
from .test_iam_enforcement import ACCOUNT, Keys, _implicit, _refused, _statement

TYPE = ["ssm:managed-instance"]


def arn(instance_id):
    return "arn:aws:ssm:%s:%s:managed-instance/%s" % (REGION, ACCOUNT, instance_id)


@pytest.fixture
def fleet(emulator):
    """250 seeded instances (tag seeded-cluster=c1), 2 of them tagged site=lab, 1 with every tag removed."""
    ids = emulator.seed("c1", 250)["managed_instance_ids"]
    ssm = emulator.client("ssm")
    for instance_id in ids[:2]:
        ssm.add_tags_to_resource(ResourceType="ManagedInstance", ResourceId=instance_id, Tags=[{"Key": "site", "Value": "lab"}])
    ssm.remove_tags_from_resource(ResourceType="ManagedInstance", ResourceId=ids[-1], TagKeys=["seeded-cluster"])
    return ids


def test_tagged_managed_instances_in_pages_of_up_to_100(emulator, fleet):
    tagging = emulator.client("resourcegroupstaggingapi")
    pages, token = [], None
    while True:
        page = tagging.get_resources(ResourceTypeFilters=TYPE, ResourcesPerPage=100,
                                     **({"PaginationToken": token} if token else {}))
        pages.append(page["ResourceTagMappingList"])
        token = page["PaginationToken"]
        if not token:
            break
    assert [len(p) for p in pages] == [100, 100, 49]  # the untagged one is not a tagged resource
    found = {m["ResourceARN"]: {t["Key"]: t["Value"] for t in m["Tags"]} for p in pages for m in p}
    assert arn(fleet[-1]) not in found
    assert found[arn(fleet[0])] == {"seeded-cluster": "c1", "site": "lab"}
    assert found[arn(fleet[5])] == {"seeded-cluster": "c1"}
    assert emulator.calls("tagging:GetResources") == 3


def test_tag_filters_and_arn_lists(emulator, fleet):
    tagging = emulator.client("resourcegroupstaggingapi")
    by_tag = tagging.get_resources(ResourceTypeFilters=TYPE, TagFilters=[{"Key": "site", "Values": ["lab", "plant"]}])
    assert sorted(m["ResourceARN"] for m in by_tag["ResourceTagMappingList"]) == sorted(arn(i) for i in fleet[:2])
    assert by_tag["PaginationToken"] == ""
    key_only = tagging.get_resources(ResourceTypeFilters=TYPE, TagFilters=[{"Key": "site"}])["ResourceTagMappingList"]
    assert len(key_only) == 2
    listed = tagging.get_resources(ResourceARNList=[arn(fleet[1]), arn(fleet[7]), arn(fleet[-1])])
    assert sorted(m["ResourceARN"] for m in listed["ResourceTagMappingList"]) == sorted([arn(fleet[1]), arn(fleet[7])])
    with pytest.raises(Exception) as refused:
        tagging.get_resources(ResourceTypeFilters=TYPE, ResourcesPerPage=101)
    assert refused.value.response["Error"]["Code"] == "InvalidParameterException"


def test_other_resource_types_are_moto_s(emulator, fleet):
    emulator.client("ssm").put_parameter(Name="/p", Value="v", Type="String", Tags=[{"Key": "k", "Value": "v"}])
    found = emulator.client("resourcegroupstaggingapi").get_resources(ResourceTypeFilters=["ssm:parameter"])
    assert [m["ResourceARN"].rsplit(":", 1)[-1] for m in found["ResourceTagMappingList"]] == ["parameter/p"]


def test_iam_checks_tag_get_resources(emulator, iam, set_config, fleet):
    set_config(enforce_iam=True)
    allowed = Keys(emulator, iam, "tag-reader", [_statement("Allow", "tag:GetResources")])
    assert allowed.client("resourcegroupstaggingapi").get_resources(ResourceTypeFilters=TYPE)["ResourceTagMappingList"]
    denied = Keys(emulator, iam, "ssm-reader", [_statement("Allow", "ssm:ListTagsForResource")])
    _refused(lambda: denied.client("resourcegroupstaggingapi").get_resources(ResourceTypeFilters=TYPE),
             "AccessDeniedException", _implicit(denied.arn, "tag:GetResources", "*"))
