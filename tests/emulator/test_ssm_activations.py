"""SSM hybrid activations: create, describe, delete, and the agent-side registration rules."""
import datetime
import time

import pytest
from botocore.exceptions import ClientError, ParamValidationError


def test_create_activation_returns_id_and_code_and_describe_shows_it(ssm, activation, role):
    assert len(activation["ActivationCode"]) == 20
    listed = ssm.describe_activations()["ActivationList"]
    assert len(listed) == 1
    act = listed[0]
    assert act["ActivationId"] == activation["ActivationId"]
    assert act["IamRole"] == role
    assert act["RegistrationLimit"] == 3
    assert act["RegistrationsCount"] == 0
    assert act["Expired"] is False
    assert act["DefaultInstanceName"] == "edge"
    assert act["Tags"] == [{"Key": "site", "Value": "lab"}]
    assert "ActivationCode" not in act  # the code is only ever returned once
    lifetime = act["ExpirationDate"] - act["CreatedDate"]
    assert datetime.timedelta(hours=23, minutes=59) < lifetime <= datetime.timedelta(hours=24, seconds=5)


def test_create_activation_requires_existing_role(ssm):
    with pytest.raises(ClientError) as exc:
        ssm.create_activation(IamRole="nosuchrole")
    assert exc.value.response["Error"]["Code"] == "ValidationException"
    assert "Not existing role" in exc.value.response["Error"]["Message"]


def test_create_activation_without_role_is_rejected_client_side(ssm):
    with pytest.raises(ParamValidationError):
        ssm.create_activation()


@pytest.mark.parametrize("limit", [0, 1001])
def test_registration_limit_out_of_range(ssm, role, raw, limit):
    # botocore checks the minimum itself, so send the bad value raw to see the service answer.
    status, body = raw.ssm("CreateActivation", {"IamRole": role, "RegistrationLimit": limit})
    assert status == 400
    assert body["__type"] == "ValidationException"


def test_expiration_date_rules(ssm, role):
    now = datetime.datetime.now(datetime.timezone.utc)
    for bad in (now - datetime.timedelta(minutes=1), now + datetime.timedelta(days=31)):
        with pytest.raises(ClientError) as exc:
            ssm.create_activation(IamRole=role, ExpirationDate=bad)
        assert exc.value.response["Error"]["Code"] == "ValidationException"
    ok = ssm.create_activation(IamRole=role, ExpirationDate=now + datetime.timedelta(days=29))
    assert ok["ActivationId"]


def test_describe_activations_filters_and_pagination(ssm, role):
    ids = [ssm.create_activation(IamRole=role, DefaultInstanceName="n%d" % i)["ActivationId"] for i in range(5)]
    by_id = ssm.describe_activations(Filters=[{"FilterKey": "ActivationIds", "FilterValues": ids[1:3]}])
    assert [a["ActivationId"] for a in by_id["ActivationList"]] == ids[1:3]
    by_name = ssm.describe_activations(Filters=[{"FilterKey": "DefaultInstanceName", "FilterValues": ["n4"]}])
    assert [a["ActivationId"] for a in by_name["ActivationList"]] == [ids[4]]
    by_role = ssm.describe_activations(Filters=[{"FilterKey": "IamRole", "FilterValues": [role]}])
    assert len(by_role["ActivationList"]) == 5
    first = ssm.describe_activations(MaxResults=2)
    assert len(first["ActivationList"]) == 2 and first["NextToken"]
    seen = [a["ActivationId"] for a in first["ActivationList"]]
    token = first["NextToken"]
    while token:
        page = ssm.describe_activations(MaxResults=2, NextToken=token)
        seen += [a["ActivationId"] for a in page["ActivationList"]]
        token = page.get("NextToken")
    assert seen == ids
    paginated = [a["ActivationId"] for p in ssm.get_paginator("describe_activations").paginate(
        PaginationConfig={"PageSize": 2}) for a in p["ActivationList"]]
    assert paginated == ids


def test_describe_activations_bad_token(ssm, role):
    with pytest.raises(ssm.exceptions.InvalidNextToken):
        ssm.describe_activations(NextToken="garbage")


def test_delete_activation(ssm, activation):
    ssm.delete_activation(ActivationId=activation["ActivationId"])
    assert ssm.describe_activations()["ActivationList"] == []
    with pytest.raises(ssm.exceptions.InvalidActivation):
        ssm.delete_activation(ActivationId=activation["ActivationId"])
    with pytest.raises(ssm.exceptions.InvalidActivationId):
        ssm.delete_activation(ActivationId="not-a-uuid")


def test_register_counts_against_limit(ssm, activation, register, raw):
    for _ in range(3):
        assert register(activation).startswith("mi-")
    act = ssm.describe_activations()["ActivationList"][0]
    assert act["RegistrationsCount"] == 3
    status, body = raw.ssm("RegisterManagedInstance", {
        "ActivationId": activation["ActivationId"], "ActivationCode": activation["ActivationCode"]})
    assert status == 400
    assert body["__type"] == "InvalidActivation"
    assert "limit" in body["message"]


def test_register_wrong_code_unknown_id_and_expired(ssm, role, activation, raw):
    status, body = raw.ssm("RegisterManagedInstance", {
        "ActivationId": activation["ActivationId"], "ActivationCode": "wrong"})
    assert (status, body["__type"]) == (400, "InvalidActivation")
    status, body = raw.ssm("RegisterManagedInstance", {
        "ActivationId": "11111111-2222-3333-4444-555555555555", "ActivationCode": "x"})
    assert (status, body["__type"]) == (400, "InvalidActivation")
    status, body = raw.ssm("RegisterManagedInstance", {"ActivationId": "junk", "ActivationCode": "x"})
    assert (status, body["__type"]) == (400, "InvalidActivationId")
    expires = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=2)
    expiring = ssm.create_activation(IamRole=role, ExpirationDate=expires)
    time.sleep(max(0.0, (expires - datetime.datetime.now(datetime.timezone.utc)).total_seconds()) + 0.1)
    status, body = raw.ssm("RegisterManagedInstance", {
        "ActivationId": expiring["ActivationId"], "ActivationCode": expiring["ActivationCode"]})
    assert (status, body["__type"]) == (400, "ActivationExpired")
    listed = ssm.describe_activations(Filters=[{"FilterKey": "ActivationIds",
                                                "FilterValues": [expiring["ActivationId"]]}])
    assert listed["ActivationList"][0]["Expired"] is True


def test_admin_lists_activations_with_codes_including_deleted(emulator, ssm, activation):
    ssm.delete_activation(ActivationId=activation["ActivationId"])
    listed = emulator.activations()["activations"]
    assert [(a["ActivationId"], a["ActivationCode"], a["Deleted"]) for a in listed] == [
        (activation["ActivationId"], activation["ActivationCode"], True)]
