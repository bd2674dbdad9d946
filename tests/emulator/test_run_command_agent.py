"""The stand-in SSM agent's Run Command code (tests/sandbox/agents/ssm/runcommand.py) against the emulator, in this
process with its data store in a temporary directory: what it runs, how, and what it answers. The same code runs
inside the package on sandbox hosts (tests/integration/test_run_command_hosts.py)."""
import os
import sys
import threading
import time

import pytest

from .test_run_command import invocations, send, wait_done

AGENT_DIR = os.path.join(os.path.dirname(__file__), "..", "sandbox", "agents")
sys.path[:0] = [os.path.join(AGENT_DIR, "common"), os.path.join(AGENT_DIR, "ssm")]
import runcommand  # noqa: E402

from tests.sandbox.emulator.ssm_commands import DOCUMENT_CONTENT  # noqa: E402


@pytest.fixture
def agent(emulator, set_config, tmp_path, monkeypatch):
    """One seeded managed instance and the stand-in's poller for it; yields (instance id, log lines)."""
    set_config(message_long_poll=1)
    monkeypatch.setattr(runcommand, "DATA_STORE", str(tmp_path))
    instance_id = emulator.seed("agent", 1)["managed_instance_ids"][0]
    stop, lines = threading.Event(), []
    poller = runcommand.MessagePoller(emulator.url, "us-east-1", instance_id, lambda: "ASIAEXAMPLE",
                                      lambda level, line: lines.append((level, line)),
                                      {"name": "amazon-ssm-agent"}, stop.is_set)
    poller.start()
    yield instance_id, lines, poller
    stop.set()
    poller.join(timeout=10)


def run(ssm, instance_id, commands, **parameters):
    sent = send(ssm, [instance_id], commands, Parameters={k: [v] for k, v in parameters.items()})
    wait_done(ssm, sent["CommandId"], timeout=60)
    return sent["CommandId"], ssm.get_command_invocation(CommandId=sent["CommandId"], InstanceId=instance_id)


def test_runs_the_lines_as_one_sh_script_in_the_agent_directory(ssm, agent):
    instance_id, _, _ = agent
    command_id, result = run(ssm, instance_id, ["x=1", "echo \"x=$x id=$SSM_COMMAND_ID\"", "pwd",
                                                "readlink /proc/$$/exe", "echo oops >&2"])
    assert (result["StatusDetails"], result["ResponseCode"]) == ("Success", 0)
    lines = result["StandardOutputContent"].splitlines()
    assert lines[:2] == ["x=1 id=%s" % command_id, os.getcwd()]
    assert os.path.realpath(lines[2]) == os.path.realpath("/bin/sh")
    assert result["StandardErrorContent"] == "oops\n"
    plugin = invocations(ssm, command_id, Details=True)[instance_id]["CommandPlugins"][0]
    assert plugin["Output"].endswith("\n----------ERROR-------\noops\n")


def test_a_shebang_line_picks_the_interpreter_and_working_directory_is_honoured(ssm, agent, tmp_path):
    instance_id, _, _ = agent
    _, result = run(ssm, instance_id, ["#!/bin/bash", "echo ${BASH_VERSION:+bash}", "pwd"],
                    workingDirectory=str(tmp_path))
    assert result["StandardOutputContent"] == "bash\n%s\n" % tmp_path


def test_exit_codes_timeouts_and_output_limits(ssm, agent):
    instance_id, lines, _ = agent
    _, failed = run(ssm, instance_id, ["echo partial", "exit 3"])
    assert (failed["Status"], failed["ResponseCode"], failed["StandardOutputContent"]) == ("Failed", 3, "partial\n")
    started = time.monotonic()
    _, slow = run(ssm, instance_id, ["echo started", "sleep 60"], executionTimeout="5")
    assert 5 <= time.monotonic() - started < 20
    assert (slow["Status"], slow["StatusDetails"], slow["ResponseCode"]) == ("TimedOut", "ExecutionTimedOut", 137)
    assert slow["StandardOutputContent"] == "started\n"
    assert ("INFO", "The execution of command was timedout.") in lines
    _, big = run(ssm, instance_id, ["head -c 30000 /dev/zero | tr '\\0' o", "head -c 9000 /dev/zero | tr '\\0' e >&2"])
    stdout, stderr = big["StandardOutputContent"], big["StandardErrorContent"]
    assert len(stdout) == 24000 and stdout.endswith("o--output truncated--")
    assert len(stderr) == 8000 and set(stderr) == {"e"}  # the agent keeps 24,000; the API shows 8,000


def test_cancel_kills_the_script(ssm, agent, tmp_path):
    instance_id, _, _ = agent
    marker = tmp_path / "finished"
    sent = send(ssm, [instance_id], ["sleep 30", "touch %s" % marker])
    deadline = time.monotonic() + 15
    while invocations(ssm, sent["CommandId"])[instance_id]["StatusDetails"] != "InProgress" and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(3)  # the script runs
    ssm.cancel_command(CommandId=sent["CommandId"])
    done = wait_done(ssm, sent["CommandId"], timeout=20)
    assert (done["Status"], done["StatusDetails"]) == ("Cancelled", "Cancelled")
    result = ssm.get_command_invocation(CommandId=sent["CommandId"], InstanceId=instance_id)
    assert (result["StatusDetails"], result["ResponseCode"]) == ("Cancelled", 137)
    time.sleep(1)
    assert not marker.exists()


def test_a_document_the_agent_did_not_finish_runs_again_when_it_starts(ssm, agent, emulator, tmp_path):
    """processor.go processInProgressDocuments: a document an agent accepted and did not finish (it was restarted
    mid-script, e.g. by the script) runs again when the agent starts, at most CommandRetryLimit times."""
    instance_id, _, poller = agent
    sent = send(ssm, [instance_id], ["echo first >> %s/runs" % tmp_path])
    wait_done(ssm, sent["CommandId"])
    for name, commands, runs in (("aws.ssm.%s.%s" % (sent["CommandId"], instance_id), ["echo again | tee -a %s/runs" % tmp_path], 1),
                                 ("aws.ssm.worn-out.%s" % instance_id, ["echo never >> %s/runs" % tmp_path], 15)):
        payload = {"Parameters": {"commands": commands}, "CommandId": sent["CommandId"], "DocumentContent": DOCUMENT_CONTENT}
        poller.keep_state(name, {"MessageId": name, "Payload": payload, "RunCount": runs})
    restarted = runcommand.MessagePoller(emulator.url, "us-east-1", instance_id, lambda: "ASIAEXAMPLE",
                                         lambda *a: None, {}, lambda: True)
    restarted.resume()
    deadline = time.monotonic() + 15
    while os.listdir(restarted.current) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert os.listdir(restarted.current) == []
    assert (tmp_path / "runs").read_text() == "first\nagain\n"
    # Its answer about an invocation already finished changes nothing.
    assert ssm.get_command_invocation(CommandId=sent["CommandId"], InstanceId=instance_id)["StandardOutputContent"] == ""


@pytest.mark.parametrize("stdout, stderr, expected", [
    ("a" * 10, "", "a" * 10),
    ("a" * 10, "b" * 5, "a" * 10 + runcommand.ERROR_TITLE + "b" * 5),
    ("a" * 3000, "", "a" * (2500 - len(runcommand.TRUNCATE_OUT)) + runcommand.TRUNCATE_OUT),
    ("a" * 3000, "b" * 3000, None),
])
def test_combined_output_is_cut_as_the_agent_cuts_it(stdout, stderr, expected):
    combined = runcommand.combined_output(stdout, stderr)
    assert len(combined) <= 2500
    if expected is not None:
        assert combined == expected
    else:
        assert combined.endswith(runcommand.TRUNCATE_ERROR) and runcommand.TRUNCATE_OUT + runcommand.ERROR_TITLE in combined
