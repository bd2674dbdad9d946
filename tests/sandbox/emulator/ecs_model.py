"""ECS records the project layer owns (container instances, services, tasks) and their API shapes."""
import collections
import dataclasses
import math
import secrets
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


def deployment_id():
    """ECS's form: ecs-svc/ and 19 digits. Service tasks carry it as their startedBy."""
    return "ecs-svc/" + str(uuid.uuid4().int)[:19]


def task_containers(region, cluster, task_id, definitions, bindings):
    """Container entries of a task, fixed at creation so every describe shows the same ones. runtimeId is the Docker
    container id (64 hex digits); healthStatus is UNKNOWN unless the definition has a healthCheck (botocore's
    Container.healthStatus), and such a container is HEALTHY once running: there is no real check to fail."""
    out = []
    for definition, network_bindings in zip(definitions, bindings):
        container = {"containerArn": "arn:aws:ecs:%s:%s:container/%s/%s/%s"
                     % (region, ACCOUNT_ID, cluster, task_id, new_id()),
                     "name": definition.get("name"), "image": definition.get("image"),
                     "runtimeId": secrets.token_hex(32), "cpu": str(definition.get("cpu", 0)),
                     "healthStatus": "HEALTHY" if definition.get("healthCheck") else "UNKNOWN",
                     "networkBindings": network_bindings}
        for key in ("memory", "memoryReservation"):
            if definition.get(key) is not None:
                container[key] = str(definition[key])
        out.append(container)
    return out


def describe_many(region, cluster, refs, kind, table, shape):
    """DescribeServices / DescribeTasks: (found, failures) for refs given by name, id or ARN, MISSING for the unknown."""
    found, failures = [], []
    for ref in refs:
        item = table.get(ref.split("/")[-1])
        if item is None:
            failures.append({"arn": ref if ref.startswith("arn:") else arn(region, kind, cluster, ref), "reason": "MISSING"})
        else:
            found.append(shape(item))
    return found, failures


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
    used_ports: set = dataclasses.field(default_factory=set)  # (protocol, port) fixed host ports of running tasks

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

    def reserved_ports(self, protocol):
        """Host ports the agent registered as unavailable (PORTS for tcp, PORTS_UDP for udp)."""
        name = "PORTS_UDP" if protocol == "udp" else "PORTS"
        for res in self.registered_resources:
            if res["name"] == name:
                return {int(p) for p in res.get("stringSetValue") or [] if str(p).isdigit()}
        return set()

    def ports_in_use(self, protocol):
        """Reserved ports plus the fixed host ports running tasks hold: what remainingResources lists."""
        return self.reserved_ports(protocol) | {port for proto, port in self.used_ports if proto == protocol}

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
            elif res["name"] in ("PORTS", "PORTS_UDP"):
                protocol = "udp" if res["name"] == "PORTS_UDP" else "tcp"
                copy["stringSetValue"] = [str(p) for p in sorted(self.ports_in_use(protocol))]
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
    deployment: str = None  # id of the service deployment that started it
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
    host_ports: list = dataclasses.field(default_factory=list)  # fixed (protocol, port) it holds on its instance
    health: str = "UNKNOWN"
    enable_execute_command: bool = False
    attributes: list = dataclasses.field(default_factory=list)

    def stop(self, reason, code="UserInitiated"):
        now = time.time()
        self.status = self.desired = "STOPPED"
        self.stopped_at = now
        self.stopped_reason = reason
        self.stop_code = code
        self.version += 1

    def shape(self, with_tags=False):
        containers = [dict(c, taskArn=self.arn, lastStatus=self.status, networkInterfaces=[])
                      for c in self.containers]
        # Tasks start at once (no image pull, no agent round trip): every step of the start happened at creation.
        out = {"taskArn": self.arn, "clusterArn": cluster_arn(self.region, self.cluster),
               "taskDefinitionArn": self.task_definition_arn, "lastStatus": self.status,
               "desiredStatus": self.desired, "cpu": str(self.cpu), "memory": str(self.memory),
               "containers": containers, "version": self.version, "createdAt": self.created,
               "connectivityAt": self.created, "pullStartedAt": self.created, "pullStoppedAt": self.created,
               "startedAt": self.created, "group": self.group, "launchType": self.launch_type,
               "overrides": self.overrides or {"containerOverrides": [], "inferenceAcceleratorOverrides": []},
               "connectivity": "CONNECTED", "attachments": [], "attributes": list(self.attributes),
               "healthStatus": self.health, "enableExecuteCommand": self.enable_execute_command}
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
class Deployment:
    """One task definition rolling out (PRIMARY) or being replaced (ACTIVE); its tasks carry its id."""
    id: str
    task_definition_arn: str
    desired_count: int
    launch_type: str
    created: float
    updated: float = None
    status: str = "PRIMARY"
    rollout_state: str = "IN_PROGRESS"
    failed_tasks: int = 0
    rollout_reason: str = None  # set when the circuit breaker fails it or it rolls back another

    def touch(self):
        self.updated = time.time()

    def shape(self, running):
        # moto 5.2.5 words rolloutStateReason the same way ("ECS deployment <id> in progress." / "... completed.");
        # the API reference documents the field but not the text.
        verb = {"COMPLETED": "completed", "FAILED": "failed"}.get(self.rollout_state, "in progress")
        return {"id": self.id, "status": self.status, "taskDefinition": self.task_definition_arn,
                "desiredCount": self.desired_count, "pendingCount": 0, "runningCount": running,
                "failedTasks": self.failed_tasks, "createdAt": self.created, "updatedAt": self.updated or self.created,
                "launchType": self.launch_type, "rolloutState": self.rollout_state,
                "rolloutStateReason": self.rollout_reason or "ECS deployment %s %s." % (self.id, verb)}


def rolling_bounds(desired, configuration):
    """(minimum running, maximum running) during a deployment: minimumHealthyPercent of the desired count rounded up,
    maximumPercent rounded down (botocore's DeploymentConfiguration documentation)."""
    low = math.ceil(desired * configuration.get("minimumHealthyPercent", 100) / 100)
    high = math.floor(desired * configuration.get("maximumPercent", 200) / 100)
    return low, high


@dataclasses.dataclass
class Service:
    name: str
    arn: str
    cluster: str
    region: str
    desired_count: int
    launch_type: str
    created: float
    tags: dict
    deployment_configuration: dict
    deployments: list  # Deployment, the PRIMARY first
    status: str = "ACTIVE"
    task_ids: set = dataclasses.field(default_factory=set)
    events: collections.deque = dataclasses.field(default_factory=lambda: collections.deque(maxlen=100))
    updated: float = None
    scheduling_strategy: str = "REPLICA"
    placement_constraints: list = dataclasses.field(default_factory=list)
    placement_strategy: list = dataclasses.field(default_factory=list)
    created_by: str = None
    enable_execute_command: bool = False
    completed_task_definition_arn: str = None  # what the circuit breaker rolls back to

    @property
    def primary(self):
        return self.deployments[0]

    @property
    def task_definition_arn(self):
        return self.primary.task_definition_arn

    def deploy(self, task_definition_arn):
        """A new PRIMARY deployment; the previous ones become ACTIVE and are scaled down as it scales up."""
        for old in self.deployments:
            old.status = "ACTIVE"
            old.touch()
        self.deployments.insert(0, Deployment(id=deployment_id(), task_definition_arn=task_definition_arn,
                                              desired_count=self.desired_count, launch_type=self.launch_type,
                                              created=time.time()))

    def event(self, message):
        if self.events and self.events[0]["message"] == message:
            return  # AWS repeats a placement failure only every few minutes; one entry is enough here
        self.events.appendleft({"id": str(uuid.uuid4()), "createdAt": time.time(), "message": message})

    def shape(self, running, with_tags=False):
        """running: {deployment id: running tasks}."""
        self.primary.desired_count = self.desired_count
        deployments = [d.shape(running.get(d.id, 0)) for d in self.deployments] if self.status == "ACTIVE" else []
        out = {"serviceArn": self.arn, "serviceName": self.name, "clusterArn": cluster_arn(self.region, self.cluster),
               "loadBalancers": [], "serviceRegistries": [], "status": self.status,
               "desiredCount": self.desired_count, "runningCount": sum(running.values()), "pendingCount": 0,
               "launchType": self.launch_type, "taskDefinition": self.task_definition_arn,
               "deploymentConfiguration": self.deployment_configuration, "deployments": deployments,
               "events": list(self.events), "createdAt": self.created,
               "placementConstraints": self.placement_constraints, "placementStrategy": self.placement_strategy,
               "schedulingStrategy": self.scheduling_strategy, "deploymentController": {"type": "ECS"},
               "enableECSManagedTags": False, "propagateTags": "NONE",
               "enableExecuteCommand": self.enable_execute_command}
        if self.created_by:
            out["createdBy"] = self.created_by
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
