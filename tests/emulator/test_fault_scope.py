"""Fault scoping by User-Agent and the count of throttled calls (used by the reliability suite to prove that
its throttling really happened, and to spare the stand-in agents, which lack the AWS SDK's retries)."""
import json
import urllib.error
import urllib.request

import boto3

from .conftest import NO_RETRY, REGION


def _status(url, user_agent):
    req = urllib.request.Request(url + "/", data=b"{}", method="POST", headers={
        "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "AmazonSSM.DescribeActivations",
        "User-Agent": user_agent})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status
    except urllib.error.HTTPError as err:
        return err.code


def test_user_agent_scopes_the_faults_and_throttled_counts_refusals(emulator):
    emulator.faults(throttle_rate=1.0, user_agent="Botocore")
    emulator.reset_stats()
    # A stand-in agent (urllib's User-Agent) is not faulted; boto3 (Botocore in its User-Agent) is.
    assert [_status(emulator.url, "Python-urllib/3.11") for _ in range(3)] == [200] * 3
    client = boto3.client("ssm", region_name=REGION, endpoint_url=emulator.url, config=NO_RETRY,
                          aws_access_key_id="testing", aws_secret_access_key="testing")
    refused = 0
    for _ in range(2):
        try:
            client.describe_activations()
        except client.exceptions.ClientError as err:
            assert err.response["Error"]["Code"] == "ThrottlingException"
            refused += 1
    assert refused == 2
    shown = emulator._call("GET", "/_emulator/faults")
    # Every boto3 attempt was refused (botocore may retry once even so); none of the three raw calls was.
    attempts = emulator.calls("ssm:DescribeActivations") - 3
    assert attempts >= 2 and (shown["user_agent"], shown["throttled"]) == ("Botocore", attempts)
    # Cleared faults: the default answer keeps its known shape.
    emulator.faults()
    assert emulator._call("GET", "/_emulator/faults") == {"throttle_rate": 0.0, "latency_ms": 0.0, "seed": None}


def test_user_agent_must_be_a_string(emulator):
    try:
        emulator.faults(user_agent=3)
    except urllib.error.HTTPError as err:
        assert err.code == 400 and "user_agent" in json.loads(err.read())["error"]
    else:
        raise AssertionError("a non-string user_agent was accepted")
