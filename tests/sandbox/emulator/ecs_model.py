"""ECS records the project layer owns (container instances, services, tasks) and their API shapes."""
import collections
import dataclasses
import time
import uuid

from .moto_bridge import ACCOUNT_ID

DEFAULT_RESOURCES = {"CPU": 2048, "MEMORY": 3904}
DEFAULT_PORTS = ["22", "2375", "2376", "51678", "51679"]


def new_id():
    return uuid.uuid4().hex


def arn(region, kind, cluster, name):
    return "arn:aws:ecs:%s:%s:%s/%s/%s" % (region, ACCOUNT_ID, kind, cluster, name)


def cluster_arn(region, cluster):
    return "arn:aws:ecs:%s:%s:cluster/%s" % (region, ACCOUNT_ID, cluster)


def task_containers(region, cluster, task_id, definitions):
    """Container entries of a task, with ARNs fixed at creation so every describe shows the same ones."""
    return [{"containerArn": "arn:aws:ecs:%s:%s:container/%s/%s/%s" % (region, ACCOUNT_ID, cluster, task_id, new_id()),
             "name": d.get("name"), "image": d.get("image"), "cpu": str(d.get("cpu", 0))} for d in definitions]


def tags_shape(tags):
    return [{"key": k, "value": v} for k, v in tags.items()]


def tags_from(items):
    return {t["key"]: t.get("value", "") for t in items or []}


def normalise_resources(total):
    """Registered resources as AWS reports them; the agent normally sends CPU, MEMORY, PORTS, PORTS_UDP."""
    by_name = {r["name"]: dict(r) for r in total or [] if r.get("name")}
    for name, value in DEFAULT_RESOURCES.items():
        by_name.setdefault(name, {"name": name, "type": "INTEGER", "integerValue": value})
    by_name.setdefault("PORTS", {"name": "PORTS", "type": "STRINGSET", "stringSetValue": list(DEFAULT_PORTS)})
    by_name.setdefault("PORTS_UDP", {"name": "PORTS_UDP", "type": "STRINGSET", "stringSetValue": []})
    for res in by_name.values():
        res.setdefault("type", "STRINGSET" if "stringSetValue" in res else "INTEGER")
        res.setdefault("doubleValue", 0.0)
        res.setdefault("longValue", 0)
        res.setdefault("integerValue", 0)
    return list(by_name.values())


@dataclasses.dataclass
class ContainerInstance:
    id: str
    arn: str
    cluster: str
    ec2_instance_id: str
    registered_resources: list
    version_info: dict
    attributes: dict
    tags: dict
    registered_at: float
    status: str = "ACTIVE"
    status_reason: str = None
    last_poll: float = None
    always_connected: bool = False
    drain_started: float = None
    version: int = 1
    used_cpu: int = 0
    used_memory: int = 0
    task_ids: set = dataclasses.field(default_factory=set)

    @property
    def external(self):
        return self.ec2_instance_id.startswith("mi-")

    def capacity(self, name):
        for res in self.registered_resources:
            if res["name"] == name:
                return res.get("integerValue", 0)
        return 0

    def remaining(self, name):
        used = {"CPU": self.used_cpu, "MEMORY": self.used_memory}.get(name, 0)
        return self.capacity(name) - used

    def connected(self, now, window):
        if self.status == "INACTIVE":
            return False
        return self.always_connected or (self.last_poll is not None and now - self.last_poll <= window)

    def attribute_list(self):
        return [{"name": k, "value": v} if v is not None else {"name": k} for k, v in self.attributes.items()]

    def shape(self, now, window, running, with_tags=False, with_health=False):
        remaining = []
        for res in self.registered_resources:
            copy = dict(res)
            if res["name"] in ("CPU", "MEMORY"):
                copy["integerValue"] = self.remaining(res["name"])
            remaining.append(copy)
        out = {"containerInstanceArn": self.arn, "ec2InstanceId": self.ec2_instance_id, "version": self.version,
               "versionInfo": dict(self.version_info), "remainingResources": remaining,
               "registeredResources": [dict(r) for r in self.registered_resources], "status": self.status,
               "agentConnected": self.connected(now, window), "runningTasksCount": running,
               "pendingTasksCount": 0, "attributes": self.attribute_list(), "registeredAt": self.registered_at,
               "attachments": []}
        if self.status_reason:
            out["statusReason"] = self.status_reason
        if with_tags:
            out["tags"] = tags_shape(self.tags)
        if with_health:
            out["healthStatus"] = {"overallStatus": "OK" if out["agentConnected"] else "INSUFFICIENT_DATA",
                                   "details": []}
        return out


@dataclasses.dataclass
class Task:
    id: str
    arn: str
    cluster: str
    region: str
    task_definition_arn: str
    family: str
    containers: list
    cpu: int
    memory: int
    launch_type: str
    group: str
    started_by: str = None
    service: str = None
    instance_id: str = None
    instance_arn: str = None
    tags: dict = dataclasses.field(default_factory=dict)
    overrides: dict = None
    status: str = "RUNNING"
    desired: str = "RUNNING"
    created: float = dataclasses.field(default_factory=time.time)
    stopped_at: float = None
    stopped_reason: str = None
    stop_code: str = None
    version: int = 1

    def stop(self, reason, code="UserInitiated"):
        now = time.time()
        self.status = self.desired = "STOPPED"
        self.stopped_at = now
        self.stopped_reason = reason
        self.stop_code = code
        self.version += 1

    def shape(self, with_tags=False):
        containers = [dict(c, taskArn=self.arn, lastStatus=self.status, networkBindings=[], networkInterfaces=[])
                      for c in self.containers]
        out = {"taskArn": self.arn, "clusterArn": cluster_arn(self.region, self.cluster),
               "taskDefinitionArn": self.task_definition_arn, "lastStatus": self.status,
               "desiredStatus": self.desired, "cpu": str(self.cpu), "memory": str(self.memory),
               "containers": containers, "version": self.version, "createdAt": self.created,
               "startedAt": self.created, "group": self.group, "launchType": self.launch_type,
               "overrides": self.overrides or {"containerOverrides": [], "inferenceAcceleratorOverrides": []},
               "connectivity": "CONNECTED", "attachments": [], "attributes": [], "healthStatus": "UNKNOWN"}
        if self.instance_arn:
            out["containerInstanceArn"] = self.instance_arn
        if self.started_by:
            out["startedBy"] = self.started_by
        if self.status == "STOPPED":
            out.update(stoppedAt=self.stopped_at, stoppingAt=self.stopped_at, executionStoppedAt=self.stopped_at,
                       stoppedReason=self.stopped_reason, stopCode=self.stop_code)
        if with_tags:
            out["tags"] = tags_shape(self.tags)
        return out


@dataclasses.dataclass
class Service:
    name: str
    arn: str
    cluster: str
    region: str
    task_definition_arn: str
    desired_count: int
    launch_type: str
    created: float
    tags: dict
    deployment_configuration: dict
    status: str = "ACTIVE"
    task_ids: set = dataclasses.field(default_factory=set)
    events: collections.deque = dataclasses.field(default_factory=lambda: collections.deque(maxlen=100))
    deployment_id: str = dataclasses.field(default_factory=lambda: "ecs-svc/" + str(uuid.uuid4().int)[:19])
    updated: float = None
    scheduling_strategy: str = "REPLICA"
    placement_constraints: list = dataclasses.field(default_factory=list)
    placement_strategy: list = dataclasses.field(default_factory=list)

    def event(self, message):
        if self.events and self.events[0]["message"] == message:
            return  # AWS repeats a placement failure only every few minutes; one entry is enough here
        self.events.appendleft({"id": str(uuid.uuid4()), "createdAt": time.time(), "message": message})

    def shape(self, running, with_tags=False):
        deployment = {"id": self.deployment_id, "status": "PRIMARY", "taskDefinition": self.task_definition_arn,
                      "desiredCount": self.desired_count, "pendingCount": 0, "runningCount": running,
                      "failedTasks": 0, "createdAt": self.created, "updatedAt": self.updated or self.created,
                      "launchType": self.launch_type,
                      "rolloutState": "COMPLETED" if running == self.desired_count else "IN_PROGRESS"}
        out = {"serviceArn": self.arn, "serviceName": self.name, "clusterArn": cluster_arn(self.region, self.cluster),
               "loadBalancers": [], "serviceRegistries": [], "status": self.status,
               "desiredCount": self.desired_count, "runningCount": running, "pendingCount": 0,
               "launchType": self.launch_type, "taskDefinition": self.task_definition_arn,
               "deploymentConfiguration": self.deployment_configuration,
               "deployments": [deployment] if self.status == "ACTIVE" else [], "events": list(self.events),
               "createdAt": self.created, "placementConstraints": self.placement_constraints,
               "placementStrategy": self.placement_strategy, "schedulingStrategy": self.scheduling_strategy,
               "enableECSManagedTags": False, "propagateTags": "NONE", "enableExecuteCommand": False}
        if with_tags:
            out["tags"] = tags_shape(self.tags)
        return out


class ClusterState:
    """What the layer keeps per cluster; moto keeps the cluster itself."""

    def __init__(self, name):
        self.name = name
        self.instances = collections.OrderedDict()  # id -> ContainerInstance, registration order
        self.services = collections.OrderedDict()   # name -> Service
        self.tasks = collections.OrderedDict()      # id -> Task
        self.seeded = 0

    def running_tasks(self):
        return sum(1 for t in self.tasks.values() if t.status == "RUNNING")

    def active_instances(self):
        return sum(1 for i in self.instances.values() if i.status != "INACTIVE")

    def active_services(self):
        return sum(1 for s in self.services.values() if s.status == "ACTIVE")

    def statistics(self):
        """DescribeClusters include=STATISTICS: counts by launch type, values as strings. AWS documents the EC2 and
        Fargate names; EXTERNAL tasks and services get the same names with External."""
        out = []
        for kind, launch_type in (("EC2", "EC2"), ("Fargate", "FARGATE"), ("External", "EXTERNAL")):
            running = sum(1 for t in self.tasks.values() if t.status == "RUNNING" and t.launch_type == launch_type)
            out += [{"name": "running%sTasksCount" % kind, "value": str(running)},
                    {"name": "pending%sTasksCount" % kind, "value": "0"}]
        for kind, launch_type in (("EC2", "EC2"), ("Fargate", "FARGATE"), ("External", "EXTERNAL")):
            services = [s for s in self.services.values() if s.launch_type == launch_type]
            out += [{"name": "active%sServiceCount" % kind, "value": str(sum(s.status == "ACTIVE" for s in services))},
                    {"name": "draining%sServiceCount" % kind,
                     "value": str(sum(s.status == "DRAINING" for s in services))}]
        return out
