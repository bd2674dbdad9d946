"""AWS's per-call limits, enforced from one table (tests/sandbox/emulator/limits.py): for every row a call at the limit
passes and a call one past it is refused with the row's error. Raw JSON calls, so no client-side validation gets in
the way. The wording of the errors AWS is known to send is checked separately, against AWS's text."""
import functools
import json
import time
import uuid

import pytest

from tests.sandbox.emulator.limits import LIMITS, VALIDATION

ID = "mi-%017x"


class Account:
    """What the limit calls need, made on first use (most rows need only the cluster): roles (one with a 64-character
    name), 10 external container instances, a managed instance, a task definition."""

    def __init__(self, raw, iam):
        self.raw = raw
        self.iam = iam
        self.cluster = "limits"
        self.ok("ecs", "CreateCluster", {"clusterName": self.cluster})
        self.cluster_arn = "arn:aws:ecs:us-east-1:123456789012:cluster/limits"

    @functools.cached_property
    def roles(self):
        """(ecsAnywhereRole, a role whose name has IAM's and CreateActivation's maximum of 64 characters)."""
        trust = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                                     "Principal": {"Service": "ssm.amazonaws.com"}}]})
        names = ("ecsAnywhereRole", "r" * 64)
        for name in names:
            self.iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)
        return names

    @property
    def role(self):
        return self.roles[0]

    @functools.cached_property
    def instances(self):
        return [self.ok("ecs", "RegisterContainerInstance", {
            "cluster": self.cluster, "instanceIdentityDocument": json.dumps({"instanceId": ID % n}),
            "totalResources": [{"name": "CPU", "type": "INTEGER", "integerValue": 10240},
                               {"name": "MEMORY", "type": "INTEGER", "integerValue": 10240}]})
            ["containerInstance"]["containerInstanceArn"] for n in range(10)]

    @functools.cached_property
    def task_definition(self):
        """A tiny EXTERNAL task definition, and the instances to run it on."""
        assert self.instances
        self.ok("ecs", "RegisterTaskDefinition", {
            "family": "tiny", "requiresCompatibilities": ["EXTERNAL"],
            "containerDefinitions": [{"name": "app", "image": "busybox", "cpu": 1, "memory": 4, "essential": True}]})
        return "tiny"

    @functools.cached_property
    def managed(self):
        activation = self.ok("ssm", "CreateActivation", {"IamRole": self.role, "RegistrationLimit": 1})
        return self.ok("ssm", "RegisterManagedInstance", dict(
            activation, PublicKey="k", PublicKeyType="Rsa", Fingerprint="f"))["InstanceId"]

    def call(self, service, operation, body):
        return getattr(self.raw, service)(operation, body)

    def ok(self, service, operation, body):
        status, answer = self.call(service, operation, body)
        assert status == 200, (operation, answer)
        return answer


def _ids(n):
    return [ID % (1000 + i) for i in range(n)]


def _tags(n, same_key=False):
    """n tags; with same_key one key repeated, so a per-call count can be reached without the per-resource one."""
    return [{"Key": "k" if same_key else "k%d" % i, "Value": "v"} for i in range(n)]


def _ecs_tags(n):
    return [{"key": "k%d" % i, "value": "v"} for i in range(n)]


def _filter(expression_length):
    prefix = "attribute:site == "
    return prefix + "a" * (expression_length - len(prefix))


def _eks_id(length):
    """A DeregisterManagedInstance id of any length between 20 and 124 that matches the model's pattern."""
    return "eks_c:" + "a" * (length - 24) + "_" + "0" * 17


# (operation, path, measure[, "tag:"]) -> builder(account, n) -> the request body with the measured member at size or
# value n, or a list of bodies whose last one is measured (the ones before must succeed: a resource's totals).
CASES = {
    ("DescribeInstanceInformation", "Filters[].Values", "items", "tag:"):
        lambda a, n: {"Filters": [{"Key": "tag:site", "Values": ["v%d" % i for i in range(n)]}]},
    ("DescribeInstanceInformation", "MaxResults", "value"): lambda a, n: {"MaxResults": n},
    ("DescribeInstanceInformation", "Filters[].Key", "length"):
        lambda a, n: {"Filters": [{"Key": "tag:" + "k" * (n - 4) if n >= 5 else "k" * n, "Values": ["v"]}]},
    ("DescribeInstanceInformation", "Filters[].Values", "items"):
        lambda a, n: {"Filters": [{"Key": "InstanceIds", "Values": _ids(n)}]},
    ("DescribeInstanceInformation", "Filters[].Values[]", "length"):
        lambda a, n: {"Filters": [{"Key": "AgentVersion", "Values": ["1" * n]}]},
    ("DescribeInstanceInformation", "InstanceInformationFilterList[].valueSet", "items"):
        lambda a, n: {"InstanceInformationFilterList": [{"key": "InstanceIds", "valueSet": _ids(n)}]},
    ("DescribeInstanceInformation", "InstanceInformationFilterList[].valueSet[]", "length"):
        lambda a, n: {"InstanceInformationFilterList": [{"key": "AgentVersion", "valueSet": ["1" * n]}]},
    ("DescribeActivations", "MaxResults", "value"): lambda a, n: {"MaxResults": n},
    ("CreateActivation", "RegistrationLimit", "value"):
        lambda a, n: {"IamRole": a.role, "RegistrationLimit": n},
    ("CreateActivation", "IamRole", "length"): lambda a, n: {"IamRole": a.roles[1] + "r" * (n - 64)},
    ("CreateActivation", "Description", "length"): lambda a, n: {"IamRole": a.role, "Description": "d" * n},
    ("CreateActivation", "DefaultInstanceName", "length"):
        lambda a, n: {"IamRole": a.role, "DefaultInstanceName": "d" * n},
    ("CreateActivation", "Tags", "items"): lambda a, n: {"IamRole": a.role, "Tags": _tags(n, same_key=True)},
    ("CreateActivation", "Tags[].Key", "length"):
        lambda a, n: {"IamRole": a.role, "Tags": [{"Key": "k" * n, "Value": "v"}]},
    ("CreateActivation", "Tags[].Value", "length"):
        lambda a, n: {"IamRole": a.role, "Tags": [{"Key": "k", "Value": "v" * n}]},
    ("CreateActivation", "RegistrationMetadata[].Key", "length"):
        lambda a, n: {"IamRole": a.role, "RegistrationMetadata": [{"Key": "k" * n, "Value": "v"}]},
    ("CreateActivation", "RegistrationMetadata[].Value", "length"):
        lambda a, n: {"IamRole": a.role, "RegistrationMetadata": [{"Key": "k", "Value": "v" * n}]},
    ("CreateActivation", "ExpirationDate", "days_ahead"):
        lambda a, n: {"IamRole": a.role, "ExpirationDate": time.time() + n * 86400 - 3600},
    ("CreateActivation", "Tags", "per_resource"): lambda a, n: {"IamRole": a.role, "Tags": _tags(n)},
    ("DeregisterManagedInstance", "InstanceId", "length"):
        lambda a, n: {"InstanceId": a.managed if n == 20 else _eks_id(n) if n <= 124 else "x" * n},
    ("DeregisterManagedInstance", "InstanceId", "pattern"): lambda a, ok: {"InstanceId": a.managed if ok else "mi-" + "g" * 17},
    ("AddTagsToResource", "Tags", "items"):
        lambda a, n: {"ResourceType": "ManagedInstance", "ResourceId": a.managed, "Tags": _tags(n, same_key=True)},
    ("AddTagsToResource", "Tags[].Key", "length"):
        lambda a, n: {"ResourceType": "ManagedInstance", "ResourceId": a.managed, "Tags": [{"Key": "k" * n, "Value": "v"}]},
    ("AddTagsToResource", "Tags[].Value", "length"):
        lambda a, n: {"ResourceType": "ManagedInstance", "ResourceId": a.managed, "Tags": [{"Key": "k", "Value": "v" * n}]},
    ("AddTagsToResource", "Tags", "per_resource"):
        lambda a, n: {"ResourceType": "ManagedInstance", "ResourceId": a.managed, "Tags": _tags(n)},
    ("RemoveTagsFromResource", "TagKeys[]", "length"):
        lambda a, n: {"ResourceType": "ManagedInstance", "ResourceId": a.managed, "TagKeys": ["k" * n]},
    ("DescribeContainerInstances", "containerInstances", "items"):
        lambda a, n: {"cluster": a.cluster, "containerInstances": (a.instances * 10 + [str(uuid.uuid4())] * 100)[:n]},
    ("UpdateContainerInstancesState", "containerInstances", "items"):
        lambda a, n: {"cluster": a.cluster, "status": "ACTIVE", "containerInstances": (a.instances * 2)[:n]},
    ("DescribeTasks", "tasks", "items"): lambda a, n: {"cluster": a.cluster, "tasks": [uuid.uuid4().hex for _ in range(n)]},
    ("DescribeServices", "services", "items"): lambda a, n: {"cluster": a.cluster, "services": ["s%d" % i for i in range(n)]},
    ("DescribeClusters", "clusters", "items"): lambda a, n: {"clusters": [a.cluster] + ["c%d" % i for i in range(n - 1)]},
    ("PutAttributes", "attributes", "items"): lambda a, n: {"cluster": a.cluster, "attributes": [
        {"name": "a%d" % i, "value": "v", "targetId": a.instances[i % 10]} for i in range(n)]},
    ("DeleteAttributes", "attributes", "items"): lambda a, n: {"cluster": a.cluster, "attributes": [
        {"name": "a%d" % i, "targetId": a.instances[i % 10]} for i in range(n)]},
    ("PutAttributes", "attributes[].name", "length"): lambda a, n: {"cluster": a.cluster, "attributes": [
        {"name": "n" * n, "value": "v", "targetId": a.instances[2]}]},
    ("PutAttributes", "attributes[].value", "length"): lambda a, n: {"cluster": a.cluster, "attributes": [
        {"name": "a", "value": "v" * n, "targetId": a.instances[2]}]},
    ("DeleteAttributes", "attributes[].name", "length"): lambda a, n: {"cluster": a.cluster, "attributes": [
        {"name": "n" * n, "targetId": a.instances[2]}]},
    ("PutAttributes", "attributes", "per_resource"): lambda a, n: [
        {"cluster": a.cluster, "attributes": [{"name": "a%d" % i, "value": "v", "targetId": a.instances[0]}
                                              for i in range(start, min(n, start + 10))]} for start in range(0, n, 10)],
    ("StartTask", "containerInstances", "items"): lambda a, n: {
        "cluster": a.cluster, "taskDefinition": a.task_definition, "containerInstances": (a.instances * 2)[:n]},
    ("RunTask", "count", "value"): lambda a, n: {"cluster": a.cluster, "taskDefinition": a.task_definition, "launchType": "EXTERNAL",
                                                 "count": n},
    ("ListContainerInstances", "maxResults", "value"): lambda a, n: {"cluster": a.cluster, "maxResults": n},
    ("ListContainerInstances", "filter", "length"): lambda a, n: {"cluster": a.cluster, "filter": _filter(n)},
    ("ListAttributes", "maxResults", "value"):
        lambda a, n: {"cluster": a.cluster, "targetType": "container-instance", "maxResults": n},
    ("ListClusters", "maxResults", "value"): lambda a, n: {"maxResults": n},
    ("ListTasks", "maxResults", "value"): lambda a, n: {"cluster": a.cluster, "maxResults": n},
    ("ListServices", "maxResults", "value"): lambda a, n: {"cluster": a.cluster, "maxResults": n},
    ("TagResource", "tags", "items"): lambda a, n: {"resourceArn": a.cluster_arn, "tags": _ecs_tags(n)},
    ("TagResource", "tags[].key", "length"):
        lambda a, n: {"resourceArn": a.cluster_arn, "tags": [{"key": "k" * n, "value": "v"}]},
    ("TagResource", "tags[].value", "length"):
        lambda a, n: {"resourceArn": a.cluster_arn, "tags": [{"key": "k", "value": "v" * n}]},
    ("TagResource", "tags", "per_resource"): lambda a, n: [  # a fresh instance for each n
        {"resourceArn": a.instances[n % 10], "tags": _ecs_tags(n - 1)},
        {"resourceArn": a.instances[n % 10], "tags": [{"key": "last", "value": "v"}]}],
    ("UntagResource", "tagKeys[]", "length"): lambda a, n: {"resourceArn": a.cluster_arn, "tagKeys": ["k" * n]},
    ("CreateCluster", "tags", "items"): lambda a, n: {"clusterName": "c-%d" % n, "tags": _ecs_tags(n)},
    ("CreateCluster", "tags[].key", "length"):
        lambda a, n: {"clusterName": "k-%d" % n, "tags": [{"key": "k" * n, "value": "v"}]},
    ("CreateCluster", "tags[].value", "length"):
        lambda a, n: {"clusterName": "v-%d" % n, "tags": [{"key": "k", "value": "v" * n}]},
    ("RegisterContainerInstance", "tags", "items"): lambda a, n: _registration(a, tags=_ecs_tags(n)),
    ("RegisterContainerInstance", "tags[].key", "length"):
        lambda a, n: _registration(a, tags=[{"key": "k" * n, "value": "v"}]),
    ("RegisterContainerInstance", "tags[].value", "length"):
        lambda a, n: _registration(a, tags=[{"key": "k", "value": "v" * n}]),
}
# Sizes at the limit that pass the limit but where AWS still refuses the call for another reason.
PASSES_WITH = {
    ("DescribeInstanceInformation", "Filters[].Key", "length"): "InvalidFilterKey",  # no 1-character filter key exists
    ("DeregisterManagedInstance", "InstanceId", "length"): "InvalidInstanceId",       # a well-formed id nobody has
}


def _registration(account, tags):
    return {"cluster": account.cluster, "instanceIdentityDocument": json.dumps({"instanceId": ID % 99}), "tags": tags}


def _row_id(row):
    return "%s:%s:%s:%s" % (row.service, row.operation, row.path, row.measure)


def _sizes(row):
    """(sizes that keep the limit, sizes one past it)."""
    if row.measure == "pattern":
        return [True], [False]
    if row.measure == "days_ahead":
        return [row.high], [row.high + 1]
    keep, past = [], []
    if row.high is not None:
        keep.append(row.high)
        past.append(row.high + 1)
    if row.low:
        keep.append(row.low)
        past.append(row.low - 1)
    return keep, past


@pytest.fixture
def account(emulator, raw, iam):
    return Account(raw, iam)


def _case_key(row):
    return (row.operation, row.path, row.measure) + (("tag:",) if row.when else ())


def _measured_call(account, row, size):
    """Make the calls the case needs; return (status, body, request) of the measured one."""
    bodies = CASES[_case_key(row)](account, size)
    bodies = bodies if isinstance(bodies, list) else [bodies]
    for body in bodies[:-1]:
        account.ok(row.service, row.operation, body)
    return account.call(row.service, row.operation, bodies[-1]) + (bodies[-1],)


def test_every_row_has_a_case():
    assert {_case_key(r) for r in LIMITS} - set(CASES) == set()


@pytest.mark.parametrize("row", LIMITS, ids=_row_id)
def test_limit(account, row):
    keep, past = _sizes(row)
    for size in keep:
        status, body, _ = _measured_call(account, row, size)
        allowed = PASSES_WITH.get((row.operation, row.path, row.measure))
        assert status == 200 or body.get("__type") == allowed, ("at the limit", size, body)
    for size in past:
        status, body, request = _measured_call(account, row, size)
        code = "ValidationException" if row.style == VALIDATION else row.style[0]
        assert (status, body.get("__type")) == (400, code), ("one past the limit", size, body)
        if row.style == VALIDATION:
            location = row.path.rstrip("[]").split(".")[-1].replace("[]", "")
            assert "failed to satisfy constraint" in body["message"] and \
                (location[:1].lower() + location[1:]) in body["message"], body["message"]
        else:
            key = (request.get("Filters") or [{}])[0].get("Key")
            assert body["message"] == row.style[1].format(high=row.high, low=row.low, count=size, key=key), \
                body["message"]


# --- AWS's wording, where it is known --------------------------------------------------------------------------
def test_five_thousand_instance_ids_in_one_filter_are_refused_as_aws_does(raw):
    ids = _ids(5000)
    status, body = raw.ssm("DescribeInstanceInformation", {"Filters": [{"Key": "InstanceIds", "Values": ids}]})
    assert (status, body["__type"]) == (400, "ValidationException")
    assert body["message"] == ("1 validation error detected: Value '[%s]' at 'filters.1.member.values' failed to "
                               "satisfy constraint: Member must have length less than or equal to 100" % ", ".join(ids))


def test_max_results_wording_and_several_errors_in_one_answer(raw):
    status, body = raw.ssm("DescribeInstanceInformation", {"MaxResults": 100})
    assert body["message"] == ("1 validation error detected: Value '100' at 'maxResults' failed to satisfy "
                               "constraint: Member must have value less than or equal to 50")
    status, body = raw.ssm("DescribeInstanceInformation", {
        "MaxResults": 4, "Filters": [{"Key": "PingStatus", "Values": []}]})
    assert body["message"] == (
        "2 validation errors detected: Value '4' at 'maxResults' failed to satisfy constraint: Member must have value "
        "greater than or equal to 5; Value '[]' at 'filters.1.member.values' failed to satisfy constraint: Member "
        "must have length greater than or equal to 1")


def test_member_constraints_are_reported_at_the_list(raw):
    status, body = raw.ssm("DescribeInstanceInformation", {"Filters": [{"Key": "AgentVersion", "Values": ["1", ""]}]})
    assert body["message"] == ("1 validation error detected: Value '[1, ]' at 'filters.1.member.values' failed to "
                               "satisfy constraint: Member must satisfy constraint: [Member must have length greater "
                               "than or equal to 1]")


def test_tag_filter_values_wording(raw):
    status, body = raw.ssm("DescribeInstanceInformation", {"Filters": [{"Key": "tag:Name", "Values": list("abcdef")}]})
    assert (status, body) == (400, {"__type": "ValidationException",
                                    "message": "The number of tag values for tag:Name was 6. Max: 5."})


@pytest.mark.parametrize("operation, count, message", [
    ("DescribeContainerInstances", 101, "instanceIds can have at most 100 items."),
    ("UpdateContainerInstancesState", 11, "instanceIds can have at most 10 items."),
])
def test_ecs_instance_list_wording(raw, operation, count, message):
    status, body = raw.ecs(operation, {"cluster": "any", "status": "DRAINING",
                                       "containerInstances": [uuid.uuid4().hex for _ in range(count)]})
    assert (status, body) == (400, {"__type": "InvalidParameterException", "message": message})


def test_custom_attributes_per_instance_leave_ecs_attributes_out(account):
    target = account.instances[1]
    put = [{"name": "a%d" % i, "value": "v", "targetId": target} for i in range(10)]
    account.ok("ecs", "PutAttributes", {"cluster": account.cluster, "attributes": put})
    account.ok("ecs", "PutAttributes", {"cluster": account.cluster, "attributes": [
        {"name": "ecs.capability.extra", "targetId": target}, {"name": "a0", "value": "again", "targetId": target}]})
    status, body = account.call("ecs", "PutAttributes", {"cluster": account.cluster, "attributes": [
        {"name": "eleventh", "value": "v", "targetId": target}]})
    assert (status, body["__type"]) == (400, "AttributeLimitExceededException")


def test_tags_per_resource_count_what_the_resource_already_has(account):
    account.ok("ecs", "TagResource", {"resourceArn": account.cluster_arn, "tags": _ecs_tags(30)})
    # Re-tagging existing keys does not add to the total.
    account.ok("ecs", "TagResource", {"resourceArn": account.cluster_arn, "tags": _ecs_tags(50)})
    status, body = account.call("ecs", "TagResource", {"resourceArn": account.cluster_arn,
                                                       "tags": [{"key": "one-more", "value": "v"}]})
    assert (status, body["__type"]) == (400, "InvalidParameterException")
    account.ok("ssm", "AddTagsToResource", {"ResourceType": "ManagedInstance", "ResourceId": account.managed,
                                            "Tags": _tags(50)})
    status, body = account.call("ssm", "AddTagsToResource", {"ResourceType": "ManagedInstance",
                                                             "ResourceId": account.managed,
                                                             "Tags": [{"Key": "one-more", "Value": "v"}]})
    assert (status, body["__type"]) == (400, "TooManyTagsError")
