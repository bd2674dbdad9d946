# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What an SSM command did on each managed instance, and what the task makes of it; no AWS calls here.

Statuses are AWS's ("Understanding command statuses", Run Command user guide); each instance gets one outcome:
success, failed (non-zero exit code), timed_out (the execution timeout killed the script), not_reached (the agent never
picked the command up: DeliveryTimedOut or Undeliverable, or not sent because the instance was offline), skipped (not
sent because the command stopped at max_errors: Terminated), cancelled, refused (AccessDenied, InvalidPlatform),
pending / in_progress (not over when the wait ended).
"""

import hashlib
import re

from ._errors import name_some
from ._ssm_commands import PLUGIN_OUTPUT_LIMIT
from ._ssm_commands import STDERR_LIMIT
from ._ssm_commands import STDOUT_LIMIT

OUTCOMES = {
    "Success": "success", "Failed": "failed", "ExecutionTimedOut": "timed_out", "DeliveryTimedOut": "not_reached",
    "Undeliverable": "not_reached", "Offline": "not_reached", "Terminated": "skipped", "Cancelled": "cancelled",
    "Cancelling": "cancelled", "AccessDenied": "refused", "InvalidPlatform": "refused", "Pending": "pending",
    "Delayed": "pending", "InProgress": "in_progress",
}
COMMAND_OVER = ("Success", "Failed", "TimedOut", "Cancelled")
# What the SSM agent appends to output it cut (agent/framework/runpluginutil: pluginutil.StringPrefix) and what it
# writes into the plugin's 2,500-character combined output (iohandler.TruncateOutput).
AGENT_TRUNCATED = "--output truncated--"
COMBINED_TRUNCATED = ("---Output truncated---", "---Error truncated----")
# AWS's patterns for the two rate controls (botocore's model).
MAX_CONCURRENCY_PATTERN = re.compile(r"^([1-9][0-9]*|[1-9][0-9]%|[1-9]%|100%)$")
MAX_ERRORS_PATTERN = re.compile(r"^([1-9][0-9]*|[0]|[1-9][0-9]%|[0-9]%|100%)$")
RATE_LENGTH = 7


def rate_problem(value, option):
    """None when `value` is what AWS accepts for max_concurrency / max_errors, else what is wrong and what to do."""
    pattern = MAX_CONCURRENCY_PATTERN if option == "max_concurrency" else MAX_ERRORS_PATTERN
    if len(value) <= RATE_LENGTH and pattern.match(value):
        return None
    low = "1" if option == "max_concurrency" else "0"
    return (f"{option} must be a number of instances ({low} or more, at most 7 digits) or a percentage such as 10% or 100%, got "
            f"'{value}'. Nothing was sent.")


def rate_count(value, total):
    """A number of instances out of `total` for '10' or '10%' (a percentage rounds down, as Ansible's
    max_fail_percentage counts: the task fails when more than that many fail)."""
    if value.endswith("%"):
        return int(value[:-1]) * total // 100
    return int(value)


def chunk_concurrency(value, size, total):
    """max_concurrency for one of several commands (SendCommand takes 50 ids): a percentage applies to each command
    as it is; a number is shared in proportion to the command's size, at least 1."""
    if value.endswith("%"):
        return value
    return str(max(1, round(int(value) * size / total)))


def script_fingerprint(commands):
    """How a hidden script is named in results: its line count and SHA-256, never its text."""
    digest = hashlib.sha256("\n".join(commands).encode("utf-8")).hexdigest()
    return {"lines": len(commands), "sha256": digest}


def truncated(text, limit):
    return len(text) >= limit or text.endswith(AGENT_TRUNCATED)


def instance_result(invocation, full=None, summary=False):
    """One instance's result from its ListCommandInvocations entry (with Details) and, for the full output, its
    GetCommandInvocation answer."""
    plugin = (invocation.get("CommandPlugins") or [{}])[0]
    details = invocation.get("StatusDetails") or invocation.get("Status") or "Pending"
    code = plugin.get("ResponseCode", -1) if full is None else full.get("ResponseCode", plugin.get("ResponseCode", -1))
    result = {
        "command_id": invocation.get("CommandId"),
        "instance_name": invocation.get("InstanceName") or "",
        "status": invocation.get("Status") or details,
        "status_details": details,
        "outcome": OUTCOMES.get(details, "failed"),
        "response_code": code if code is not None else -1,
        "reached": code not in (None, -1),
    }
    if full is not None:
        stdout, stderr = full.get("StandardOutputContent") or "", full.get("StandardErrorContent") or ""
        result.update(stdout=stdout, stderr=stderr, stdout_truncated=truncated(stdout, STDOUT_LIMIT),
                      stderr_truncated=truncated(stderr, STDERR_LIMIT),
                      started=full.get("ExecutionStartDateTime") or "", ended=full.get("ExecutionEndDateTime") or "")
    elif summary:
        output = plugin.get("Output") or ""
        result.update(output=output, output_truncated=len(output) >= PLUGIN_OUTPUT_LIMIT or any(t in output for t in COMBINED_TRUNCATED))
    return result


def offline_result(instance):
    """An instance skip_offline left out: its agent has not checked in (PingStatus is not Online)."""
    return {"command_id": None, "instance_name": instance.get("ComputerName") or "", "status": "NotSent", "status_details": "Offline",
            "outcome": "not_reached", "response_code": -1, "reached": False, "ping_status": instance.get("PingStatus")}


def outcome_lists(results):
    """{outcome: [instance ids]} for the outcomes that occurred."""
    lists = {}
    for instance_id, result in results.items():
        lists.setdefault(result["outcome"], []).append(instance_id)
    return lists


def reason(result, timeouts):
    """Why one instance is not a success, in words an operator can act on."""
    outcome, details = result["outcome"], result["status_details"]
    if outcome == "failed":
        return f"exit code {result['response_code']}" if result["reached"] else f"failed before running ({details})"
    if outcome == "timed_out":
        return f"killed after execution_timeout ({timeouts['execution']} s, exit code {result['response_code']})"
    if details == "DeliveryTimedOut":
        return (f"not reached: its agent did not pick the command up within delivery_timeout + execution_timeout "
                f"({timeouts['delivery'] + timeouts['execution']} s; DeliveryTimedOut)")
    if details == "Undeliverable":
        return "not reached: SSM could not deliver to it (Undeliverable: deregistered or not responding)"
    if details == "Offline":
        return f"not reached: not sent, its agent is offline (PingStatus {result.get('ping_status')}; skip_offline)"
    if outcome == "skipped":
        return "not run: the command stopped after more than max_errors failures (Terminated)"
    if outcome == "refused":
        what = "it is not a Linux instance" if details == "InvalidPlatform" else "the credentials may not send commands to it"
        return f"refused: {what} ({details})"
    if outcome == "cancelled":
        return f"cancelled ({details})"
    return f"still {details} when the wait ended"


def verdict(results, max_errors):
    """(failed, the ids that did not succeed): the task fails when more than max_errors of the instances did not succeed,
    whatever the reason - as Ansible's max_fail_percentage counts unreachable hosts with failed ones."""
    not_ok = [i for i, r in results.items() if r["outcome"] != "success"]
    return len(not_ok) > rate_count(max_errors, len(results)), not_ok


def failure_message(command_ids, results, not_ok, timeouts, max_errors, timed_out):
    """What failed where and why, and what to do next."""
    described = name_some(f"{i}: {reason(results[i], timeouts)}" for i in not_ok)
    lead = (f"Timed out after wait_timeout ({timeouts['wait']} s) waiting for SSM command {name_some(command_ids)}"
            if timed_out else f"SSM command {name_some(command_ids)}")
    message = f"{lead} did not succeed on {len(not_ok)} of {len(results)} instance(s) (max_errors {max_errors}): {described}."
    hints = []
    outcomes = {results[i]["outcome"] for i in not_ok}
    if outcomes & {"failed", "timed_out"}:
        hints.append("read stdout and stderr per instance in `instances`")
    if "not_reached" in outcomes:
        hints.append("for instances not reached, check that amazon-ssm-agent runs there and reaches ec2messages "
                     "(hybridfleet.ecs_anywhere.ssm_managed_instance_info shows their PingStatus)")
    if timed_out:
        hints.append("raise wait_timeout, or follow the command later with command_id")
    if "refused" in outcomes:
        hints.append("allow ssm:SendCommand on those managed instances, or target Linux instances only")
    return message + (" Next: " + "; ".join(hints) + "." if hints else "")
