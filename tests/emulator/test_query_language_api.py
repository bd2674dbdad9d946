"""The cluster query language through ListContainerInstances: what the modules ask ECS, at fleet scale."""
import datetime
import time

import pytest

from tests.sandbox.emulator.limits import limit

MAX_EXPRESSION = limit("ecs", "ListContainerInstances", "filter", "length")


def _listed(ecs, cluster, expression):
    arns, token = [], None
    while True:
        page = ecs.list_container_instances(cluster=cluster, filter=expression, **({"nextToken": token} if token else {}))
        arns += page["containerInstanceArns"]
        token = page.get("nextToken")
        if not token:
            return arns


def _chunks_by_length(ids):
    """`ec2InstanceId in [...]` expressions no longer than ECS takes, as a module resolving mi- ids builds them."""
    expressions, current = [], []
    for mi in ids:
        candidate = "ec2InstanceId in [%s]" % ", ".join(current + [mi])
        if len(candidate) > MAX_EXPRESSION:
            expressions.append("ec2InstanceId in [%s]" % ", ".join(current))
            current = []
        current.append(mi)
    expressions.append("ec2InstanceId in [%s]" % ", ".join(current))
    return expressions


def test_managed_instance_ids_resolve_in_chunks_at_5000_instances(emulator, ecs):
    seeded = emulator.seed("big", 5000)
    by_mi = dict(zip(seeded["managed_instance_ids"], seeded["container_instance_arns"]))
    expressions = _chunks_by_length(seeded["managed_instance_ids"])
    assert all(len(e) <= MAX_EXPRESSION for e in expressions)
    emulator.reset_stats()
    started = time.monotonic()
    found = []
    for expression in expressions:
        found += _listed(ecs, "big", expression)
    elapsed = time.monotonic() - started
    assert sorted(found) == sorted(by_mi.values())
    calls = emulator.calls("ecs:ListContainerInstances")
    assert calls == len(expressions)  # each chunk's instances fit one page of 100
    print("resolved 5000 mi- ids with %d ListContainerInstances calls in %.2f s" % (calls, elapsed))
    # A subset comes back exactly; ids ECS does not know are simply not listed.
    some = seeded["managed_instance_ids"][10:13] + ["mi-00000000000000000"]
    assert sorted(_listed(ecs, "big", "ec2InstanceId in [%s]" % ", ".join(some))) == sorted(by_mi[m] for m in some[:3])


def test_agent_version_compares_as_a_version(ecs, container_instance):
    old = container_instance(version="1.9.0")["containerInstanceArn"]
    new = container_instance(version="1.105.1")["containerInstanceArn"]
    assert _listed(ecs, "edge", "agentVersion < 1.14.5") == [old]  # as strings, "1.105.1" < "1.14.5"
    assert _listed(ecs, "edge", "agentVersion >= 1.14.5") == [new]


def test_registered_at_takes_iso_dates(ecs, container_instance):
    arn = container_instance()["containerInstanceArn"]
    now = datetime.datetime.now(datetime.timezone.utc)
    hour_ago = (now - datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    tomorrow = (now + datetime.timedelta(days=1)).strftime("%Y-%m-%d")
    assert _listed(ecs, "edge", "registeredAt > %s" % hour_ago) == [arn]
    assert _listed(ecs, "edge", "registeredAt >= %s and registeredAt < %s" % (hour_ago, tomorrow)) == [arn]
    assert _listed(ecs, "edge", "registeredAt < %s" % hour_ago) == []


def test_task_group_affinity_and_anti_affinity(ecs, container_instance, task_definition):
    busy = container_instance()["containerInstanceArn"]
    idle = container_instance(cpu=128)["containerInstanceArn"]  # too small for the task
    task_definition(cpu=256, memory=256)
    ecs.create_service(cluster="edge", serviceName="web", taskDefinition="web", desiredCount=1,
                       launchType="EXTERNAL")
    assert _listed(ecs, "edge", "task:group == service:web") == [busy]
    assert _listed(ecs, "edge", "not(task:group == service:web)") == [idle]
    assert _listed(ecs, "edge", "task:group == service:web or runningTasksCount == 0") == [busy, idle]
    assert _listed(ecs, "edge", "(task:group exists and agentConnected == false) or ec2InstanceId == none") == [busy]


@pytest.mark.parametrize("expression, why", [
    ("attribute:ecs.os-type ==", "operator '==' needs exactly one value"),
    ("(agentConnected == true", "missing ')'"),
    ("agentVersion =~ 1.*", "agentVersion does not take the operator =~"),
])
def test_unparseable_expression_is_invalid_parameter(ecs, cluster, expression, why):
    with pytest.raises(ecs.exceptions.InvalidParameterException) as exc:
        ecs.list_container_instances(cluster="edge", filter=expression)
    assert why in exc.value.response["Error"]["Message"]


def test_expression_over_the_length_limit(ecs, cluster):
    at_limit = "ec2InstanceId == " + "m" * (MAX_EXPRESSION - len("ec2InstanceId == "))
    assert ecs.list_container_instances(cluster="edge", filter=at_limit)["containerInstanceArns"] == []
    with pytest.raises(ecs.exceptions.InvalidParameterException) as exc:
        ecs.list_container_instances(cluster="edge", filter=at_limit + "m")
    assert exc.value.response["Error"]["Message"] == \
        "The filter expression is %d characters long; the maximum is %d." % (MAX_EXPRESSION + 1, MAX_EXPRESSION)
