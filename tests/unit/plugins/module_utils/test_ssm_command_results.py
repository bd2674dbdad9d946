"""How ssm_command reads SSM's answers: outcomes, truncation flags, the rate controls, the verdict and its words."""
import pytest

from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils import _ssm_command_results as results


def invocation(details, code=-1, output=""):
    status = {"DeliveryTimedOut": "TimedOut", "Undeliverable": "Failed", "Terminated": "Cancelled"}.get(details, details)
    return {"CommandId": "c", "InstanceId": "mi-1", "InstanceName": "edge-1", "Status": status, "StatusDetails": details,
            "CommandPlugins": [{"Name": "aws:runShellScript", "ResponseCode": code, "Output": output}]}


@pytest.mark.parametrize("details, outcome", [
    ("Success", "success"), ("Failed", "failed"), ("ExecutionTimedOut", "timed_out"), ("DeliveryTimedOut", "not_reached"),
    ("Undeliverable", "not_reached"), ("Terminated", "skipped"), ("Cancelled", "cancelled"), ("AccessDenied", "refused"),
    ("InvalidPlatform", "refused"), ("InProgress", "in_progress"), ("Pending", "pending"), ("Delayed", "pending"),
])
def test_every_status_detail_has_an_outcome(details, outcome):
    assert results.instance_result(invocation(details))["outcome"] == outcome


def test_full_output_flags_what_the_agent_or_the_api_cut():
    full = {"ResponseCode": 0, "StandardOutputContent": "x" * 23980 + "--output truncated--", "StandardErrorContent": "e" * 8000}
    shaped = results.instance_result(invocation("Success", 0), full)
    assert (shaped["stdout_truncated"], shaped["stderr_truncated"], shaped["reached"]) == (True, True, True)
    small = results.instance_result(invocation("Success", 0), {"ResponseCode": 0, "StandardOutputContent": "ok\n"})
    assert (small["stdout"], small["stdout_truncated"], small["stderr"], small["stderr_truncated"]) == ("ok\n", False, "", False)
    summary = results.instance_result(invocation("Failed", 1, "a\n---Output truncated---\n----------ERROR-------\nb"), summary=True)
    assert summary["output_truncated"] is True and "stdout" not in summary


@pytest.mark.parametrize("value, total, count", [("0", 10, 0), ("3", 10, 3), ("10%", 25, 2), ("100%", 7, 7), ("9%", 10, 0)])
def test_rate_count_rounds_percentages_down(value, total, count):
    assert results.rate_count(value, total) == count


@pytest.mark.parametrize("value, option, ok", [
    ("1", "max_concurrency", True), ("0", "max_concurrency", False), ("0", "max_errors", True), ("100%", "max_errors", True),
    ("101%", "max_errors", False), ("5%", "max_concurrency", True), ("0%", "max_concurrency", False), ("1234567", "max_errors", True),
    ("12345678", "max_errors", False), ("ten", "max_errors", False),
])
def test_rate_values_are_checked_as_aws_checks_them(value, option, ok):
    assert (results.rate_problem(value, option) is None) == ok


def test_the_verdict_counts_every_instance_that_did_not_succeed():
    shaped = {"a": {"outcome": "success"}, "b": {"outcome": "not_reached"}, "c": {"outcome": "refused"}}
    assert results.verdict(shaped, "1") == (True, ["b", "c"])
    assert results.verdict(shaped, "2") == (False, ["b", "c"])
    assert results.verdict(shaped, "66%") == (True, ["b", "c"])  # 66% of 3 is 1
