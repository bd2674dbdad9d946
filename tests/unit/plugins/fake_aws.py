"""Fake ECS / SSM / STS clients for the module tests: just enough behaviour, AWS's per-call limits enforced, calls counted.

The limits are written here from AWS's API reference, independently of plugins/module_utils/_batching.py, so a
wrong number there makes a call here fail.
"""
import collections
import re

ACCOUNT = "123456789012"
REGION = "us-east-1"
ARN = "arn:aws:ecs:{region}:{account}:container-instance/{cluster}/{id:032x}"

# AWS's documented per-call limits (API reference), as an endpoint enforces them.
MAX_DESCRIBE = 100
MAX_STATE_CHANGE = 10
MAX_ATTRIBUTES_PER_CALL = 10
MAX_LIST_PAGE = 100
MAX_QUERY_LENGTH = 2000
MAX_SSM_FILTER_VALUES = 100
MAX_SSM_PAGE = 50

_IN_LIST = re.compile(r"^ec2InstanceId in \[([^\]]*)\]$")


class FakeClock:
    """The clock poll_until and the managers take: sleeping only moves the time on, and each sleep is recorded."""

    def __init__(self, start=0.0):
        self.t = start
        self.sleeps = []

    def now(self):
        return self.t

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.t += seconds


class LimitExceeded(AssertionError):
    """A call the real API would refuse."""


def check(condition, message):
    if not condition:
        raise LimitExceeded(message)


class FakeECS:
    """Container instances in clusters; service tasks leave a DRAINING instance after `drain_rounds` describes of it."""

    def __init__(self, count=0, cluster="c", tasks_each=1, standalone=(), drain_rounds=2, region=REGION, attributes_each=0):
        self.calls = collections.Counter()
        self.drain_rounds = drain_rounds
        self.region = region
        self.instances = {}  # arn -> record
        self.by_id = {}  # (cluster, arn or id) -> record
        self.clusters = collections.OrderedDict()
        self.numbered = 0
        if count:
            self.add(cluster, count, tasks_each=tasks_each, standalone=standalone, attributes_each=attributes_each)

    def add(self, cluster, count, tasks_each=1, standalone=(), status="ACTIVE", attributes_each=0):
        self.clusters.setdefault(cluster, [])
        added = []
        for _number in range(count):
            i = self.numbered
            self.numbered += 1
            arn = ARN.format(region=self.region, account=ACCOUNT, cluster=cluster, id=i)
            agent_attributes = [{"name": f"ecs.capability.feature-{n}"} for n in range(attributes_each)]
            self.instances[arn] = {
                "containerInstanceArn": arn, "ec2InstanceId": "mi-%017x" % i, "status": status,
                "runningTasksCount": tasks_each + (1 if i in standalone else 0), "pendingTasksCount": 0, "agentConnected": True,
                "attributes": [{"name": "ecs.os-type", "value": "linux"}] + agent_attributes,
                "registeredResources": [{"name": "CPU", "type": "INTEGER", "integerValue": 2048},
                                        {"name": "MEMORY", "type": "INTEGER", "integerValue": 3900}],
                "versionInfo": {"agentVersion": "1.105.1", "agentHash": "abc", "dockerVersion": "DockerVersion: 20.10.24"},
                "_cluster": cluster, "_standalone": i in standalone, "_drain_seen": 0}
            self.clusters[cluster].append(arn)
            self.by_id[(cluster, arn)] = self.by_id[(cluster, arn.rsplit("/", 1)[-1])] = self.instances[arn]
            added.append(arn)
        return added

    def _public(self, ci):
        return {k: v for k, v in ci.items() if not k.startswith("_")}

    def _in_cluster(self, cluster):
        name = cluster.rsplit("/", 1)[-1]
        check(name in self.clusters, f"ClusterNotFoundException {cluster}")
        return [self.instances[a] for a in self.clusters[name]]

    def _find(self, cluster, ref):
        name = cluster.rsplit("/", 1)[-1]
        check(name in self.clusters, f"ClusterNotFoundException {cluster}")
        return self.by_id.get((name, ref))

    # --- ECS API --------------------------------------------------------------------------------------
    def list_clusters(self, maxResults=100, nextToken=None):
        check(1 <= maxResults <= MAX_LIST_PAGE, "maxResults")
        self.calls["list_clusters"] += 1
        arns = [f"arn:aws:ecs:{self.region}:{ACCOUNT}:cluster/{name}" for name in self.clusters]
        start = int(nextToken or 0)
        page = {"clusterArns": arns[start:start + maxResults]}
        if start + maxResults < len(arns):
            page["nextToken"] = str(start + maxResults)
        return page

    def list_container_instances(self, cluster, maxResults=100, nextToken=None, filter=None, status=None):
        check(1 <= maxResults <= MAX_LIST_PAGE, "maxResults")
        self.calls["list"] += 1
        live = [ci for ci in self._in_cluster(cluster) if (ci["status"] == status if status else ci["status"] != "INACTIVE")]
        if filter is not None:
            self.calls["list_filtered"] += 1
            check(len(filter) <= MAX_QUERY_LENGTH, f"filter of {len(filter)} characters")
            match = _IN_LIST.match(filter)
            check(match, f"the fake reads only 'ec2InstanceId in [...]', got {filter[:80]}")
            wanted = {v.strip() for v in match.group(1).split(",")}
            live = [ci for ci in live if ci["ec2InstanceId"] in wanted]
        arns = [ci["containerInstanceArn"] for ci in live]
        start = int(nextToken or 0)
        page = {"containerInstanceArns": arns[start:start + maxResults]}
        if start + maxResults < len(arns):
            page["nextToken"] = str(start + maxResults)
        return page

    def describe_container_instances(self, cluster, containerInstances, include=None):
        check(1 <= len(containerInstances) <= MAX_DESCRIBE, f"{len(containerInstances)} containerInstances")
        self.calls["describe"] += 1
        found, failures = [], []
        for ref in containerInstances:
            ci = self._find(cluster, ref)
            if ci is None:
                failures.append({"arn": ref, "reason": "MISSING"})
                continue
            if ci["status"] == "DRAINING":
                ci["_drain_seen"] += 1
                if ci["_drain_seen"] > self.drain_rounds:
                    ci["runningTasksCount"] = 1 if ci["_standalone"] else 0
            found.append(self._public(ci))
        return {"containerInstances": found, "failures": failures}

    def update_container_instances_state(self, cluster, containerInstances, status):
        check(1 <= len(containerInstances) <= MAX_STATE_CHANGE, f"{len(containerInstances)} containerInstances")
        self.calls["update"] += 1
        self.calls["update_" + status] += 1
        done, failures = [], []
        for ref in containerInstances:
            ci = self._find(cluster, ref)
            if ci is None or ci.get("_refuse"):
                failures.append({"arn": ref, "reason": "MISSING" if ci is None else ci["_refuse"]})
                continue
            if ci["status"] != status:
                ci["_drain_seen"] = 0
            ci["status"] = status
            done.append(self._public(ci))
        return {"containerInstances": done, "failures": failures}

    def deregister_container_instance(self, cluster, containerInstance, force):
        self.calls["deregister"] += 1
        ci = self._find(cluster, containerInstance)
        ci["status"] = "INACTIVE"
        return {"containerInstance": self._public(ci)}

    def put_attributes(self, cluster, attributes):
        check(1 <= len(attributes) <= MAX_ATTRIBUTES_PER_CALL, f"{len(attributes)} attributes")
        self.calls["put_attributes"] += 1
        for attr in attributes:
            ci = self._find(cluster, attr["targetId"])
            ci["attributes"] = [a for a in ci["attributes"] if a["name"] != attr["name"]] + [{k: v for k, v in attr.items() if k in ("name", "value")}]
        return {"attributes": attributes}

    def delete_attributes(self, cluster, attributes):
        check(1 <= len(attributes) <= MAX_ATTRIBUTES_PER_CALL, f"{len(attributes)} attributes")
        self.calls["delete_attributes"] += 1
        for attr in attributes:
            ci = self._find(cluster, attr["targetId"])
            ci["attributes"] = [a for a in ci["attributes"] if a["name"] != attr["name"]]
        return {"attributes": attributes}

    def list_tasks(self, cluster, containerInstance, maxResults=100, **_kw):
        check(1 <= maxResults <= MAX_LIST_PAGE, "maxResults")
        self.calls["list_tasks"] += 1
        ci = self._find(cluster, containerInstance)
        return {"taskArns": ["task/standalone-%s" % ci["ec2InstanceId"]] if ci["_standalone"] else []}

    def describe_tasks(self, cluster, tasks):
        check(1 <= len(tasks) <= MAX_DESCRIBE, f"{len(tasks)} tasks")
        self.calls["describe_tasks"] += 1
        return {"tasks": [{"taskArn": t, "group": "family:job"} for t in tasks]}


class FakeSTS:
    def __init__(self, account=ACCOUNT):
        self.account = account
        self.calls = 0

    def get_caller_identity(self):
        self.calls += 1
        return {"Account": self.account, "Arn": f"arn:aws:iam::{self.account}:user/ops", "UserId": "AIDA"}


class FakeSSM:
    """Managed instances for DescribeInstanceInformation, filters and pages as SSM applies them."""

    def __init__(self, count=0, activation_id="act-1"):
        self.calls = collections.Counter()
        self.instances = [{"InstanceId": "mi-%017x" % i, "PingStatus": "Online", "ResourceType": "ManagedInstance",
                           "ActivationId": activation_id, "ComputerName": "host-%d" % i, "IPAddress": "10.0.%d.%d" % (i // 250, i % 250)}
                          for i in range(count)]
        self.tags = {}

    def describe_instance_information(self, MaxResults=10, Filters=(), NextToken=None):
        check(5 <= MaxResults <= MAX_SSM_PAGE, "MaxResults")
        kinds = {f["Key"].startswith("tag:") for f in Filters}
        check(len(kinds) <= 1, "Tag filters can't be combined with other filter types")
        self.calls["describe_instance_information"] += 1
        keys = {"InstanceIds": "InstanceId", "ActivationIds": "ActivationId", "PingStatus": "PingStatus", "ResourceType": "ResourceType"}
        selected = self.instances
        for f in Filters:
            check(1 <= len(f["Values"]) <= MAX_SSM_FILTER_VALUES, f"{len(f['Values'])} values in filter {f['Key']}")
            if f["Key"].startswith("tag:"):
                selected = [i for i in selected if self.tags.get(i["InstanceId"], {}).get(f["Key"][4:]) in f["Values"]]
            else:
                selected = [i for i in selected if i[keys[f["Key"]]] in f["Values"]]
        start = int(NextToken or 0)
        page = {"InstanceInformationList": selected[start:start + MaxResults]}
        if start + MaxResults < len(selected):
            page["NextToken"] = str(start + MaxResults)
        return page

    def list_tags_for_resource(self, ResourceType, ResourceId):
        self.calls["list_tags_for_resource"] += 1
        return {"TagList": [{"Key": k, "Value": v} for k, v in self.tags.get(ResourceId, {}).items()]}


class FakeModule:
    """What the managers use of FleetModule: params, check mode, diff, region, clients, the caller's account."""

    def __init__(self, params, check_mode=False, diff=True, region=REGION, **clients):
        self.params = params
        self.check_mode = check_mode
        self._diff = diff
        self.region = region
        self.clients = clients
        self.warnings = []

    def client(self, service):
        return self.clients[service]

    def caller_account(self):
        return self.clients.setdefault("sts", FakeSTS()).get_caller_identity()["Account"]

    def warn(self, message):
        self.warnings.append(message)
