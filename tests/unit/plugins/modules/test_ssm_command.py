"""ssm_command's manager against a fake SSM client and a fake clock: calls per poll round for 200 instances (never one per
instance per round), chunks of 50, the verdict and its messages, timeouts, check mode, hidden scripts, inputs."""
import pytest

from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._errors import FleetError
from ansible_collections.hybridfleet.ecs_anywhere.plugins.modules import ssm_command
from ansible_collections.hybridfleet.ecs_anywhere.plugins.modules.ssm_command import CommandManager
from tests.unit.plugins.fake_aws import FakeModule
from tests.unit.plugins.fake_run_command import FakeRunCommand, instance_id
from tests.unit.plugins.fake_aws import FakeClock

DEFAULTS = dict(instance_ids=None, targets=None, commands=["echo hi"], hide_commands=False, secrets=None, working_directory="",
                execution_timeout=3600, delivery_timeout=600, max_concurrency="50", max_errors="0", comment=None,
                skip_offline=False, wait=True, wait_timeout=None, poll_interval=5, cancel_on_timeout=False, command_id=None,
                output="full")


def manager(ssm, check_mode=False, **params):
    module = FakeModule(dict(DEFAULTS, **params), check_mode=check_mode, ssm=ssm)
    mgr = CommandManager(module)
    mgr.clock = FakeClock()
    return mgr


def failure(mgr):
    with pytest.raises(FleetError) as info:
        mgr.run()
    return info.value


def ids(n):
    return [instance_id(i) for i in range(n)]


@pytest.mark.parametrize("output, reads", [("full", 200), ("failed", 0), ("summary", 0)])
def test_200_instances_by_id_cost_4_calls_per_round_and_one_output_read_each(output, reads):
    ssm = FakeRunCommand(200, rounds=3)
    mgr = manager(ssm, instance_ids=ids(200), output=output)
    result = mgr.run()
    rounds = result["waited"]["rounds"]
    assert rounds == 3 and mgr.clock.sleeps == [5, 5]
    assert ssm.calls["send_command"] == 4 and [len(r["InstanceIds"]) for r in ssm.sent] == [50] * 4
    assert ssm.calls["list_commands"] == 4 * rounds            # one per command per round, never one per instance
    assert ssm.calls["list_command_invocations"] == 4          # once, 50 per page
    assert ssm.calls["get_command_invocation"] == reads        # at most once per instance, after its end
    assert ssm.calls["describe_instance_information"] == 4     # the ids checked first: 100 per filter, 50 per page
    assert len(result["command_ids"]) == 4 and set(result["outcomes"]) == {"success"} and len(result["instances"]) == 200
    one = result["instances"][instance_id(7)]
    assert (one["status"], one["outcome"], one["response_code"], one["reached"]) == ("Success", "success", 0, True)
    if output == "full":
        assert (one["stdout"], one["stdout_truncated"], one["stderr"]) == ("ok from %s\n" % instance_id(7), False, "")
    elif output == "summary":
        assert one["output"] == "ok from %s\n" % instance_id(7) and "stdout" not in one
    assert result["waited"]["progress"][-1] == {"seconds": 10.0, "targets": 200, "completed": 200, "errors": 0, "delivery_timed_out": 0}


def test_200_instances_by_tag_are_one_command():
    ssm = FakeRunCommand(200, rounds=2)
    result = manager(ssm, targets={"fleet": "edge"}, output="summary").run()
    assert ssm.calls["send_command"] == 1 and ssm.sent[0]["Targets"] == [{"Key": "tag:fleet", "Values": ["edge"]}]
    assert ssm.calls["list_commands"] == 2 and ssm.calls["list_command_invocations"] == 4
    assert len(result["instances"]) == 200 and result["status"] == "Success"


def test_the_request_carries_the_script_timeouts_and_rate_controls():
    ssm = FakeRunCommand(3)
    manager(ssm, instance_ids=ids(3), commands=["set -e", "apt-get install -y x"], working_directory="/srv", execution_timeout=900,
            delivery_timeout=60, max_concurrency="2", max_errors="1", comment="update").run()
    (request,) = ssm.sent
    assert request["Parameters"] == {"commands": ["set -e", "apt-get install -y x"], "executionTimeout": ["900"], "workingDirectory": ["/srv"]}
    assert (request["TimeoutSeconds"], request["MaxConcurrency"], request["MaxErrors"], request["Comment"]) == (60, "2", "1", "update")


def test_a_number_of_instances_at_once_is_shared_between_the_commands_a_percentage_is_not():
    ssm = FakeRunCommand(120)
    manager(ssm, instance_ids=ids(120), max_concurrency="12").run()
    assert [(len(r["InstanceIds"]), r["MaxConcurrency"]) for r in ssm.sent] == [(50, "5"), (50, "5"), (20, "2")]
    ssm = FakeRunCommand(120)
    manager(ssm, instance_ids=ids(120), max_concurrency="10%").run()
    assert {r["MaxConcurrency"] for r in ssm.sent} == {"10%"}


def test_a_failure_names_the_instances_and_why():
    ssm = FakeRunCommand(4, results={instance_id(1): ("Failed", 3, "", "E: no such package\n"),
                                     instance_id(2): ("DeliveryTimedOut", -1), instance_id(3): ("ExecutionTimedOut", 137)})
    error = failure(manager(ssm, instance_ids=ids(4), delivery_timeout=60, execution_timeout=300))
    assert "did not succeed on 3 of 4 instance(s) (max_errors 0)" in error.message
    assert f"{instance_id(1)}: exit code 3" in error.message
    assert f"{instance_id(2)}: not reached: its agent did not pick the command up within delivery_timeout + execution_timeout (360 s" in error.message
    assert f"{instance_id(3)}: killed after execution_timeout (300 s, exit code 137)" in error.message
    assert "read stdout and stderr per instance" in error.message and "amazon-ssm-agent runs there" in error.message
    extra = error.extra
    assert extra["outcomes"] == {"success": [instance_id(0)], "failed": [instance_id(1)], "not_reached": [instance_id(2)],
                                 "timed_out": [instance_id(3)]}
    assert extra["instances"][instance_id(1)]["stderr"] == "E: no such package\n"
    # Each instance that did not succeed carries the words the message gives it; a success carries none.
    assert extra["instances"][instance_id(1)]["reason"] == "exit code 3"
    assert extra["instances"][instance_id(3)]["reason"] == "killed after execution_timeout (300 s, exit code 137)"
    assert "reason" not in extra["instances"][instance_id(0)]
    assert extra["instances"][instance_id(2)] == {**extra["instances"][instance_id(2)], "reached": False, "response_code": -1}
    assert "stdout" not in extra["instances"][instance_id(2)] or extra["instances"][instance_id(2)]["stdout"] == ""
    assert ssm.calls["get_command_invocation"] == 3  # not for the instance the command never reached
    assert extra["changed"] is True and extra["timed_out"] is False


@pytest.mark.parametrize("max_errors, fails", [("1", False), ("0", True), ("25%", False), ("24%", True)])
def test_max_errors_counts_every_instance_that_did_not_succeed(max_errors, fails):
    """4 instances, one failed: "25%" allows 1 (4 * 25 / 100), "24%" allows 0 - as max_fail_percentage counts."""
    ssm = FakeRunCommand(4, results={instance_id(0): ("DeliveryTimedOut", -1)})
    mgr = manager(ssm, instance_ids=ids(4), max_errors=max_errors)
    if fails:
        assert "did not succeed on 1 of 4" in failure(mgr).message
    else:
        result = mgr.run()
        assert result["outcomes"]["not_reached"] == [instance_id(0)]
        assert mgr.module.warnings and "within max_errors %s" % max_errors in mgr.module.warnings[0]


def test_the_wait_times_out_and_can_cancel():
    ssm = FakeRunCommand(2, never_done=True)
    error = failure(manager(ssm, instance_ids=ids(2), wait_timeout=12, poll_interval=5))
    assert error.extra["timed_out"] is True and "Timed out after wait_timeout (12 s)" in error.message
    assert set(error.extra["outcomes"]) == {"in_progress"} and "raise wait_timeout, or follow the command later" in error.message
    assert ssm.calls["cancel_command"] == 0 and error.extra["waited"]["rounds"] == 4
    ssm = FakeRunCommand(2, never_done=True)
    error = failure(manager(ssm, instance_ids=ids(2), wait_timeout=5, cancel_on_timeout=True))
    assert ssm.calls["cancel_command"] == 1 and error.extra["cancelled"] == error.extra["command_ids"]
    assert set(error.extra["outcomes"]) == {"cancelled"}


def test_errors_across_several_commands_stop_the_others():
    """120 ids are three commands; the first is over after one poll with a failure: max_errors 0 is passed for the
    whole, so the two still running are cancelled (their instances end cancelled)."""
    ssm = FakeRunCommand(120, rounds=[1, 3, 3], results={instance_id(0): ("Failed", 1)})
    error = failure(manager(ssm, instance_ids=ids(120)))
    assert ssm.calls["cancel_command"] == 2 and error.extra["cancelled"] == error.extra["command_ids"][1:]
    assert error.extra["outcomes"]["failed"] == [instance_id(0)] and len(error.extra["outcomes"]["cancelled"]) == 70
    assert "cancelled (Cancelled)" in error.message


def test_unknown_ids_fail_before_anything_is_sent():
    ssm = FakeRunCommand(2)
    error = failure(manager(ssm, instance_ids=ids(2) + ["mi-0123456789abcdef0"]))
    assert "SSM knows no managed instance mi-0123456789abcdef0 in us-east-1" in error.message and "Nothing was sent" in error.message
    assert ssm.calls["send_command"] == 0


def test_tags_matching_nothing_fail_before_anything_is_sent():
    ssm = FakeRunCommand(2)
    error = failure(manager(ssm, targets={"fleet": ["core", "lab"]}))
    assert "No managed instance in us-east-1 has the tags fleet=core|lab" in error.message and ssm.calls["send_command"] == 0


def test_skip_offline_reports_them_at_once_and_sends_to_the_rest_by_id():
    ssm = FakeRunCommand(3, offline={1})
    mgr = manager(ssm, targets={"fleet": "edge"}, skip_offline=True, max_errors="1")
    result = mgr.run()
    assert ssm.sent[0]["InstanceIds"] == [instance_id(0), instance_id(2)] and ssm.sent[0]["Targets"] is None
    expected = {"command_id": None, "instance_name": "host-1", "status": "NotSent", "status_details": "Offline", "outcome": "not_reached",
                "response_code": -1, "reached": False, "ping_status": "ConnectionLost",
                "reason": "not reached: not sent, its agent is offline (PingStatus ConnectionLost; skip_offline)"}
    assert result["instances"][instance_id(1)] == expected
    assert "not sent, its agent is offline (PingStatus ConnectionLost; skip_offline)" in mgr.module.warnings[0]
    everyone_offline = FakeRunCommand(1, offline={0})
    error = failure(manager(everyone_offline, instance_ids=ids(1), skip_offline=True))
    assert "Every target is offline" in error.message and everyone_offline.calls["send_command"] == 0


def test_check_mode_sends_nothing_and_says_what_it_would_send():
    ssm = FakeRunCommand(3, offline={2})
    result = manager(ssm, check_mode=True, instance_ids=ids(3), commands=["uptime"]).run()
    assert ssm.calls["send_command"] == 0 and result["changed"] is True
    would = result["would_send"]
    assert would["commands"][0]["Parameters"]["commands"] == ["uptime"] and would["commands"][0]["InstanceIds"] == ids(3)
    assert would["matching"] == sorted(ids(3)) and would["offline"] == [instance_id(2)]


def test_a_hidden_script_is_named_by_its_fingerprint_only():
    ssm = FakeRunCommand(1)
    secret = ["export TOKEN=s3cr3t-value", "curl -sf -H \"Authorization: $TOKEN\" https://example.invalid/"]
    predicted = manager(ssm, check_mode=True, instance_ids=ids(1), commands=secret, hide_commands=True).run()
    result = manager(ssm, instance_ids=ids(1), commands=secret, hide_commands=True).run()
    for shown in (predicted, result):
        assert "s3cr3t" not in repr(shown)
        assert shown["script"]["lines"] == 2 and len(shown["script"]["sha256"]) == 64
    assert predicted["would_send"]["commands"][0]["Parameters"]["commands"] == ["(hidden: 2 line(s))"]


def test_following_a_command_uses_its_own_max_errors_and_timeouts():
    ssm = FakeRunCommand(2, results={instance_id(0): ("Failed", 2)})
    sent = manager(ssm, instance_ids=ids(2), max_errors="1", wait=False).run()
    assert sent["changed"] and sent["status"] == "InProgress" and "instances" not in sent
    followed = manager(ssm, command_id=sent["command_id"], commands=None).run()
    assert followed["changed"] is False and followed["outcomes"] == {"failed": [instance_id(0)], "success": [instance_id(1)]}
    error = failure(manager(FakeRunCommand(1), command_id="00000000-0000-0000-0000-000000000000", commands=None))
    assert "SSM knows no command 00000000-0000-0000-0000-000000000000 in us-east-1" in error.message


@pytest.mark.parametrize("params, words", [
    (dict(instance_ids=["mi-1"]), "must be managed instance ids"),
    (dict(instance_ids=ids(1), max_concurrency="0"), "max_concurrency must be a number of instances (1 or more"),
    (dict(instance_ids=ids(1), max_errors="101%"), "max_errors must be"),
    (dict(instance_ids=ids(1), max_errors="12345678"), "at most 7 digits"),
    (dict(instance_ids=ids(1), execution_timeout=0), "execution_timeout must be between 1 and 172800"),
    (dict(instance_ids=ids(1), delivery_timeout=29), "delivery_timeout must be between 30 and 2592000"),
    (dict(instance_ids=ids(1), working_directory="srv"), "working_directory must be an absolute path"),
    (dict(instance_ids=ids(1), comment="c" * 101), "comment may have 100 characters"),
    (dict(instance_ids=ids(1), commands=None), "commands is required"),
    (dict(command_id="x" * 36, instance_ids=ids(1)), "give it alone"),
    (dict(targets={"a": 1, "b": 1, "c": 1, "d": 1, "e": 1, "f": 1}), "1 to 5 tag keys"),
    (dict(targets={"a": [str(i) for i in range(51)]}), "1 to 50 values"),
    (dict(instance_ids=ids(1), poll_interval=0), "poll_interval must be at least 1"),
])
def test_bad_inputs_are_refused_before_any_call(params, words):
    ssm = FakeRunCommand(1)
    error = failure(manager(ssm, **params))
    assert words in error.message and ("Nothing was sent" in error.message or "Nothing was changed" in error.message)
    assert sum(ssm.calls.values()) == 0


def test_reveal_masks_the_script_only_when_hidden():
    class Inner:
        def __init__(self, values):
            self.no_log_values = set(values)

    class Module:
        def __init__(self, commands, hide, secrets=()):
            self.params = {"commands": commands, "hide_commands": hide, "secrets": list(secrets)}
            self._module = Inner(list(commands) + list(secrets))
    shown = Module(["set -e", "echo a-long-enough-line"], hide=False)
    ssm_command.reveal(shown)
    assert shown._module.no_log_values == set()
    hidden = Module(["set -e", "fi", "export TOKEN=s3cr3t-value"], hide=True)
    ssm_command.reveal(hidden)
    assert hidden._module.no_log_values == {"export TOKEN=s3cr3t-value"}
    secret_kept = Module(["short", "s3cr3t"], hide=False, secrets=["s3cr3t", "tok"])
    ssm_command.reveal(secret_kept)
    assert secret_kept._module.no_log_values == {"s3cr3t", "tok"}
