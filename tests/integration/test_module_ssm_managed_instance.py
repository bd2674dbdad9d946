"""ssm_managed_instance / ssm_managed_instance_info against the emulator's seeded fleet."""
import json


def test_info_filters(play, emulator):
    seeded = emulator.seed("c1", 4)
    ids = seeded["managed_instance_ids"]
    everything, one, online, by_tag, by_name, by_ip, untagged, none = play(
        {"ssm_managed_instance_info": {}},
        {"ssm_managed_instance_info": {"instance_ids": [ids[1]]}},
        {"ssm_managed_instance_info": {"ping_status": "Online"}},
        {"ssm_managed_instance_info": {"tags": {"seeded-cluster": "c1"}}},
        {"ssm_managed_instance_info": {"computer_name": "seed-c1-000[12]"}},
        {"ssm_managed_instance_info": {"ip_address": "10.0.0.3"}},
        {"ssm_managed_instance_info": {"include_tags": False, "instance_ids": [ids[0]]}},
        {"ssm_managed_instance_info": {"tags": {"seeded-cluster": "other"}}},
    )
    assert sorted(i["instance_id"] for i in everything["instances"]) == sorted(ids)
    instance = one["instances"][0]
    assert [i["instance_id"] for i in one["instances"]] == [ids[1]]
    for key in ("ping_status", "last_ping_date_time", "agent_version", "ip_address", "computer_name", "platform_type",
                "registration_date", "activation_id", "tags"):
        assert instance[key], key
    assert instance["activation_id"] == seeded["activation_id"] and instance["tags"] == {"seeded-cluster": "c1"}
    assert len(online["instances"]) == 4 and len(by_tag["instances"]) == 4
    assert sorted(i["computer_name"] for i in by_name["instances"]) == ["seed-c1-0001", "seed-c1-0002"]
    assert [i["computer_name"] for i in by_ip["instances"]] == ["seed-c1-0003"]
    assert untagged["instances"][0]["tags"] is None
    assert none["instances"] == []
    assert not any(r["changed"] for r in (everything, one, online, by_tag, by_name, by_ip, untagged, none))


def test_info_reads_pages_of_50(play, emulator):
    emulator.seed("c1", 120)
    emulator.reset_stats()
    (result,) = play({"ssm_managed_instance_info": {"include_tags": False}})
    assert len(result["instances"]) == 120
    assert emulator.calls("ssm:DescribeInstanceInformation") == 3
    assert emulator.calls("ssm:ListTagsForResource") == 0


def test_info_of_the_whole_region_reads_tags_100_per_call(play, emulator):
    """Default options over 230 instances (one untagged): ceil(230/50) listings + ceil(229/100) GetResources, no
    ListTagsForResource; picked by id, the few found are read one by one."""
    ids = emulator.seed("c1", 230)["managed_instance_ids"]
    emulator.client("ssm").remove_tags_from_resource(ResourceType="ManagedInstance", ResourceId=ids[7], TagKeys=["seeded-cluster"])
    emulator.reset_stats()
    (result,) = play({"ssm_managed_instance_info": {}})
    tags = {i["instance_id"]: i["tags"] for i in result["instances"]}
    assert len(tags) == 230 and tags[ids[7]] == {} and tags[ids[0]] == {"seeded-cluster": "c1"}
    assert emulator.stats()["calls"] == {"ssm:DescribeInstanceInformation": 5, "tagging:GetResources": 3}
    emulator.reset_stats()
    (picked,) = play({"ssm_managed_instance_info": {"instance_ids": ids[:2]}})
    assert [i["tags"] for i in picked["instances"]] == [{"seeded-cluster": "c1"}] * 2
    assert emulator.stats()["calls"] == {"ssm:DescribeInstanceInformation": 1, "ssm:ListTagsForResource": 2}


def test_info_where_tag_get_resources_is_denied_warns_and_reads_tags_per_instance(play, emulator):
    emulator.seed("c1", 3)
    iam = emulator.client("iam")
    iam.create_user(UserName="old-policy")
    iam.put_user_policy(UserName="old-policy", PolicyName="inline", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Resource": "*",
                                                "Action": ["ssm:DescribeInstanceInformation", "ssm:ListTagsForResource"]}]}))
    key = iam.create_access_key(UserName="old-policy")["AccessKey"]
    emulator._call("POST", "/_emulator/config", {"enforce_iam": True})  # pylint: disable=protected-access
    emulator.reset_stats()
    (result,) = play({"ssm_managed_instance_info": {}},
                     env={"AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]})
    assert [i["tags"] for i in result["instances"]] == [{"seeded-cluster": "c1"}] * 3
    assert any("tag:GetResources is denied" in w for w in result["warnings"]), result.get("warnings")
    assert emulator.stats()["calls"]["ssm:ListTagsForResource"] == 3


def test_tags_check_real_repeat_and_purge(play, emulator):
    mid = emulator.seed("c1", 1)["managed_instance_ids"][0]
    predicted, added, repeat, merged, purged, info = play(
        {"ssm_managed_instance": {"instance_id": mid, "tags": {"site": "p7"}, "purge_tags": False}, "check_mode": True},
        {"ssm_managed_instance": {"instance_id": mid, "tags": {"site": "p7"}, "purge_tags": False}},
        {"ssm_managed_instance": {"instance_id": mid, "tags": {"site": "p7"}, "purge_tags": False}},
        {"ssm_managed_instance": {"instance_id": mid, "tags": {"rack": "2"}, "purge_tags": False}},
        {"ssm_managed_instance": {"instance_id": mid, "tags": {"rack": "3"}}},
        {"ssm_managed_instance_info": {"instance_ids": [mid]}},
        diff=True,
    )
    assert predicted["changed"] and predicted["diff"]["after"]["tags"] == {"seeded-cluster": "c1", "site": "p7"}
    assert added["changed"] and added["instance"]["tags"] == {"seeded-cluster": "c1", "site": "p7"}
    assert repeat["changed"] is False
    assert merged["instance"]["tags"] == {"seeded-cluster": "c1", "site": "p7", "rack": "2"}
    assert purged["changed"] and purged["instance"]["tags"] == {"rack": "3"}
    assert info["instances"][0]["tags"] == {"rack": "3"}


def test_deregister_check_real_repeat(play, emulator):
    ids = emulator.seed("c1", 2)["managed_instance_ids"]
    predicted, gone, again, info = play(
        {"ssm_managed_instance": {"instance_id": ids[0], "state": "absent"}, "check_mode": True},
        {"ssm_managed_instance": {"instance_id": ids[0], "state": "absent"}},
        {"ssm_managed_instance": {"instance_id": ids[0], "state": "absent"}},
        {"ssm_managed_instance_info": {}},
    )
    assert predicted["changed"] and gone["changed"] and gone["instance"]["instance_id"] == ids[0]
    assert again["changed"] is False and again["instance"] is None
    assert [i["instance_id"] for i in info["instances"]] == [ids[1]]


def test_error_paths(play, emulator):
    bad_id, unknown = play(
        {"ssm_managed_instance": {"instance_id": "i-0123456789abcdef0", "state": "absent"}, "expect_failure": True},
        {"ssm_managed_instance": {"instance_id": "mi-0123456789abcdef0", "tags": {"a": "b"}}, "expect_failure": True},
    )
    assert "must be a managed instance id" in bad_id["msg"]
    assert "not registered" in unknown["msg"] and "ssm_agent" in unknown["msg"]


def test_info_by_activation_lists_only_what_that_activation_registered(play, emulator):
    first, second = emulator.seed("c1", 3), emulator.seed("c2", 120)
    emulator.reset_stats()
    (by_activation,) = play({"ssm_managed_instance_info": {"activation_ids": [first["activation_id"]], "include_tags": False}})
    assert sorted(i["instance_id"] for i in by_activation["instances"]) == sorted(first["managed_instance_ids"])
    assert {i["activation_id"] for i in by_activation["instances"]} == {first["activation_id"]}
    # one page: the 120 instances of the other activation are never read
    assert emulator.calls("ssm:DescribeInstanceInformation") == 1
    assert second["activation_id"] != first["activation_id"]


def test_info_with_300_ids_and_a_tag_stays_within_the_filter_limits(play, emulator):
    """300 ids make three calls of 100 (AWS's maximum per filter); the tag is checked on the results, as AWS refuses
    tag filters beside other filters."""
    seeded = emulator.seed("c1", 300)
    ssm = emulator.client("ssm")
    ssm.add_tags_to_resource(ResourceType="ManagedInstance", ResourceId=seeded["managed_instance_ids"][5], Tags=[{"Key": "site", "Value": "x"}])
    emulator.reset_stats()
    everything, tagged = play(
        {"ssm_managed_instance_info": {"instance_ids": seeded["managed_instance_ids"], "include_tags": False}},
        {"ssm_managed_instance_info": {"instance_ids": seeded["managed_instance_ids"][:10], "tags": {"site": "x"}}},
    )
    assert len(everything["instances"]) == 300
    assert [i["instance_id"] for i in tagged["instances"]] == [seeded["managed_instance_ids"][5]]
    # 3 chunks of 100 ids x 2 pages of 50, then one page for the 10 ids
    assert emulator.calls("ssm:DescribeInstanceInformation") == 7
