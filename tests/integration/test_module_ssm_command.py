"""ssm_command through ansible-playbook against the emulator, a fake agent answering through ec2messages: success,
a failing script, an instance whose agent is stopped, the execution timeout, throttling, an unknown id, check mode,
wait: false then command_id, a hidden script, tag targets."""
import json
import time

import pytest

from tests.emulator.fake_agent import FakeAgent, Result

MODULE = "hybridfleet.ecs_anywhere.ssm_command"


@pytest.fixture
def fleet(emulator):
    """Seeded managed instances (online) whose agents' long polls end after a second."""
    emulator._call("POST", "/_emulator/config", {"message_long_poll": 1})

    def make(count, cluster="cmd"):
        return emulator.seed(cluster, count)["managed_instance_ids"]
    return make


def commands_sent(emulator):
    return emulator.client("ssm").list_commands()["Commands"]


def test_success_returns_each_instances_output_keyed_by_id(play, emulator, fleet):
    ids = fleet(2)
    with FakeAgent(emulator.url, ids, lambda i, c: Result(stdout="ran %s on %s\n" % (c[0], i), stderr="note\n")) as agent:
        (result,) = play({MODULE: {"instance_ids": ids, "commands": ["uptime"], "poll_interval": 1, "comment": "smoke"},
                          "async": 120, "poll": 1},
                         module_defaults={"group/hybridfleet.ecs_anywhere.aws": {"region": "us-east-1"}})
    assert result["changed"] is True and (result["status"], result["status_details"]) == ("Success", "Success")
    assert sorted(result["instances"]) == sorted(ids) and result["outcomes"] == {"success": ids}
    one = result["instances"][ids[1]]
    assert (one["stdout"], one["stderr"], one["response_code"], one["outcome"], one["instance_name"]) == \
        ("ran uptime on %s\n" % ids[1], "note\n", 0, "success", "seed-cmd-0002")
    assert (one["stdout_truncated"], one["stderr_truncated"]) == (False, False)
    assert result["counts"] == {"targets": 2, "completed": 2, "errors": 0, "delivery_timed_out": 0}
    assert result["waited"]["rounds"] >= 1 and result["waited"]["progress"][-1]["completed"] == 2
    assert [c for _, c in agent.seen] and commands_sent(emulator)[0]["Comment"] == "smoke"


def test_a_failing_script_fails_the_task_naming_the_instance(play, emulator, fleet):
    ids = fleet(3)
    behave = lambda i, c: Result(status="Failed", code=3, stderr="E: Unable to locate package x\n") if i == ids[2] else Result()  # noqa: E731
    with FakeAgent(emulator.url, ids, behave):
        failed, tolerated = play(
            {MODULE: {"instance_ids": ids, "commands": ["apt-get install -y x"], "poll_interval": 1}, "expect_failure": True},
            {MODULE: {"instance_ids": ids, "commands": ["apt-get install -y x"], "poll_interval": 1, "max_errors": "1"}})
    assert "did not succeed on 1 of 3 instance(s) (max_errors 0): %s: exit code 3" % ids[2] in failed["msg"]
    assert "read stdout and stderr per instance in `instances`" in failed["msg"]
    assert failed["instances"][ids[2]]["stderr"] == "E: Unable to locate package x\n"
    assert failed["outcomes"] == {"success": ids[:2], "failed": [ids[2]]} and failed["status"] == "Failed"
    assert tolerated["status_details"] == "Incomplete" and not tolerated.get("failed")
    assert any("within max_errors 1" in w and ids[2] in w for w in tolerated["warnings"])


def test_an_instance_whose_agent_is_stopped_is_not_reached(play, emulator, fleet, iam_role):
    """Its agent never polls: SSM reports DeliveryTimedOut after delivery_timeout (30) + execution_timeout (1). An instance
    SSM already sees offline is skipped at once with skip_offline."""
    ids = fleet(1)
    ssm = emulator.client("ssm")
    activation = ssm.create_activation(IamRole=iam_role, RegistrationLimit=1)
    from tests.emulator.conftest import Raw
    _, body = Raw(emulator.url).ssm("RegisterManagedInstance", {
        "ActivationId": activation["ActivationId"], "ActivationCode": activation["ActivationCode"], "PublicKey": "k",
        "PublicKeyType": "Rsa", "Fingerprint": "f"})
    stopped = body["InstanceId"]
    emulator._call("POST", "/_emulator/config", {"heartbeat_timeout": 1})
    time.sleep(1.5)
    with FakeAgent(emulator.url, ids):
        started = time.monotonic()
        waited, skipped = play(
            {MODULE: {"instance_ids": ids + [stopped], "commands": ["true"], "delivery_timeout": 30, "execution_timeout": 1,
                      "poll_interval": 2}, "expect_failure": True},
            {MODULE: {"instance_ids": ids + [stopped], "commands": ["true"], "skip_offline": True}, "expect_failure": True})
    assert time.monotonic() - started >= 31
    expected = {"outcome": "not_reached", "status": "TimedOut", "status_details": "DeliveryTimedOut", "reached": False, "response_code": -1}
    assert {k: waited["instances"][stopped][k] for k in expected} == expected
    assert "%s: not reached: its agent did not pick the command up within delivery_timeout + execution_timeout (31 s; " \
           "DeliveryTimedOut)" % stopped in waited["msg"]
    assert "check that amazon-ssm-agent runs there and reaches ec2messages" in waited["msg"]
    assert waited["outcomes"] == {"success": ids, "not_reached": [stopped]}
    assert skipped["instances"][stopped]["status_details"] == "Offline" and skipped["outcomes"]["success"] == ids
    assert "not sent, its agent is offline (PingStatus ConnectionLost; skip_offline)" in skipped["msg"]


def test_the_execution_timeout_kills_the_script(play, emulator, fleet):
    ids = fleet(1)
    with FakeAgent(emulator.url, ids, lambda i, c: Result(status="TimedOut", code=137, stdout="started\n")):
        (result,) = play({MODULE: {"instance_ids": ids, "commands": ["sleep 600"], "execution_timeout": 5, "poll_interval": 1},
                          "expect_failure": True})
    assert result["instances"][ids[0]]["outcome"] == "timed_out" and result["instances"][ids[0]]["stdout"] == "started\n"
    assert "%s: killed after execution_timeout (5 s, exit code 137)" % ids[0] in result["msg"]
    assert (result["status"], result["status_details"]) == ("TimedOut", "ExecutionTimedOut")


def test_throttling_is_retried(play, emulator, fleet):
    ids = fleet(3)
    emulator.faults(throttle_rate=0.3, latency_ms=50, seed=8, user_agent="Botocore")
    with FakeAgent(emulator.url, ids, lambda i, c: Result(stdout="ok\n")):
        (result,) = play({MODULE: {"instance_ids": ids, "commands": ["true"], "poll_interval": 1}})
    throttled = emulator._call("GET", "/_emulator/faults")["throttled"]
    emulator.faults()
    assert throttled > 0 and result["outcomes"] == {"success": ids}
    assert {r["stdout"] for r in result["instances"].values()} == {"ok\n"}
    assert len(commands_sent(emulator)) == 1  # no retried SendCommand sent a second command


def test_an_unknown_instance_id_fails_before_anything_is_sent(play, emulator, fleet):
    ids = fleet(1)
    (result,) = play({MODULE: {"instance_ids": ids + ["mi-0123456789abcdef0"], "commands": ["true"]}, "expect_failure": True})
    assert "SSM knows no managed instance mi-0123456789abcdef0 in us-east-1" in result["msg"] and "Nothing was sent" in result["msg"]
    assert commands_sent(emulator) == []


def test_check_mode_sends_nothing(play, emulator, fleet):
    ids = fleet(2)
    (result,) = play({MODULE: {"targets": {"seeded-cluster": "cmd"}, "commands": ["systemctl restart ecs"]}}, check=True)
    assert result["changed"] is True and commands_sent(emulator) == []
    (request,) = result["would_send"]["commands"]
    assert request["Targets"] == [{"Key": "tag:seeded-cluster", "Values": ["cmd"]}]
    assert request["Parameters"]["commands"] == ["systemctl restart ecs"] and result["would_send"]["matching"] == sorted(ids)


def test_wait_false_returns_the_command_id_to_follow_later(play, emulator, fleet):
    ids = fleet(2)
    (sent,) = play({MODULE: {"targets": {"seeded-cluster": "cmd"}, "commands": ["true"], "wait": False}})
    assert sent["changed"] and len(sent["command_id"]) == 36 and "instances" not in sent
    with FakeAgent(emulator.url, ids):
        (followed,) = play({MODULE: {"command_id": sent["command_id"], "poll_interval": 1}})
    assert followed["changed"] is False and followed["outcomes"] == {"success": sorted(ids, key=ids.index)}


def test_a_hidden_script_never_shows_its_secret(play, emulator, fleet, tmp_path):
    """The secret is in the script and the script echoes it (set -x, and once on its own); with hide_commands and secrets
    the task's output (json callback), Ansible's log and the result never show it. Without, the same searches find it:
    the check can fail."""
    ids = fleet(1)
    secret = "s3cr3t-%d" % time.time_ns()
    script = ["export TOKEN=%s" % secret, "set -x", "echo done"]
    task = {"instance_ids": ids, "commands": script, "poll_interval": 1}
    runs = {}
    echoed = "+ export TOKEN=%s\ntoken: %s\n" % (secret, secret)
    with FakeAgent(emulator.url, ids, lambda i, c: Result(stdout="done\n", stderr=echoed)):
        for hide in (True, False):
            log = tmp_path / ("hidden.log" if hide else "shown.log")
            hiding = {"hide_commands": True, "secrets": [secret]} if hide else {}
            (result,) = play({MODULE: dict(task, **hiding)}, env={"ANSIBLE_LOG_PATH": str(log)})
            runs[hide] = (result, play.last_stdout, log.read_text())
    result, stdout, logged = runs[True]
    assert secret not in stdout and secret not in logged and secret not in json.dumps(result)
    assert result["script"]["lines"] == 3 and result["instances"][ids[0]]["stderr"] == "+ ********\ntoken: ********\n"
    result, stdout, logged = runs[False]
    assert secret in stdout and secret in logged and secret in json.dumps(result)


def test_tag_targets_are_one_command(play, emulator, fleet):
    ids = fleet(3, cluster="tagged")
    with FakeAgent(emulator.url, ids, lambda i, c: Result(stdout=i)):
        (result,) = play({MODULE: {"targets": {"seeded-cluster": ["tagged"]}, "commands": ["hostname"], "poll_interval": 1,
                                   "output": "summary"}})
    (command,) = commands_sent(emulator)
    assert command["Targets"] == [{"Key": "tag:seeded-cluster", "Values": ["tagged"]}] and command["InstanceIds"] == []
    assert {i: r["output"] for i, r in result["instances"].items()} == {i: i for i in ids}


def test_the_docs_render_with_options_returns_iam_and_action_group(ansible_doc):
    doc = ansible_doc("ssm_command")["ssm_command"]
    options = doc["doc"]["options"]
    assert {"instance_ids", "targets", "commands", "hide_commands", "secrets", "max_concurrency", "max_errors", "wait_timeout",
            "command_id", "skip_offline", "output"} <= set(options)
    assert "ssm:SendCommand" in " ".join(doc["doc"]["notes"]) and "async" in " ".join(doc["doc"]["description"])
    assert {"instances", "outcomes", "command_id", "status", "waited", "would_send"} <= set(doc["return"])
    assert doc["doc"]["attributes"]["action_group"]["membership"] == ["hybridfleet.ecs_anywhere.aws"]
