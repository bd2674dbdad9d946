"""IAM enforcement for Run Command: ssm:SendCommand on the document and on each managed instance it names (a refused call
sends nothing), tag targets checked per instance (the ones refused end AccessDenied), the reading calls on "*"."""
import pytest

from .conftest import REGION
from .test_iam_enforcement import ACCOUNT, Keys, _implicit, _refused, _statement
from .test_run_command import command, invocations, send

DOCUMENT_ARN = "arn:aws:ssm:%s::document/AWS-RunShellScript" % REGION
READ = ["ssm:ListCommands", "ssm:ListCommandInvocations", "ssm:GetCommandInvocation", "ssm:CancelCommand"]


def _instance(instance_id):
    return "arn:aws:ssm:%s:%s:managed-instance/%s" % (REGION, ACCOUNT, instance_id)


@pytest.fixture
def two(emulator, set_config, ssm):
    """Two managed instances, the first tagged role=web; IAM enforced."""
    ids = emulator.seed("iam", 2)["managed_instance_ids"]
    ssm.add_tags_to_resource(ResourceType="ManagedInstance", ResourceId=ids[0], Tags=[{"Key": "role", "Value": "web"}])
    set_config(enforce_iam=True)
    return ids


def test_send_command_needs_the_document_and_every_instance(emulator, iam, two):
    keys = Keys(emulator, iam, "runner", [_statement("Allow", "ssm:SendCommand", [DOCUMENT_ARN, _instance(two[0])]),
                                          _statement("Allow", READ)])
    ssm = keys.client("ssm")
    sent = send(ssm, [two[0]])
    assert invocations(ssm, sent["CommandId"])[two[0]]["StatusDetails"] == "InProgress"
    _refused(lambda: send(ssm, two), "AccessDeniedException", _implicit(keys.arn, "ssm:SendCommand", _instance(two[1])))
    _refused(lambda: send(ssm, Targets=[{"Key": "InstanceIds", "Values": [two[1]]}]), "AccessDeniedException",
             _implicit(keys.arn, "ssm:SendCommand", _instance(two[1])))
    no_document = Keys(emulator, iam, "nodoc", [_statement("Allow", "ssm:SendCommand", _instance(two[0]))])
    _refused(lambda: send(no_document.client("ssm"), [two[0]]), "AccessDeniedException",
             _implicit(no_document.arn, "ssm:SendCommand", DOCUMENT_ARN))
    assert [c["CommandId"] for c in ssm.list_commands()["Commands"]] == [sent["CommandId"]]  # nothing else was sent


def test_tag_targets_the_caller_may_not_reach_end_access_denied(emulator, iam, two):
    keys = Keys(emulator, iam, "web-runner", [
        _statement("Allow", "ssm:SendCommand", DOCUMENT_ARN),
        _statement("Allow", "ssm:SendCommand", "arn:aws:ssm:*:*:managed-instance/*",
                   {"StringEquals": {"ssm:resourceTag/role": "web"}}),
        _statement("Allow", READ)])
    ssm = keys.client("ssm")
    sent = send(ssm, Targets=[{"Key": "tag:seeded-cluster", "Values": ["iam"]}])
    found = invocations(ssm, sent["CommandId"])
    assert (found[two[0]]["StatusDetails"], found[two[1]]["Status"], found[two[1]]["StatusDetails"]) == \
        ("InProgress", "Failed", "AccessDenied")
    _refused(lambda: send(ssm, [two[1]]), "AccessDeniedException", _implicit(keys.arn, "ssm:SendCommand", _instance(two[1])))
    ssm.cancel_command(CommandId=sent["CommandId"])
    done = command(ssm, sent["CommandId"])
    assert (done["Status"], done["ErrorCount"]) == ("Cancelled", 0)


def test_reading_and_cancelling_are_on_every_resource(emulator, iam, two):
    keys = Keys(emulator, iam, "sender-only", [_statement("Allow", "ssm:SendCommand")])
    ssm = keys.client("ssm")
    sent = send(ssm, [two[0]])
    for action, call in (("ssm:ListCommands", lambda: ssm.list_commands()),
                         ("ssm:ListCommandInvocations", lambda: ssm.list_command_invocations(CommandId=sent["CommandId"])),
                         ("ssm:GetCommandInvocation", lambda: ssm.get_command_invocation(CommandId=sent["CommandId"],
                                                                                         InstanceId=two[0])),
                         ("ssm:CancelCommand", lambda: ssm.cancel_command(CommandId=sent["CommandId"]))):
        _refused(call, "AccessDeniedException", _implicit(keys.arn, action, "*"))
    assert command(emulator.client("ssm"), sent["CommandId"])["Status"] == "InProgress"  # not cancelled
