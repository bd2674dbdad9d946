"""The cluster query language parser on its own; test_query_language_api.py covers it through ListContainerInstances."""
import datetime

import pytest

from tests.sandbox.emulator.errors import AwsError
from tests.sandbox.emulator.query_language import Instance, compile_filter

REGISTERED = datetime.datetime(2018, 6, 18, 22, 28, 28, tzinfo=datetime.timezone.utc).timestamp()


def instance(**changes):
    values = dict(attributes={"ecs.os-type": "linux", "ecs.instance-type": "g2.2xlarge", "flag": None,
                              "slots": "12"},
                  ec2_instance_id="mi-0123456789abcdef0", connected=lambda: True, agent_version="1.105.1",
                  registered_at=REGISTERED, running_tasks=2, task_groups=lambda: {"service:web", "family:batch"})
    values.update(changes)
    return Instance(**values)


@pytest.mark.parametrize("expression, expected", [
    # strings, quotes, existence
    ("attribute:ecs.os-type == linux", True),
    ("attribute:ecs.os-type equals 'linux'", True),
    ('attribute:ecs.os-type == "windows"', False),
    ("attribute:ecs.os-type != windows", True),
    ("attribute:ecs.os-type not_equals linux", False),
    ("attribute:flag exists", True),
    ("attribute:missing exists", False),
    ("attribute:missing !exists", True),
    ("attribute:missing not_exists", True),
    ("attribute:missing != x", True),
    # lists, patterns
    ("ec2InstanceId == mi-0123456789abcdef0", True),
    ("ec2InstanceId in [mi-1, mi-0123456789abcdef0]", True),
    ("ec2InstanceId in ['mi-1', 'mi-2']", False),
    ("ec2InstanceId !in [mi-1, mi-2]", True),
    ("ec2InstanceId not_in [mi-0123456789abcdef0]", False),
    ("attribute:ecs.instance-type =~ g2.*", True),
    ("attribute:ecs.instance-type matches g2", False),  # the whole value must match, as Java's matches()
    ("attribute:ecs.instance-type !~ t2.*", True),
    ("ec2InstanceId =~ mi-0123.*", True),
    ("agentConnected == true", True),
    ("agentConnected in [false]", False),
    ("agentConnected =~ t.*", True),
    # versions compare as versions, not strings
    ("agentVersion > 1.14.5", True),
    ("agentVersion < 1.14.5", False),
    ("agentVersion >= 1.105.1", True),
    ("agentVersion == 1.105.1.0", True),
    ("agentVersion less_than_equal 1.105.0", False),
    ("agentVersion greater_than 1.9", True),
    # dates
    ("registeredAt < 2018-06-19", True),
    ("registeredAt > 2018-06-18", True),
    ("registeredAt == 2018-06-18T22:28:28Z", True),
    ("registeredAt == 2018-06-18T22:28:28+00:00", True),
    ("registeredAt >= 2018-06-18T22:28:29", False),
    ("registeredAt < 2018-06-18T23:28:28+01:00", False),  # the same instant in another zone
    # counts
    ("runningTasksCount > 1 and runningTasksCount <= 2", True),
    ("runningTasksCount == 0", False),
    ("runningTasksCount greater_than_equal 2", True),
    # attributes with numbers compare as numbers
    ("attribute:slots > 9", True),
    # task groups
    ("task:group == service:web", True),
    ("task:group == database", False),
    ("not(task:group == database)", True),
    ("task:group != service:web", False),
    ("task:group in [database, family:batch]", True),
    ("task:group =~ service:.*", True),
    ("task:group exists", True),
    # compound expressions, precedence, case of keywords
    ("agentConnected == true AND agentVersion == 1.104.0", False),
    ("agentConnected == true && agentVersion == 1.105.1", True),
    ("attribute:ecs.os-type == windows or runningTasksCount == 2", True),
    ("attribute:ecs.os-type == windows || runningTasksCount == 3", False),
    ("attribute:ecs.os-type == windows or runningTasksCount == 2 and agentVersion < 1.0", False),  # and first
    ("(attribute:ecs.os-type == windows or runningTasksCount == 2) and agentVersion > 1.0", True),
    ("not attribute:ecs.os-type == linux", False),
    ("!(attribute:ecs.os-type == windows)", True),
    ("not (agentConnected == false or (runningTasksCount < 1))", True),
])
def test_matches(expression, expected):
    assert compile_filter(expression)(instance()) is expected


def test_disconnected_and_versionless_instances():
    quiet = instance(connected=lambda: False, agent_version=None, task_groups=lambda: set())
    assert compile_filter("agentConnected == false")(quiet) is True
    assert compile_filter("agentVersion < 9")(quiet) is False
    assert compile_filter("task:group !exists")(quiet) is True
    assert compile_filter("task:group != web")(quiet) is True


@pytest.mark.parametrize("expression, why", [
    ("", "empty expression"),
    ("(attribute:x == a", "missing ')'"),
    ("attribute:x == a)", "unexpected ')'"),
    ("attribute: == a", "unknown subject"),
    ("foo == bar", "unknown subject"),
    ("pendingTasksCount == 0", "unknown subject"),
    ("attribute:x", "needs an operator"),
    ("attribute:x == a b", "unexpected 'b'"),
    ("attribute:x === a", "unexpected character"),
    ("attribute:x =~ (", "needs exactly one value"),
    ("attribute:x =~ '('", "bad pattern"),
    ("attribute:ecs.os-type ==", "operator '==' needs exactly one value"),
    ("runningTasksCount == many", "whole number"),
    ("agentVersion > latest", "version"),
    ("registeredAt < yesterday", "date"),
    ("runningTasksCount in [1, 2]", "does not take the operator in"),
    ("agentVersion =~ 1.*", "does not take the operator =~"),
    ("ec2InstanceId > mi-1", "does not take the operator >"),
    ("agentConnected exists", "does not take the operator exists"),
    ("attribute:x in a", "take a list"),
    ("attribute:x in [a b]", "malformed list"),
    ("attribute:x in [a,]", "malformed list"),
    ("attribute:x exists and", "ends where a condition was expected"),
    ("and attribute:x exists", "unknown subject"),
    ("attribute:x exists or or attribute:y exists", "unknown subject"),
    ("not", "ends where a condition was expected"),
    ("attribute:x ! a", "unknown operator"),
])
def test_rejects(expression, why):
    with pytest.raises(AwsError) as exc:
        compile_filter(expression)
    assert exc.value.code == "InvalidParameterException"
    assert exc.value.message.startswith("The filter expression '%s' is not valid: " % expression)
    assert why in exc.value.message
