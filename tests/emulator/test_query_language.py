"""The cluster query language parser on its own (the API tests cover it through ListContainerInstances)."""
import pytest

from tests.sandbox.emulator.errors import AwsError
from tests.sandbox.emulator.query_language import compile_filter

INSTANCE = {"attribute:ecs.os-type": "linux", "attribute:flag": "", "ec2InstanceId": "mi-0123456789abcdef0",
            "agentConnected": "true", "agentVersion": "1.105.1", "runningTasksCount": 2}


def lookup(subject):
    return INSTANCE.get(subject)


@pytest.mark.parametrize("expression, expected", [
    ("attribute:ecs.os-type == linux", True),
    ("attribute:ecs.os-type == 'linux'", True),
    ('attribute:ecs.os-type == "windows"', False),
    ("attribute:ecs.os-type != windows", True),
    ("attribute:flag exists", True),
    ("attribute:missing exists", False),
    ("attribute:missing !exists", True),
    ("attribute:missing != x", True),
    ("ec2InstanceId == mi-0123456789abcdef0", True),
    ("ec2InstanceId in [mi-1, mi-0123456789abcdef0]", True),
    ("agentConnected == true and agentVersion == 1.105.1", True),
    ("agentConnected == true AND agentVersion == 1.104.0", False),
    ("runningTasksCount > 1 and runningTasksCount <= 2", True),
    ("runningTasksCount == 0", False),
    ("attribute:ecs.os-type not_in [windows, macos]", True),
])
def test_matches(expression, expected):
    assert compile_filter(expression)(lookup) is expected


@pytest.mark.parametrize("expression", [
    "", "attribute:x == a or attribute:y == b", "(attribute:x == a)", "attribute: == a", "foo == bar",
    "attribute:x", "attribute:x == a b", "attribute:x =~ a.*", "runningTasksCount == many",
    "attribute:x in a", "attribute:x in [a b]", "attribute:x exists and", "and attribute:x exists",
])
def test_rejects(expression):
    with pytest.raises(AwsError) as exc:
        compile_filter(expression)
    assert exc.value.code == "InvalidParameterException"
