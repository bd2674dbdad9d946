"""The lose_response fault: a named operation is performed and its answer never reaches the client (connection
dropped, or held past the client's read timeout), so botocore retries a write that already happened."""
import json
import time
import urllib.error
import urllib.request

import boto3
import botocore.exceptions
import pytest
from botocore.config import Config

from .conftest import REGION


def _ssm(emulator, **config):
    config.setdefault("retries", {"total_max_attempts": 3, "mode": "standard"})
    return boto3.client("ssm", region_name=REGION, endpoint_url=emulator.url, config=Config(**config),
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def _live(emulator):
    return [a for a in emulator.activations()["activations"] if not a["Deleted"]]


@pytest.mark.parametrize("delay, config", [
    (0, {}),                                           # the connection is dropped without an answer
    (2.5, {"read_timeout": 1, "connect_timeout": 1}),  # the answer comes after botocore stopped waiting
], ids=["dropped", "held-past-read-timeout"])
def test_a_retried_create_activation_leaves_two_live_activations(emulator, role, delay, config):
    emulator.faults(lose_response={"operation": "ssm:CreateActivation", "times": 1, "delay": delay})
    ssm = _ssm(emulator, **config)
    started = time.monotonic()
    answer = ssm.create_activation(IamRole=role, RegistrationLimit=2, Description="one call")
    elapsed = time.monotonic() - started
    live = _live(emulator)
    assert len(live) == 2, live  # one call from the caller's point of view, two activations in the account
    assert answer["ActivationId"] == live[1]["ActivationId"]  # the caller only knows the second one
    listed = ssm.describe_activations()["ActivationList"]
    assert sorted(a["ActivationId"] for a in listed) == sorted(a["ActivationId"] for a in live)
    assert emulator.calls("ssm:CreateActivation") == 2
    assert emulator._call("GET", "/_emulator/faults")["lose_response"] == {
        "operation": "ssm:CreateActivation", "times": 1, "delay": float(delay), "lost": 1}
    if delay:
        assert elapsed >= 1  # botocore waited for its read timeout before retrying
    # The fault is spent: the next call is answered normally.
    ssm.create_activation(IamRole=role)
    assert len(_live(emulator)) == 3


def test_every_attempt_lost_fails_the_client_after_the_writes_happened(emulator, role):
    emulator.faults(lose_response={"operation": "ssm:CreateActivation", "times": 2})
    ssm = _ssm(emulator, retries={"total_max_attempts": 2, "mode": "standard"})
    with pytest.raises(botocore.exceptions.ConnectionClosedError):
        ssm.create_activation(IamRole=role)
    assert len(_live(emulator)) == 2


def test_other_operations_and_unscoped_clients_are_answered(emulator, role):
    emulator.faults(lose_response={"operation": "ssm:CreateActivation", "times": 5}, user_agent="Botocore")
    ssm = _ssm(emulator, retries={"total_max_attempts": 1, "mode": "standard"})
    assert ssm.describe_activations()["ActivationList"] == []
    # A client whose User-Agent the fault does not cover (a stand-in agent's urllib) gets its answer.
    req = urllib.request.Request(emulator.url + "/", method="POST", data=json.dumps({"IamRole": role}).encode(),
                                 headers={"Content-Type": "application/x-amz-json-1.1",
                                          "X-Amz-Target": "AmazonSSM.CreateActivation"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        assert "ActivationCode" in json.loads(resp.read())
    assert emulator._call("GET", "/_emulator/faults")["lose_response"]["lost"] == 0


@pytest.mark.parametrize("setting", [
    {"operation": "CreateActivation"}, {"operation": "ssm:CreateActivation", "times": 0},
    {"operation": "ssm:CreateActivation", "delay": -1}, {"operation": "ssm:CreateActivation", "colour": 1}, "x",
])
def test_bad_settings_are_refused(emulator, setting):
    with pytest.raises(urllib.error.HTTPError) as exc:
        emulator.faults(lose_response=setting)
    assert exc.value.code == 400 and "lose_response" in json.loads(exc.value.read())["error"]
