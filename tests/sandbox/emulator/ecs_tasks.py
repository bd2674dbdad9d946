"""Tasks and services on container instances: placement (ecs_placement.py: constraints, host ports, CPU and
memory), the service scheduler's passes (ecs_deployments.py: desired count, DAEMON, rolling deployments), and
draining after the configured delay.

Tasks go straight to RUNNING and stay there until something stops them: there are no real containers.
"""
import time

from . import ecs_placement
from .ecs_deployments import Deployer
from .ecs_instances import invalid_next_token, max_results, queryable
from .ecs_model import Task, arn, describe_many, new_id, tags_from, task_containers
from .ecs_services import ServiceOperations
from .errors import AwsError, ecs_invalid
from .pagination import paginate

DRAIN_REASON = "Task stopped because the container instance is being drained."
ORPHAN_REASON = "Container instance was deregistered; the task is no longer managed by ECS."


def requirements(definition):
    """(cpu, memory) a task of this definition reserves: task-level values win over container sums."""
    containers = definition.container_definitions
    cpu = int(definition.cpu) if definition.cpu else sum(int(c.get("cpu") or 0) for c in containers)
    if definition.memory:
        memory = int(definition.memory)
    else:
        memory = sum(int(c.get("memory") or c.get("memoryReservation") or 0) for c in containers)
    return cpu, memory


def task_health(definition):
    """HEALTHY when every essential container has a health check (they pass at once here), else UNKNOWN
    (botocore's Task.healthStatus documentation)."""
    essential = [c for c in definition.container_definitions if c.get("essential", True)]
    return "HEALTHY" if essential and all(c.get("healthCheck") for c in essential) else "UNKNOWN"


class Scheduler(ServiceOperations):
    def __init__(self, ecs):
        self.ecs = ecs
        self.deployer = Deployer(self)

    @property
    def moto(self):
        return self.ecs.emu.moto

    # --- the control loop ----------------------------------------------------------------------------------
    def reconcile(self, region):
        now, delay = time.time(), self.ecs.emu.config.drain_delay
        for cluster in region.clusters.values():
            for instance in cluster.instances.values():
                if instance.status == "DRAINING" and instance.task_ids and now - instance.drain_started >= delay:
                    # Only service tasks are drained; standalone tasks are the user's to stop.
                    for task in [cluster.tasks[t] for t in instance.task_ids]:
                        if task.service:
                            self.stop(cluster, task, DRAIN_REASON, "ServiceSchedulerInitiated")
            for service in cluster.services.values():
                if service.status == "ACTIVE":
                    self.deployer.step(region, cluster, service)

    # --- what the deployer and the API handlers share ------------------------------------------------------
    def definition(self, region_name, ref):
        return self.moto.task_definition(region_name, ref)

    def queryable(self, cluster):
        """The instance as the cluster query language sees it, for memberOf constraints."""
        now, window = time.time(), self.ecs.emu.config.agent_connected_window
        return lambda instance: queryable(cluster, instance, now, window)

    def service_ask(self, cluster, service, definition):
        constraints = self._constraints(definition, service.placement_constraints)
        return ecs_placement.ask_for(definition, requirements(definition), constraints, "service:" + service.name,
                                     service.launch_type)

    def start_service_task(self, region_name, cluster, service, definition, instance):
        return self._start(region_name, cluster, definition, service.launch_type, instance,
                           group="service:" + service.name, service=service, started_by=service.primary.id,
                           execute_command=service.enable_execute_command)

    def _start(self, region_name, cluster, definition, launch_type, instance, group, service=None,
               started_by=None, overrides=None, tags=None, execute_command=False):
        cpu, memory = requirements(definition)
        ident = new_id()
        neighbours = [cluster.tasks[t] for t in instance.task_ids] if instance is not None else []
        bindings = ecs_placement.network_bindings(definition, instance, neighbours) if instance is not None \
            else [[] for _ in definition.container_definitions]
        task = Task(id=ident, arn=arn(region_name, "task", cluster.name, ident), cluster=cluster.name,
                    region=region_name, task_definition_arn=definition.arn, family=definition.family,
                    containers=task_containers(region_name, cluster.name, ident, definition.container_definitions,
                                               bindings),
                    cpu=cpu, memory=memory, launch_type=launch_type, group=group, started_by=started_by,
                    service=service.name if service else None, deployment=service.primary.id if service else None,
                    tags=tags or {}, overrides=overrides, health=task_health(definition),
                    enable_execute_command=bool(execute_command))
        if instance is not None:
            task.instance_id, task.instance_arn = instance.id, instance.arn
            task.host_ports = [(p, port) for _, m, port in ecs_placement.fixed_host_ports(definition) if port
                               for p in [m.get("protocol") or "tcp"]]
            if "ecs.cpu-architecture" in instance.attributes:
                task.attributes = [{"name": "ecs.cpu-architecture",
                                    "value": instance.attributes["ecs.cpu-architecture"]}]
            instance.task_ids.add(ident)
            instance.used_cpu += cpu
            instance.used_memory += memory
            instance.used_ports.update(task.host_ports)
        if service is not None:
            service.task_ids.add(ident)
        cluster.tasks[ident] = task
        return task

    def stop(self, cluster, task, reason, code="UserInitiated"):
        if task.status == "STOPPED":
            return
        task.stop(reason, code)
        instance = cluster.instances.get(task.instance_id)
        if instance is not None and task.id in instance.task_ids:
            instance.task_ids.discard(task.id)
            instance.used_cpu -= task.cpu
            instance.used_memory -= task.memory
            instance.used_ports.difference_update(task.host_ports)
        service = cluster.services.get(task.service) if task.service else None
        if service is not None:
            service.task_ids.discard(task.id)

    def exit_task(self, region, cluster_name, task_ref, reason):
        """Admin hook: the task stops by itself; a service replaces it on the next ECS call."""
        cluster = region.clusters.get((cluster_name or "").split("/")[-1])
        task = cluster.tasks.get(task_ref.split("/")[-1]) if cluster else None
        if task is None:
            raise ValueError("no task %s in cluster %s (%s)" % (task_ref, cluster_name, region.name))
        if task.status != "STOPPED" and task.service in cluster.services:
            for deployment in cluster.services[task.service].deployments:
                if deployment.id == task.deployment and deployment.rollout_state == "IN_PROGRESS":
                    deployment.failed_tasks += 1
        self.stop(cluster, task, reason, "EssentialContainerExited")
        return task.shape()

    def orphan_tasks(self, cluster, instance):
        for task in [cluster.tasks[t] for t in instance.task_ids]:
            self.stop(cluster, task, ORPHAN_REASON, "TaskFailedToStart")

    # --- standalone tasks ----------------------------------------------------------------------------------
    def run_task(self, region, params, req):
        cluster = self.ecs.cluster(region, params.get("cluster"))
        launch_type = params.get("launchType") or "EC2"
        definition = self._definition_for(region, params.get("taskDefinition"), launch_type)
        count = params.get("count", 1)
        if not isinstance(count, int) or isinstance(count, bool):
            raise ecs_invalid("count must be an integer.")
        constraints = self._constraints(definition, params.get("placementConstraints"))
        if launch_type != "FARGATE" and not any(
                i.status != "INACTIVE" and i.external == (launch_type == "EXTERNAL")
                for i in cluster.instances.values()):
            raise ecs_invalid("No Container Instances were found in your cluster.")
        return self._launch(region, cluster, definition, launch_type, params, constraints, [None] * count)

    def start_task(self, region, params, req):
        cluster = self.ecs.cluster(region, params.get("cluster"))
        refs = params.get("containerInstances") or []
        if not refs:
            raise ecs_invalid("containerInstances can not be empty.")
        instances = [self.ecs.instances.get(cluster, ref) for ref in refs]
        launch_type = "EXTERNAL" if instances[0].external else "EC2"
        definition = self._definition_for(region, params.get("taskDefinition"), launch_type)
        # StartTask takes no placementConstraints; whether ECS applies the task definition's memberOf ones to the
        # instances the caller named is not documented: the emulator does.
        constraints = self._constraints(definition, None)
        return self._launch(region, cluster, definition, launch_type, params, constraints, instances)

    def _launch(self, region, cluster, definition, launch_type, params, constraints, targets):
        tasks, failures = [], []
        group = params.get("group") or "family:" + definition.family
        ask = ecs_placement.ask_for(definition, requirements(definition), constraints, group, launch_type)
        for target in targets:
            instance, unplaced = self._choose(cluster, ask, target)
            if instance is None and launch_type != "FARGATE":
                failure = {"reason": unplaced[1]}
                if target is not None:
                    failure["arn"] = target.arn
                failures.append(failure)
                continue
            task = self._start(region.name, cluster, definition, launch_type, instance, group=group,
                               started_by=params.get("startedBy"), overrides=params.get("overrides"),
                               tags=tags_from(params.get("tags")),
                               execute_command=params.get("enableExecuteCommand"))
            tasks.append(task.shape())
        return {"tasks": tasks, "failures": failures}

    def _choose(self, cluster, ask, target):
        """Spread over the cluster (most free memory first), or the instance StartTask named."""
        if ask.launch_type == "FARGATE":
            return None, None
        pool = cluster.instances.values() if target is None else [target]
        return ecs_placement.choose(cluster, pool, ask, self.queryable(cluster),
                                    rank=lambda i: -i.remaining("MEMORY"))

    def stop_task(self, region, params, req):
        cluster = self.ecs.cluster(region, params.get("cluster"))
        task = cluster.tasks.get((params.get("task") or "").split("/")[-1])
        if task is None:
            raise ecs_invalid("The referenced task was not found.")
        self.stop(cluster, task, params.get("reason") or "Task stopped by user", "UserInitiated")
        return {"task": task.shape()}

    def describe_tasks(self, region, params, req):
        cluster = self.ecs.cluster(region, params.get("cluster"))
        refs = params.get("tasks") or []
        if not refs:
            raise ecs_invalid("Tasks cannot be empty.")
        with_tags = "TAGS" in (params.get("include") or [])
        found, failures = describe_many(region.name, cluster.name, refs, "task", cluster.tasks, lambda task: task.shape(with_tags))
        return {"tasks": found, "failures": failures}

    def list_tasks(self, region, params, req):
        cluster = self.ecs.cluster(region, params.get("cluster"))
        desired = params.get("desiredStatus") or "RUNNING"
        if desired not in ("RUNNING", "PENDING", "STOPPED"):
            raise ecs_invalid("desiredStatus should be one of [RUNNING,PENDING,STOPPED].")
        instance_id = None
        if params.get("containerInstance"):
            instance_id = params["containerInstance"].split("/")[-1]
        service_name = (params.get("serviceName") or "").split("/")[-1] or None
        if service_name and service_name not in cluster.services:
            raise AwsError("ServiceNotFoundException", "Service not found.")

        def wanted(task):
            return (task.desired == desired
                    and (instance_id is None or task.instance_id == instance_id)
                    and (service_name is None or task.service == service_name)
                    and (not params.get("family") or task.family == params["family"])
                    and (not params.get("startedBy") or task.started_by == params["startedBy"])
                    and (not params.get("launchType") or task.launch_type == params["launchType"]))
        selected = [t.arn for t in cluster.tasks.values() if wanted(t)]
        page, token = paginate(selected, max_results(params), params.get("nextToken"), invalid_next_token)
        out = {"taskArns": page}
        if token:
            out["nextToken"] = token
        return out
