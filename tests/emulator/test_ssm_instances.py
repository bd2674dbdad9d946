"""Managed instances: the raw agent calls, DescribeInstanceInformation, tags, deregistration, PingStatus."""
import time

import pytest

HEARTBEAT = dict(AgentVersion="3.3.1957.0", AgentName="amazon-ssm-agent", PlatformName="Debian GNU/Linux",
                 PlatformType="Linux", PlatformVersion="12", IPAddress="192.0.2.10", ComputerName="edge-01",
                 AgentStatus="Active")


def test_raw_register_and_heartbeat_show_up_in_describe(ssm, activation, raw, role):
    status, body = raw.ssm("RegisterManagedInstance", {
        "ActivationId": activation["ActivationId"], "ActivationCode": activation["ActivationCode"],
        "PublicKey": "AAAAB3Nza", "PublicKeyType": "Rsa", "Fingerprint": "aa:bb"})
    assert status == 200
    instance_id = body["InstanceId"]
    assert instance_id.startswith("mi-") and len(instance_id) == 20
    int(instance_id[3:], 16)
    status, body = raw.ssm("UpdateInstanceInformation", dict(InstanceId=instance_id, **HEARTBEAT))
    assert (status, body) == (200, {})
    info = ssm.describe_instance_information()["InstanceInformationList"]
    assert len(info) == 1
    item = info[0]
    assert item["InstanceId"] == instance_id
    assert item["PingStatus"] == "Online"
    assert item["AgentVersion"] == "3.3.1957.0" and item["IsLatestVersion"] is True
    assert (item["PlatformType"], item["PlatformName"], item["PlatformVersion"]) == ("Linux", "Debian GNU/Linux", "12")
    assert item["ActivationId"] == activation["ActivationId"]
    assert item["IamRole"] == role
    assert item["ResourceType"] == "ManagedInstance"
    assert item["Name"] == "edge"
    assert (item["IPAddress"], item["ComputerName"]) == ("192.0.2.10", "edge-01")
    assert item["RegistrationDate"] and item["LastPingDateTime"]


def test_older_agent_is_not_latest(ssm, activation, register):
    register(activation, **dict(HEARTBEAT, AgentVersion="3.2.582.0"))
    assert ssm.describe_instance_information()["InstanceInformationList"][0]["IsLatestVersion"] is False


def test_unsigned_calls_route_by_target_and_region_header(emulator, raw, role):
    west = emulator.client("ssm", region="us-west-2")
    act = west.create_activation(IamRole=role)
    # Without the region header the call lands in the default region, where the activation does not exist.
    status, body = raw.ssm("RegisterManagedInstance", {"ActivationId": act["ActivationId"],
                                                       "ActivationCode": act["ActivationCode"]})
    assert (status, body["__type"]) == (400, "InvalidActivation")
    status, body = raw.ssm("RegisterManagedInstance", {"ActivationId": act["ActivationId"],
                                                       "ActivationCode": act["ActivationCode"]}, region="us-west-2")
    assert status == 200
    assert [i["InstanceId"] for i in west.describe_instance_information()["InstanceInformationList"]] == \
        [body["InstanceId"]]
    assert emulator.client("ssm").describe_instance_information()["InstanceInformationList"] == []


def test_unsigned_call_may_carry_a_fake_sigv4_scope_for_region(emulator, raw, role):
    west = emulator.client("ssm", region="eu-west-1")
    act = west.create_activation(IamRole=role)
    auth = "AWS4-HMAC-SHA256 Credential=agent/20250101/eu-west-1/ssm/aws4_request, SignedHeaders=host, Signature=0"
    status, body = raw.ssm("RegisterManagedInstance", {"ActivationId": act["ActivationId"],
                                                       "ActivationCode": act["ActivationCode"]},
                           headers={"Authorization": auth})
    assert status == 200, body


def test_malformed_raw_body(raw):
    status, body = raw.call("AmazonSSM.UpdateInstanceInformation", None, headers={})
    assert status == 400


def test_heartbeat_for_unknown_instance_fails(raw):
    status, body = raw.ssm("UpdateInstanceInformation", dict(InstanceId="mi-0123456789abcdef0", **HEARTBEAT))
    assert (status, body["__type"]) == (400, "InvalidInstanceId")


def test_ping_status_turns_connection_lost(ssm, activation, register, set_config):
    register(activation, **HEARTBEAT)
    assert ssm.describe_instance_information()["InstanceInformationList"][0]["PingStatus"] == "Online"
    # Shrinking the timeout at run time applies at once; only the lower bound depends on the clock.
    set_config(heartbeat_timeout=0.2)
    time.sleep(0.3)
    info = ssm.describe_instance_information()["InstanceInformationList"][0]
    assert info["PingStatus"] == "ConnectionLost"
    lost = ssm.describe_instance_information(Filters=[{"Key": "PingStatus", "Values": ["ConnectionLost"]}])
    assert len(lost["InstanceInformationList"]) == 1
    set_config(heartbeat_timeout=300)
    assert ssm.describe_instance_information()["InstanceInformationList"][0]["PingStatus"] == "Online"


def test_deregister_removes_instance_and_later_heartbeats_fail(ssm, activation, register, raw):
    keep, gone = register(activation, **HEARTBEAT), register(activation, **HEARTBEAT)
    ssm.deregister_managed_instance(InstanceId=gone)
    assert [i["InstanceId"] for i in ssm.describe_instance_information()["InstanceInformationList"]] == [keep]
    status, body = raw.ssm("UpdateInstanceInformation", dict(InstanceId=gone, **HEARTBEAT))
    assert (status, body["__type"]) == (400, "InvalidInstanceId")
    with pytest.raises(ssm.exceptions.InvalidInstanceId):
        ssm.deregister_managed_instance(InstanceId=gone)


def test_filters_both_forms(ssm, role, register):
    act_a = ssm.create_activation(IamRole=role, RegistrationLimit=5, Tags=[{"Key": "site", "Value": "a"}])
    act_b = ssm.create_activation(IamRole=role, RegistrationLimit=5,
                                  Tags=[{"Key": "site", "Value": "b"}, {"Key": "tier", "Value": "x"}])
    a_ids = [register(act_a, **HEARTBEAT) for _ in range(2)]
    b_ids = [register(act_b, **HEARTBEAT) for _ in range(3)]

    def ids(**kw):
        return sorted(i["InstanceId"] for i in ssm.describe_instance_information(**kw)["InstanceInformationList"])

    assert ids(Filters=[{"Key": "tag:site", "Values": ["a"]}]) == sorted(a_ids)
    assert ids(Filters=[{"Key": "tag-key", "Values": ["tier"]}]) == sorted(b_ids)
    assert ids(Filters=[{"Key": "InstanceIds", "Values": a_ids[:1]}]) == a_ids[:1]
    assert ids(Filters=[{"Key": "ActivationIds", "Values": [act_b["ActivationId"]]}]) == sorted(b_ids)
    assert ids(Filters=[{"Key": "tag:site", "Values": ["b"]}, {"Key": "tag:tier", "Values": ["x"]}]) == sorted(b_ids)
    assert ids(Filters=[{"Key": "ResourceType", "Values": ["ManagedInstance"]},
                        {"Key": "ActivationIds", "Values": [act_b["ActivationId"]]}]) == sorted(b_ids)
    assert ids(Filters=[{"Key": "ResourceType", "Values": ["EC2Instance"]}]) == []
    assert ids(InstanceInformationFilterList=[{"key": "InstanceIds", "valueSet": b_ids[:2]}]) == sorted(b_ids[:2])
    assert ids(InstanceInformationFilterList=[{"key": "PingStatus", "valueSet": ["Online"]}]) == sorted(a_ids + b_ids)
    assert ids(InstanceInformationFilterList=[{"key": "PlatformTypes", "valueSet": ["Windows"]}]) == []


def test_filter_errors(ssm):
    with pytest.raises(ssm.exceptions.InvalidFilterKey):
        ssm.describe_instance_information(Filters=[{"Key": "Colour", "Values": ["red"]}])
    with pytest.raises(ssm.exceptions.InvalidInstanceInformationFilterValue):
        ssm.describe_instance_information(InstanceInformationFilterList=[{"key": "Colour", "valueSet": ["x"]}])
    with pytest.raises(ssm.exceptions.InvalidInstanceId):
        ssm.describe_instance_information(Filters=[{"Key": "InstanceIds", "Values": ["bogus"]}])
    with pytest.raises(ssm.exceptions.ClientError) as exc:
        ssm.describe_instance_information(Filters=[{"Key": "PingStatus", "Values": ["Online"]}],
                                          InstanceInformationFilterList=[{"key": "PingStatus",
                                                                          "valueSet": ["Online"]}])
    assert exc.value.response["Error"]["Code"] == "ValidationException"


@pytest.mark.parametrize("filters, code, message", [
    # "Tag filters can't be combined with other filter types." (API reference), in AWS's own words:
    ([{"Key": "tag:site", "Values": ["a"]}, {"Key": "PingStatus", "Values": ["Online"]}],
     "ValidationException", "Cannot mix tag or inventory filter with any other filter."),
    ([{"Key": "tag-key", "Values": ["site"]}, {"Key": "InstanceIds", "Values": ["mi-0123456789abcdef0"]}],
     "ValidationException", "Cannot mix tag or inventory filter with any other filter."),
    ([{"Key": "ResourceType", "Values": ["ManagedInstance", "EC2Instance"]}],
     "InvalidInstanceInformationFilterValue", "ResourceType filter may contain only one value."),
])
def test_filter_combinations_aws_refuses(ssm, filters, code, message):
    with pytest.raises(ssm.exceptions.ClientError) as exc:
        ssm.describe_instance_information(Filters=filters)
    assert (exc.value.response["Error"]["Code"], exc.value.response["Error"]["Message"]) == (code, message)


@pytest.mark.parametrize("max_results", [4, 51])
def test_max_results_range(raw, max_results):
    # botocore enforces the minimum client-side; the raw call shows the service enforcing both ends.
    status, body = raw.ssm("DescribeInstanceInformation", {"MaxResults": max_results})
    assert (status, body["__type"]) == (400, "ValidationException")


def test_pagination_over_seeded_fleet(emulator, ssm):
    seeded = emulator.seed("big", 123)
    first = ssm.describe_instance_information(MaxResults=50)
    assert len(first["InstanceInformationList"]) == 50 and first["NextToken"]
    pages = list(ssm.get_paginator("describe_instance_information").paginate(PaginationConfig={"PageSize": 50}))
    assert [len(p["InstanceInformationList"]) for p in pages] == [50, 50, 23]
    ids = [i["InstanceId"] for p in pages for i in p["InstanceInformationList"]]
    assert ids == seeded["managed_instance_ids"]
    with pytest.raises(ssm.exceptions.InvalidNextToken):
        ssm.describe_instance_information(NextToken="nope")


def test_managed_instance_tags(ssm, activation, register):
    mi = register(activation, **HEARTBEAT)
    assert ssm.list_tags_for_resource(ResourceType="ManagedInstance", ResourceId=mi)["TagList"] == [
        {"Key": "site", "Value": "lab"}]
    ssm.add_tags_to_resource(ResourceType="ManagedInstance", ResourceId=mi,
                             Tags=[{"Key": "role", "Value": "edge"}, {"Key": "site", "Value": "hq"}])
    assert sorted((t["Key"], t["Value"]) for t in ssm.list_tags_for_resource(
        ResourceType="ManagedInstance", ResourceId=mi)["TagList"]) == [("role", "edge"), ("site", "hq")]
    found = ssm.describe_instance_information(Filters=[{"Key": "tag:role", "Values": ["edge"]}])
    assert [i["InstanceId"] for i in found["InstanceInformationList"]] == [mi]
    ssm.remove_tags_from_resource(ResourceType="ManagedInstance", ResourceId=mi, TagKeys=["site"])
    assert ssm.list_tags_for_resource(ResourceType="ManagedInstance", ResourceId=mi)["TagList"] == [
        {"Key": "role", "Value": "edge"}]
    with pytest.raises(ssm.exceptions.InvalidResourceId):
        ssm.list_tags_for_resource(ResourceType="ManagedInstance", ResourceId="mi-00000000000000000")


def test_other_ssm_operations_still_reach_moto(ssm):
    ssm.put_parameter(Name="/hf/x", Value="1", Type="String")
    assert ssm.get_parameter(Name="/hf/x")["Parameter"]["Value"] == "1"
    ssm.add_tags_to_resource(ResourceType="Parameter", ResourceId="/hf/x", Tags=[{"Key": "k", "Value": "v"}])
    assert ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId="/hf/x")["TagList"] == [
        {"Key": "k", "Value": "v"}]


def test_role_token_for_registered_instance_only(activation, register, raw, ssm):
    mi = register(activation, **HEARTBEAT)
    status, body = raw.ssm("RequestManagedInstanceRoleToken", {"Fingerprint": "fp", "InstanceId": mi})
    assert status == 200 and body["AccessKeyId"] and body["SessionToken"] and body["TokenExpirationDate"]
    ssm.deregister_managed_instance(InstanceId=mi)
    status, body = raw.ssm("RequestManagedInstanceRoleToken", {"Fingerprint": "fp", "InstanceId": mi})
    assert (status, body["__type"]) == (400, "InvalidInstanceId")
