"""docs/iam-policy.json in form: every statement names its actions, iam:PassRole only to SSM.

That the policy is enough, and that a call outside it is denied naming the action, is proved where the playbooks
run on sandbox hosts: tests/integration/test_playbooks_fleet.py runs everything with keys limited to it, the
emulator enforcing IAM (test_playbooks_harness.pb_policy_keys). Enforcement itself: tests/emulator/test_iam_enforcement.py.
"""
import json
from pathlib import Path

POLICY = Path(__file__).resolve().parents[2] / "docs" / "iam-policy.json"


def test_the_policy_is_least_privilege_in_form():
    """Every statement names its actions; nothing is granted by a service wildcard."""
    statements = json.loads(POLICY.read_text())["Statement"]
    actions = [a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])]
    assert actions and not [a for a in actions if "*" in a]
    passrole = [s for s in statements if s["Action"] == "iam:PassRole"]
    assert passrole and all(s["Condition"]["StringEquals"]["iam:PassedToService"] == "ssm.amazonaws.com" for s in passrole)
    assert all(s["Resource"] != "*" for s in passrole)
