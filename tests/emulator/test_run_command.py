"""SSM Run Command against the emulator with boto3, a fake agent answering through ec2messages: every status path,
output limits, rate control, MaxErrors, cancel, targets, pagination and filters, parameter checks."""
import datetime
import time

import botocore.exceptions
import pytest

from .fake_agent import FakeAgent, Result

DOC = "AWS-RunShellScript"


@pytest.fixture
def quick_polls(set_config):
    """Long polls of 1 s, so the fake agents stop quickly."""
    set_config(message_long_poll=1)


@pytest.fixture
def fleet(emulator, quick_polls):
    def make(count, cluster="rc"):
        return emulator.seed(cluster, count)["managed_instance_ids"]
    return make


def send(ssm, ids=None, commands=("echo hi",), **extra):
    params = dict(extra.pop("Parameters", {}), commands=list(commands))
    if ids is not None:
        extra["InstanceIds"] = ids
    return ssm.send_command(DocumentName=DOC, Parameters=params, **extra)["Command"]


def command(ssm, command_id):
    return ssm.list_commands(CommandId=command_id)["Commands"][0]


def wait_done(ssm, command_id, timeout=30):
    deadline = time.monotonic() + timeout
    while True:
        found = command(ssm, command_id)
        if found["Status"] not in ("Pending", "InProgress", "Cancelling") or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def invocations(ssm, command_id, **extra):
    pages = ssm.get_paginator("list_command_invocations").paginate(CommandId=command_id, **extra)
    return {i["InstanceId"]: i for page in pages for i in page["CommandInvocations"]}


def refused(call, code):
    with pytest.raises(botocore.exceptions.ClientError) as info:
        call()
    assert info.value.response["Error"]["Code"] == code, info.value.response
    return info.value.response["Error"]["Message"]


def test_success_reports_output_code_and_times_per_instance(ssm, fleet, emulator):
    ids = fleet(2)
    with FakeAgent(emulator.url, ids, lambda i, c: Result(stdout="hello from %s\n" % i, stderr="warn\n")) as agent:
        sent = send(ssm, ids, ["echo hello"], Comment="smoke", TimeoutSeconds=60)
        assert (sent["Status"], sent["TargetCount"], sent["InstanceIds"]) == ("InProgress", 2, ids)
        assert sent["ExpiresAfter"].timestamp() - sent["RequestedDateTime"].timestamp() == pytest.approx(60 + 3600, abs=1)
        done = wait_done(ssm, sent["CommandId"])
    assert (done["Status"], done["StatusDetails"]) == ("Success", "Success")
    assert (done["TargetCount"], done["CompletedCount"], done["ErrorCount"], done["DeliveryTimedOutCount"]) == (2, 2, 0, 0)
    assert sorted(i for i, _ in agent.seen) == sorted(ids)
    payload = agent.seen[0][1]
    assert payload["Parameters"] == {"commands": ["echo hello"], "workingDirectory": "", "executionTimeout": "3600"}
    assert payload["DocumentName"] == DOC and payload["DocumentContent"]["schemaVersion"] == "1.2"
    result = ssm.get_command_invocation(CommandId=sent["CommandId"], InstanceId=ids[1])
    assert (result["Status"], result["StatusDetails"], result["ResponseCode"]) == ("Success", "Success", 0)
    assert (result["StandardOutputContent"], result["StandardErrorContent"]) == ("hello from %s\n" % ids[1], "warn\n")
    assert (result["PluginName"], result["Comment"], result["ExecutionElapsedTime"]) == ("aws:runShellScript", "smoke", "PT2.250S")
    listed = invocations(ssm, sent["CommandId"], Details=True)
    assert listed[ids[0]]["InstanceName"] == "seed-rc-0001"
    plugin = listed[ids[0]]["CommandPlugins"][0]
    assert (plugin["Name"], plugin["Status"], plugin["ResponseCode"], plugin["Output"]) == \
        ("aws:runShellScript", "Success", 0, "hello from %s\nwarn\n" % ids[0])
    assert invocations(ssm, sent["CommandId"])[ids[0]]["CommandPlugins"] == []


def test_a_failing_script_fails_the_command_when_max_errors_is_zero(ssm, fleet, emulator):
    ids = fleet(3)
    behave = lambda i, c: Result(status="Failed", code=3, stderr="no such package\n") if i == ids[1] else Result()  # noqa: E731
    with FakeAgent(emulator.url, ids, behave):
        sent = send(ssm, ids)
        done = wait_done(ssm, sent["CommandId"])
    assert (done["Status"], done["StatusDetails"], done["ErrorCount"]) == ("Failed", "Failed", 1)
    found = invocations(ssm, sent["CommandId"])
    assert {i: v["StatusDetails"] for i, v in found.items()} == {ids[0]: "Success", ids[1]: "Failed", ids[2]: "Success"}
    failed = ssm.get_command_invocation(CommandId=sent["CommandId"], InstanceId=ids[1])
    assert (failed["ResponseCode"], failed["StandardErrorContent"]) == (3, "no such package\n")


def test_failures_within_max_errors_leave_the_command_incomplete(ssm, fleet, emulator):
    ids = fleet(4)
    with FakeAgent(emulator.url, ids, lambda i, c: Result(status="Failed", code=1) if i == ids[0] else Result()):
        done = wait_done(ssm, send(ssm, ids, MaxErrors="25%")["CommandId"])
    assert (done["Status"], done["StatusDetails"], done["ErrorCount"], done["CompletedCount"]) == ("Success", "Incomplete", 1, 4)


def test_execution_timeout_counts_as_an_error(ssm, fleet, emulator):
    ids = fleet(1)
    with FakeAgent(emulator.url, ids, lambda i, c: Result(status="TimedOut", code=137)):
        sent = send(ssm, ids, Parameters={"executionTimeout": ["5"]})
        done = wait_done(ssm, sent["CommandId"])
    assert (done["Status"], done["StatusDetails"], done["ErrorCount"]) == ("TimedOut", "ExecutionTimedOut", 1)
    result = ssm.get_command_invocation(CommandId=sent["CommandId"], InstanceId=ids[0])
    assert (result["Status"], result["StatusDetails"], result["ResponseCode"]) == ("TimedOut", "ExecutionTimedOut", 137)


def test_output_is_cut_as_the_api_cuts_it(ssm, fleet, emulator):
    ids = fleet(1)
    big = Result(stdout="o" * 30000, stderr="e" * 9000, output="x" * 3000, trace="t" * 3000)
    with FakeAgent(emulator.url, ids, lambda i, c: big):
        sent = send(ssm, ids)
        wait_done(ssm, sent["CommandId"])
    result = ssm.get_command_invocation(CommandId=sent["CommandId"], InstanceId=ids[0])
    assert (len(result["StandardOutputContent"]), len(result["StandardErrorContent"])) == (24000, 8000)
    listed = invocations(ssm, sent["CommandId"], Details=True)[ids[0]]
    assert (len(listed["CommandPlugins"][0]["Output"]), len(listed["TraceOutput"])) == (2500, 2500)


def test_no_more_than_max_concurrency_run_at_once(ssm, fleet, emulator):
    ids = fleet(5)
    peak, running = [0], set()

    def behave(instance_id, commands):
        running.add(instance_id)
        peak[0] = max(peak[0], len(running))
        time.sleep(0.6)
        running.discard(instance_id)
        return Result()
    with FakeAgent(emulator.url, ids, behave):
        sent = send(ssm, ids, MaxConcurrency="40%")  # 2 of 5
        states = [i["StatusDetails"] for i in invocations(ssm, sent["CommandId"]).values()]
        assert sorted(states) == ["InProgress"] * 2 + ["Pending"] * 3
        done = wait_done(ssm, sent["CommandId"])
    assert done["Status"] == "Success" and peak[0] == 2


def test_max_errors_stops_dispatching_and_terminates_the_rest(ssm, fleet, emulator):
    ids = fleet(5)
    with FakeAgent(emulator.url, ids, lambda i, c: Result(status="Failed", code=2)) as agent:
        sent = send(ssm, ids, MaxConcurrency="1", MaxErrors="1")
        done = wait_done(ssm, sent["CommandId"])
    assert (done["Status"], done["StatusDetails"], done["ErrorCount"], done["CompletedCount"]) == ("Failed", "Failed", 2, 5)
    assert len(agent.seen) == 2  # the third was never sent
    found = invocations(ssm, sent["CommandId"])
    assert [found[i]["StatusDetails"] for i in ids] == ["Failed", "Failed", "Terminated", "Terminated", "Terminated"]
    assert found[ids[4]]["Status"] == "Cancelled"


def test_an_instance_whose_agent_is_stopped_ends_delivery_timed_out(ssm, fleet, emulator):
    """TimeoutSeconds 30 + executionTimeout 1: the message is withdrawn at 30 s, the invocation times out at 31 s."""
    ids = fleet(2)
    with FakeAgent(emulator.url, ids[:1]):
        sent = send(ssm, ids, TimeoutSeconds=30, Parameters={"executionTimeout": ["1"]})
        assert wait_done(ssm, sent["CommandId"], timeout=5)["Status"] == "InProgress"
        assert invocations(ssm, sent["CommandId"])[ids[1]]["StatusDetails"] == "InProgress"
        done = wait_done(ssm, sent["CommandId"], timeout=40)
    assert time.time() - sent["RequestedDateTime"].timestamp() >= 31
    assert (done["Status"], done["StatusDetails"], done["DeliveryTimedOutCount"], done["ErrorCount"]) == \
        ("TimedOut", "DeliveryTimedOut", 1, 0)
    late = ssm.get_command_invocation(CommandId=sent["CommandId"], InstanceId=ids[1])
    assert (late["Status"], late["StatusDetails"], late["ResponseCode"]) == ("TimedOut", "DeliveryTimedOut", -1)
    # The agent coming back later finds nothing to run.
    with FakeAgent(emulator.url, ids[1:]) as agent:
        time.sleep(1.5)
    assert agent.seen == []


def test_deregistered_and_unknown_targets_are_undeliverable(ssm, fleet, emulator):
    ids = fleet(2)
    unknown = "mi-0123456789abcdef0"
    sent = send(ssm, Targets=[{"Key": "InstanceIds", "Values": ids + [unknown]}])
    assert sent["TargetCount"] == 0  # resolved after the call returns
    ssm.deregister_managed_instance(InstanceId=ids[0])
    with FakeAgent(emulator.url, ids[1:]):
        done = wait_done(ssm, sent["CommandId"])
    found = invocations(ssm, sent["CommandId"])
    assert {i: (v["Status"], v["StatusDetails"]) for i, v in found.items()} == {
        ids[0]: ("Failed", "Undeliverable"), ids[1]: ("Success", "Success"), unknown: ("Failed", "Undeliverable")}
    assert (done["Status"], done["StatusDetails"], done["TargetCount"], done["ErrorCount"]) == ("Success", "Success", 3, 0)
    only_gone = send(ssm, Targets=[{"Key": "InstanceIds", "Values": [unknown]}])
    assert (command(ssm, only_gone["CommandId"])["Status"], command(ssm, only_gone["CommandId"])["StatusDetails"]) == \
        ("Failed", "Failed")


def test_unknown_instance_ids_are_refused_and_nothing_is_sent(ssm, fleet):
    ids = fleet(1)
    message = refused(lambda: send(ssm, ids + ["mi-0123456789abcdef0"]), "InvalidInstanceId")
    assert message == "Instances [[mi-0123456789abcdef0]] not in a valid state for account 123456789012"
    assert ssm.list_commands()["Commands"] == []


def test_a_windows_instance_is_invalid_platform(ssm, emulator, activation, register, quick_polls):
    linux = register(activation, PlatformType="Linux", ComputerName="l1")
    windows = register(activation, PlatformType="Windows", ComputerName="w1")
    with FakeAgent(emulator.url, [linux]):
        sent = send(ssm, [linux, windows])
        done = wait_done(ssm, sent["CommandId"])
    found = invocations(ssm, sent["CommandId"])
    assert (found[windows]["Status"], found[windows]["StatusDetails"]) == ("Failed", "InvalidPlatform")
    assert (done["Status"], done["StatusDetails"], done["ErrorCount"]) == ("Success", "Success", 0)


def test_cancel_stops_what_is_pending_and_asks_the_agent_to_stop_the_rest(ssm, fleet, emulator):
    ids = fleet(3)
    with FakeAgent(emulator.url, ids, lambda i, c: Result(delay=30), cancel_delay=1) as agent:
        sent = send(ssm, ids, MaxConcurrency="1")
        deadline = time.monotonic() + 10
        while not agent.seen and time.monotonic() < deadline:
            time.sleep(0.1)
        running = agent.seen[0][0]
        time.sleep(0.3)  # the agent has answered InProgress and acknowledged
        ssm.cancel_command(CommandId=sent["CommandId"])
        found = invocations(ssm, sent["CommandId"])
        assert found[running]["StatusDetails"] == "Cancelling"
        assert sorted(v["StatusDetails"] for i, v in found.items() if i != running) == ["Cancelled", "Cancelled"]
        assert command(ssm, sent["CommandId"])["Status"] == "Cancelling"
        done = wait_done(ssm, sent["CommandId"])
    assert agent.cancels == [(running, "aws.ssm.%s.%s" % (sent["CommandId"], running))]
    assert (done["Status"], done["StatusDetails"]) == ("Cancelled", "Cancelled")
    assert {v["StatusDetails"] for v in invocations(ssm, sent["CommandId"]).values()} == {"Cancelled"}
    refused(lambda: ssm.cancel_command(CommandId="00000000-0000-0000-0000-000000000000"), "InvalidCommandId")


def test_tag_targets_are_anded_and_an_empty_match_is_no_instances_in_tag(ssm, fleet, emulator):
    ids = fleet(3)
    ssm.add_tags_to_resource(ResourceType="ManagedInstance", ResourceId=ids[0], Tags=[{"Key": "role", "Value": "web"}])
    ssm.add_tags_to_resource(ResourceType="ManagedInstance", ResourceId=ids[1], Tags=[{"Key": "role", "Value": "db"}])
    both = send(ssm, Targets=[{"Key": "tag:seeded-cluster", "Values": ["rc"]}, {"Key": "tag:role", "Values": ["web", "db"]}])
    keyed = send(ssm, Targets=[{"Key": "tag-key", "Values": ["role"]}])
    none = send(ssm, Targets=[{"Key": "tag:role", "Values": ["cache"]}])
    assert sorted(invocations(ssm, both["CommandId"])) == sorted(ids[:2])
    assert sorted(invocations(ssm, keyed["CommandId"])) == sorted(ids[:2])
    empty = command(ssm, none["CommandId"])
    assert (empty["Status"], empty["StatusDetails"], empty["TargetCount"]) == ("Failed", "NoInstancesInTag", 0)


def test_pages_and_filters(ssm, fleet, emulator):
    ids = fleet(120)
    sent = send(ssm, Targets=[{"Key": "tag:seeded-cluster", "Values": ["rc"]}], MaxConcurrency="100%")
    first = ssm.list_command_invocations(CommandId=sent["CommandId"], MaxResults=50)
    assert len(first["CommandInvocations"]) == 50 and first["NextToken"]
    assert sorted(invocations(ssm, sent["CommandId"], PaginationConfig={"PageSize": 50})) == sorted(ids)
    emulator.reset_stats()
    invocations(ssm, sent["CommandId"], PaginationConfig={"PageSize": 50})
    assert emulator.calls("ssm:ListCommandInvocations") == 3
    with FakeAgent(emulator.url, ids[:3], lambda i, c: Result(status="Failed", code=1)):
        deadline = time.monotonic() + 20
        while len(ssm.list_command_invocations(CommandId=sent["CommandId"], Filters=[
                {"key": "Status", "value": "Failed"}])["CommandInvocations"]) < 3 and time.monotonic() < deadline:
            time.sleep(0.2)
    failed = ssm.list_command_invocations(CommandId=sent["CommandId"], Filters=[{"key": "Status", "value": "Failed"}])
    assert sorted(i["InstanceId"] for i in failed["CommandInvocations"]) == sorted(ids[:3])
    time.sleep(1.1)
    later = send(ssm, ids[:1])
    since = (later["RequestedDateTime"] - datetime.timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    after = ssm.list_commands(Filters=[{"key": "InvokedAfter", "value": since}])
    assert [c["CommandId"] for c in after["Commands"]] == [later["CommandId"]]
    assert [c["CommandId"] for c in ssm.list_commands()["Commands"]] == [later["CommandId"], sent["CommandId"]]
    assert [c["CommandId"] for c in ssm.list_commands(InstanceId=ids[5])["Commands"]] == [sent["CommandId"]]
    refused(lambda: ssm.list_command_invocations(Filters=[{"key": "ExecutionStage", "value": "Executing"}]), "InvalidFilterKey")
    refused(lambda: ssm.list_command_invocations(CommandId=sent["CommandId"], NextToken="bogus"), "InvalidNextToken")
    assert ssm.list_command_invocations(CommandId="00000000-0000-0000-0000-000000000000")["CommandInvocations"] == []
    refused(lambda: ssm.list_commands(CommandId="00000000-0000-0000-0000-000000000000"), "InvalidCommandId")
    refused(lambda: ssm.get_command_invocation(CommandId=sent["CommandId"], InstanceId="mi-0123456789abcdef0"),
            "InvocationDoesNotExist")


@pytest.mark.parametrize("parameters, extra, code", [
    ({}, {}, "InvalidParameters"),
    ({"commands": []}, {}, "InvalidParameters"),
    ({"commands": ["true"], "shell": ["bash"]}, {}, "InvalidParameters"),
    ({"commands": ["true"], "executionTimeout": ["0"]}, {}, "InvalidParameters"),
    ({"commands": ["true"], "executionTimeout": ["172801"]}, {}, "InvalidParameters"),
    ({"commands": ["true"], "workingDirectory": ["/a", "/b"]}, {}, "InvalidParameters"),
    ({"commands": ["true"]}, {"DocumentName": "AWS-RunPowerShellScript"}, "InvalidDocument"),
    ({"commands": ["true"]}, {"DocumentVersion": "7"}, "InvalidDocumentVersion"),
], ids=["no-commands", "empty-commands", "unknown-parameter", "timeout-0", "timeout-over-48h", "two-directories",
        "other-document", "other-version"])
def test_parameters_are_checked_against_the_document(ssm, fleet, parameters, extra, code):
    ids = fleet(1)
    call = dict({"DocumentName": DOC, "InstanceIds": ids, "Parameters": parameters}, **extra)
    refused(lambda: ssm.send_command(**call), code)
    assert ssm.list_commands()["Commands"] == []


def test_instance_ids_or_targets_but_not_both(ssm, fleet):
    ids = fleet(1)
    refused(lambda: send(ssm, ids, Targets=[{"Key": "InstanceIds", "Values": ids}]), "ValidationException")
    refused(lambda: send(ssm), "ValidationException")
    refused(lambda: send(ssm, Targets=[{"Key": "resource-groups:Name", "Values": ["g"]}]), "InvalidTarget")


def test_the_modules_execution_timeout_maximum_is_the_documents():
    """ssm_command checks execution_timeout against AWS-RunShellScript's own maximum, which the emulator serves."""
    from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._ssm_commands import EXECUTION_TIMEOUT_MAX
    from tests.sandbox.emulator.ssm_commands import DOCUMENT_CONTENT
    assert "Maximum is %d" % EXECUTION_TIMEOUT_MAX in DOCUMENT_CONTENT["parameters"]["executionTimeout"]["description"]
