"""Policy evaluation on its own (test_iam_enforcement.py covers it through the API)."""
import pytest

from tests.sandbox.emulator.iam_policy import ALLOW, EXPLICIT_DENY, IMPLICIT_DENY, evaluate, parse

ROLE = "arn:aws:iam::123456789012:role/ecsAnywhereRole"
CI = "arn:aws:ecs:us-east-1:123456789012:container-instance/edge/abc"


def policy(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


@pytest.mark.parametrize("statement, action, resource, context, decision", [
    ({"Effect": "Allow", "Action": "ecs:*", "Resource": "*"}, "ecs:ListClusters", "*", {}, ALLOW),
    ({"Effect": "Allow", "Action": "ECS:list*", "Resource": "*"}, "ecs:ListClusters", "*", {}, ALLOW),  # actions fold
    ({"Effect": "Allow", "Action": "ecs:List?lusters", "Resource": "*"}, "ecs:ListClusters", "*", {}, ALLOW),
    ({"Effect": "Allow", "Action": "ecs:Describe*", "Resource": "*"}, "ecs:ListClusters", "*", {}, IMPLICIT_DENY),
    ({"Effect": "Allow", "NotAction": "ecs:Delete*", "Resource": "*"}, "ecs:DeleteCluster", "*", {}, IMPLICIT_DENY),
    ({"Effect": "Allow", "NotAction": "ecs:Delete*", "Resource": "*"}, "ecs:ListClusters", "*", {}, ALLOW),
    # resources: case-sensitive wildcards; "*" in a request is only matched by "*"
    ({"Effect": "Allow", "Action": "ecs:*", "Resource": "arn:aws:ecs:*:*:container-instance/edge/*"},
     "ecs:UpdateContainerInstancesState", CI, {}, ALLOW),
    ({"Effect": "Allow", "Action": "ecs:*", "Resource": "arn:aws:ecs:*:*:container-instance/EDGE/*"},
     "ecs:UpdateContainerInstancesState", CI, {}, IMPLICIT_DENY),
    ({"Effect": "Allow", "Action": "ecs:*", "Resource": "arn:aws:ecs:*"}, "ecs:ListClusters", "*", {}, IMPLICIT_DENY),
    ({"Effect": "Allow", "Action": "ecs:*", "NotResource": "arn:aws:ecs:*:*:cluster/prod"},
     "ecs:DeleteCluster", "arn:aws:ecs:us-east-1:1:cluster/prod", {}, IMPLICIT_DENY),
    # conditions
    ({"Effect": "Allow", "Action": "iam:PassRole", "Resource": ROLE,
      "Condition": {"StringEquals": {"iam:PassedToService": "ssm.amazonaws.com"}}},
     "iam:PassRole", ROLE, {"iam:PassedToService": "ssm.amazonaws.com"}, ALLOW),
    ({"Effect": "Allow", "Action": "iam:PassRole", "Resource": ROLE,
      "Condition": {"StringEquals": {"IAM:passedToService": ["ecs.amazonaws.com", "ssm.amazonaws.com"]}}},
     "iam:PassRole", ROLE, {"iam:PassedToService": "ssm.amazonaws.com"}, ALLOW),  # keys fold, any listed value
    ({"Effect": "Allow", "Action": "iam:PassRole", "Resource": ROLE,
      "Condition": {"StringEquals": {"iam:PassedToService": "ssm.amazonaws.com"}}},
     "iam:PassRole", ROLE, {}, IMPLICIT_DENY),  # a missing key never satisfies a positive operator
    ({"Effect": "Allow", "Action": "*", "Resource": "*",
      "Condition": {"StringNotEquals": {"aws:ResourceTag/site": "prod"}}}, "ssm:X", "*", {}, ALLOW),
    ({"Effect": "Allow", "Action": "*", "Resource": "*",
      "Condition": {"StringEqualsIfExists": {"aws:ResourceTag/site": "lab"}}}, "ssm:X", "*", {}, ALLOW),
    ({"Effect": "Allow", "Action": "*", "Resource": "*",
      "Condition": {"StringEqualsIfExists": {"aws:ResourceTag/site": "lab"}}},
     "ssm:X", "*", {"aws:ResourceTag/site": "prod"}, IMPLICIT_DENY),
    ({"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"Null": {"aws:ResourceTag/site": "true"}}},
     "ssm:X", "*", {}, ALLOW),
    ({"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"StringLike": {"ecs:cluster": "*/edge"}}},
     "ecs:X", "*", {"ecs:cluster": "arn:aws:ecs:us-east-1:1:cluster/edge"}, ALLOW),
    ({"Effect": "Allow", "Action": "*", "Resource": "*",
      "Condition": {"ForAllValues:StringEquals": {"aws:TagKeys": ["site", "run"]}}},
     "ssm:X", "*", {"aws:TagKeys": ["site", "owner"]}, IMPLICIT_DENY),
    ({"Effect": "Allow", "Action": "*", "Resource": "*",
      "Condition": {"ForAnyValue:StringEquals": {"aws:TagKeys": ["site"]}}},
     "ssm:X", "*", {"aws:TagKeys": ["site", "owner"]}, ALLOW),
    ({"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"NumericLessThan": {"x": "3"}}},
     "ssm:X", "*", {"x": "1"}, IMPLICIT_DENY),  # operators not evaluated never match
    ({"Effect": "Deny", "Action": "*", "Resource": "*"}, "ssm:X", "*", {}, EXPLICIT_DENY),
])
def test_one_statement(statement, action, resource, context, decision):
    assert evaluate([policy(statement)], action, resource, context) == decision


def test_deny_anywhere_wins_over_allow_anywhere():
    allow = policy({"Effect": "Allow", "Action": "*", "Resource": "*"})
    deny = policy({"Effect": "Deny", "Action": "ecs:DeleteCluster", "Resource": "*"})
    assert evaluate([allow, deny], "ecs:DeleteCluster", "*", {}) == EXPLICIT_DENY
    assert evaluate([deny, allow], "ecs:ListClusters", "*", {}) == ALLOW
    assert evaluate([], "ecs:ListClusters", "*", {}) == IMPLICIT_DENY


def test_documents_as_iam_stores_them():
    text = '{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "ecs:*", "Resource": "*"}}'
    assert evaluate([parse(text)], "ecs:ListClusters", "*", {}) == ALLOW
    assert parse("%7B%22Statement%22%3A%20%5B%5D%7D") == {"Statement": []}
