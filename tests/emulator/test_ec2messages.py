"""The agent side of Run Command: ec2messages as the SSM agent calls it (GetMessages long poll and visibility,
AcknowledgeMessage, SendReply, FailMessage), the message shape it parses, and what an agent that takes a command and
dies leaves behind."""
import hashlib
import json
import threading
import time
import uuid

import pytest

from .fake_agent import FakeAgent, Result, mds, reply_payload
from .test_run_command import invocations, send, wait_done


@pytest.fixture
def one(emulator, set_config):
    set_config(message_long_poll=2)
    return emulator.seed("agents", 1)["managed_instance_ids"][0]


def get(emulator, destination, visibility=10, **extra):
    status, body = mds(emulator.url, "GetMessages", dict({"Destination": destination, "MessagesRequestId": str(uuid.uuid4()),
                                                          "VisibilityTimeoutInSeconds": visibility}, **extra))
    assert status == 200, body
    return body["Messages"]


def test_the_message_is_what_the_agent_parses(emulator, ssm, one):
    sent = send(ssm, [one], ["echo a", "echo b"], Parameters={"workingDirectory": ["/srv"], "executionTimeout": ["90"]},
                OutputS3BucketName="ignored-bucket")
    request_id = str(uuid.uuid4())
    status, body = mds(emulator.url, "GetMessages", {"Destination": one, "MessagesRequestId": request_id})
    assert (status, body["Destination"], body["MessagesRequestId"]) == (200, one, request_id)
    (message,) = body["Messages"]
    assert message["MessageId"] == "aws.ssm.%s.%s" % (sent["CommandId"], one)
    assert message["Topic"] == "aws.ssm.sendCommand.us.east.1.1" and message["Destination"] == one
    assert len(message["CreatedDate"]) >= 24 and message["CreatedDate"].endswith("Z")
    assert message["PayloadDigest"] == hashlib.sha256(message["Payload"].encode()).hexdigest()
    payload = json.loads(message["Payload"])
    assert payload["CommandId"] == sent["CommandId"] and payload["DocumentName"] == "AWS-RunShellScript"
    assert payload["Parameters"] == {"commands": ["echo a", "echo b"], "workingDirectory": "/srv", "executionTimeout": "90"}
    assert payload["OutputS3BucketName"] == "ignored-bucket"
    step = payload["DocumentContent"]["runtimeConfig"]["aws:runShellScript"]["properties"][0]
    assert step == {"id": "0.aws:runShellScript", "runCommand": "{{ commands }}",
                    "workingDirectory": "{{ workingDirectory }}", "timeoutSeconds": "{{ executionTimeout }}"}


def test_a_long_poll_waits_and_wakes_when_a_command_arrives(emulator, ssm, one):
    started = time.monotonic()
    assert get(emulator, one) == []
    assert 1.8 <= time.monotonic() - started < 4  # message_long_poll is 2 s here
    threading.Timer(0.5, lambda: send(ssm, [one])).start()
    started = time.monotonic()
    assert len(get(emulator, one)) == 1
    assert time.monotonic() - started < 1.8


def test_an_unacknowledged_message_comes_back_after_its_visibility_timeout(emulator, ssm, one):
    send(ssm, [one])
    started = time.monotonic()
    (first,) = get(emulator, one, visibility=3)
    assert get(emulator, one) == []  # a 2 s long poll inside the 3 s of invisibility
    (again,) = get(emulator, one)
    assert again["MessageId"] == first["MessageId"] and 3 <= time.monotonic() - started < 5
    assert mds(emulator.url, "AcknowledgeMessage", {"MessageId": first["MessageId"]}) == (200, {})
    time.sleep(10.2)  # past the 10 s visibility of the second delivery: an acknowledged message never returns
    assert get(emulator, one) == []


def test_replies_drive_the_invocation_and_late_ones_change_nothing(emulator, ssm, one):
    sent = send(ssm, [one])
    (message,) = get(emulator, one)
    reply = {"MessageId": message["MessageId"], "ReplyId": str(uuid.uuid4())}
    status, answer = mds(emulator.url, "SendReply", dict(reply, Payload=reply_payload("InProgress")))
    assert (status, answer["ReplyStatus"]) == (200, "Acknowledged")
    assert invocations(ssm, sent["CommandId"])[one]["StatusDetails"] == "InProgress"
    done = Result(stdout="ok\n")
    assert mds(emulator.url, "SendReply", dict(reply, Payload=reply_payload("Success", done)))[1]["ReplyStatus"] == "Acknowledged"
    late = Result(status="Failed", code=9)
    assert mds(emulator.url, "SendReply", dict(reply, Payload=reply_payload("Failed", late)))[1]["ReplyStatus"] == "NoActionTaken"
    assert ssm.get_command_invocation(CommandId=sent["CommandId"], InstanceId=one)["StandardOutputContent"] == "ok\n"
    assert wait_done(ssm, sent["CommandId"])["Status"] == "Success"


def test_fail_message_fails_the_invocation_without_running(emulator, ssm, one):
    sent = send(ssm, [one])
    (message,) = get(emulator, one)
    status, body = mds(emulator.url, "FailMessage", {"MessageId": message["MessageId"], "FailureType": "Bogus"})
    assert (status, body["__type"]) == (400, "ValidationException")
    assert mds(emulator.url, "FailMessage", {"MessageId": message["MessageId"],
                                             "FailureType": "InternalHandlerException"}) == (200, {})
    found = invocations(ssm, sent["CommandId"])[one]
    assert (found["StatusDetails"], found["TraceOutput"]) == ("Failed", "The agent failed the message: InternalHandlerException")
    assert get(emulator, one) == []


def test_unknown_destinations_and_messages_are_refused(emulator, ssm, one):
    status, body = mds(emulator.url, "GetMessages", {"Destination": "mi-0123456789abcdef0", "MessagesRequestId": "r" * 36})
    assert (status, body["__type"]) == (400, "InvalidDestinationException")
    bogus = "aws.ssm.%s.%s" % (uuid.uuid4(), one)
    for operation, extra in (("AcknowledgeMessage", {}), ("SendReply", {"Payload": "{}", "ReplyId": "r" * 36}),
                             ("FailMessage", {"FailureType": "NoHandlerExists"})):
        status, body = mds(emulator.url, operation, dict({"MessageId": bogus}, **extra))
        assert (status, body["__type"]) == (400, "InvalidMessageIdException"), operation
    send(ssm, [one])
    (message,) = get(emulator, one)
    status, body = mds(emulator.url, "SendReply", {"MessageId": message["MessageId"], "ReplyId": "r" * 36, "Payload": "not json"})
    assert (status, body["__type"]) == (400, "ValidationException")
    status, body = mds(emulator.url, "GetEndpoint", {"Destination": one})
    assert (status, body["__type"]) == (400, "UnsupportedMessageOperationException")


def test_an_agent_that_takes_a_command_and_dies_leaves_it_to_time_out(emulator, ssm, set_config):
    """One agent acknowledges and never answers (it died mid-script), the other is never there: both end
    DeliveryTimedOut at TimeoutSeconds + executionTimeout, as "no document terminal response" is reported."""
    set_config(message_long_poll=1)
    ids = emulator.seed("dies", 2)["managed_instance_ids"]
    with FakeAgent(emulator.url, ids[:1], lambda i, c: None) as agent:
        sent = send(ssm, ids, TimeoutSeconds=30, Parameters={"executionTimeout": ["1"]})
        done = wait_done(ssm, sent["CommandId"], timeout=40)
    assert len(agent.seen) == 1
    found = invocations(ssm, sent["CommandId"])
    assert {i: v["StatusDetails"] for i, v in found.items()} == {ids[0]: "DeliveryTimedOut", ids[1]: "DeliveryTimedOut"}
    assert (done["Status"], done["DeliveryTimedOutCount"]) == ("TimedOut", 2)
