"""Tasks and services on container instances: placement by remaining CPU/MEMORY, the service scheduler
(desired count, new deployments, replacing stopped tasks) and draining after the configured delay.

Tasks go straight to RUNNING and stay there until something stops them: there are no real containers.
"""
import time

from .ecs_instances import invalid_next_token, max_results
from .ecs_model import Service, Task, arn, new_id, tags_from, task_containers
from .errors import AwsError, ecs_invalid
from .pagination import paginate

LAUNCH_TYPES = {"EC2", "EXTERNAL", "FARGATE"}
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


class Scheduler:
    def __init__(self, ecs):
        self.ecs = ecs

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
                            self._stop(cluster, task, DRAIN_REASON, "ServiceSchedulerInitiated")
            for service in cluster.services.values():
                if service.status == "ACTIVE":
                    self._converge(region, cluster, service)

    def _converge(self, region, cluster, service):
        tasks = [cluster.tasks[t] for t in service.task_ids]
        for task in tasks:
            if task.task_definition_arn != service.task_definition_arn:
                self._stop(cluster, task, "Task stopped by a new deployment.", "ServiceSchedulerInitiated")
        surplus = len(service.task_ids) - service.desired_count
        if surplus > 0:
            # Scale-in takes tasks off draining instances first, then the newest.
            def order(task):
                instance = cluster.instances.get(task.instance_id)
                return (instance is None or instance.status != "DRAINING", -task.created)
            for task in sorted((cluster.tasks[t] for t in service.task_ids), key=order)[:surplus]:
                self._stop(cluster, task, "Task stopped because the service scaled in.", "ServiceSchedulerInitiated")
        missing = service.desired_count - len(service.task_ids)
        if missing <= 0:
            return
        try:
            definition = self.moto.task_definition(region.name, service.task_definition_arn)
        except AwsError:
            # Deleted under the service's feet: the service cannot start tasks, but every other call must work.
            service.event("(service %s) failed to launch a task: the task definition %s does not exist."
                          % (service.name, service.task_definition_arn))
            return
        started, stuck = 0, False
        for _ in range(missing):
            instance, _reason = self._choose(cluster, definition, service.launch_type, service)
            if instance is None and service.launch_type != "FARGATE":
                stuck = True
                break
            self._start(region.name, cluster, definition, service.launch_type, instance,
                        group="service:" + service.name, service=service, started_by=service.deployment_id)
            started += 1
        if started:
            service.event("(service %s) has started %d tasks." % (service.name, started))
        if stuck:
            service.event("(service %s) was unable to place a task because no container instance met all of "
                          "its requirements." % service.name)
        if len(service.task_ids) == service.desired_count:
            service.event("(service %s) has reached a steady state." % service.name)

    def _choose(self, cluster, definition, launch_type, service=None, candidates=None):
        """Spread placement: fewest tasks of this service, then most free memory. Returns (instance, reason)."""
        if launch_type == "FARGATE":
            return None, None
        cpu, memory = requirements(definition)
        best, best_key, reason = None, None, "RESOURCE:CPU"
        pool = candidates if candidates is not None else cluster.instances.values()
        for instance in pool:
            if instance.status != "ACTIVE" or instance.external != (launch_type == "EXTERNAL"):
                continue
            if instance.remaining("CPU") < cpu:
                reason = "RESOURCE:CPU"
                continue
            if instance.remaining("MEMORY") < memory:
                reason = "RESOURCE:MEMORY"
                continue
            mine = sum(1 for t in instance.task_ids if service and t in service.task_ids)
            key = (mine, -instance.remaining("MEMORY"))
            if best is None or key < best_key:
                best, best_key = instance, key
        return best, (None if best else reason)

    def _start(self, region_name, cluster, definition, launch_type, instance, group, service=None,
               started_by=None, overrides=None, tags=None):
        cpu, memory = requirements(definition)
        ident = new_id()
        task = Task(id=ident, arn=arn(region_name, "task", cluster.name, ident), cluster=cluster.name,
                    region=region_name, task_definition_arn=definition.arn, family=definition.family,
                    containers=task_containers(region_name, cluster.name, ident, definition.container_definitions),
                    cpu=cpu, memory=memory, launch_type=launch_type, group=group, started_by=started_by,
                    service=service.name if service else None, tags=tags or {}, overrides=overrides)
        if instance is not None:
            task.instance_id, task.instance_arn = instance.id, instance.arn
            instance.task_ids.add(ident)
            instance.used_cpu += cpu
            instance.used_memory += memory
        if service is not None:
            service.task_ids.add(ident)
        cluster.tasks[ident] = task
        return task

    def _stop(self, cluster, task, reason, code="UserInitiated"):
        if task.status == "STOPPED":
            return
        task.stop(reason, code)
        instance = cluster.instances.get(task.instance_id)
        if instance is not None and task.id in instance.task_ids:
            instance.task_ids.discard(task.id)
            instance.used_cpu -= task.cpu
            instance.used_memory -= task.memory
        service = cluster.services.get(task.service) if task.service else None
        if service is not None:
            service.task_ids.discard(task.id)

    def exit_task(self, region, cluster_name, task_ref, reason):
        """Admin hook: the task stops by itself; a service replaces it on the next ECS call."""
        cluster = region.clusters.get((cluster_name or "").split("/")[-1])
        task = cluster.tasks.get(task_ref.split("/")[-1]) if cluster else None
        if task is None:
            raise ValueError("no task %s in cluster %s (%s)" % (task_ref, cluster_name, region.name))
        self._stop(cluster, task, reason, "EssentialContainerExited")
        return task.shape()

    def orphan_tasks(self, cluster, instance):
        for task in [cluster.tasks[t] for t in instance.task_ids]:
            self._stop(cluster, task, ORPHAN_REASON, "TaskFailedToStart")

    # --- services ------------------------------------------------------------------------------------------
    def _definition_for(self, region, ref, launch_type):
        definition = self.moto.task_definition(region.name, ref)
        if launch_type not in LAUNCH_TYPES:
            raise ecs_invalid("launchType should be one of [EC2,FARGATE,EXTERNAL].")
        compatible = set(getattr(definition, "compatibilities", None) or ["EC2"])
        if launch_type not in compatible:
            raise ecs_invalid("Task definition does not support launch_type %s." % launch_type)
        return definition

    def _service(self, cluster, ref, active=True):
        service = cluster.services.get((ref or "").split("/")[-1])
        if service is None:
            raise AwsError("ServiceNotFoundException", "Service not found.")
        if active and service.status != "ACTIVE":
            raise AwsError("ServiceNotActiveException", "Service was not ACTIVE.")
        return service

    def create_service(self, region, params, req):
        cluster = self.ecs.cluster(region, params.get("cluster"))
        name = params.get("serviceName")
        if not name:
            raise ecs_invalid("serviceName can not be blank.")
        existing = cluster.services.get(name)
        if existing is not None and existing.status != "INACTIVE":
            raise ecs_invalid("Creation of service was not idempotent.")
        launch_type = params.get("launchType") or "EC2"
        definition = self._definition_for(region, params.get("taskDefinition"), launch_type)
        desired = params.get("desiredCount", 0)
        if not isinstance(desired, int) or desired < 0:
            raise ecs_invalid("desiredCount must be a non-negative integer.")
        if params.get("schedulingStrategy", "REPLICA") != "REPLICA":
            raise ecs_invalid("Only the REPLICA scheduling strategy is emulated.")
        now = time.time()
        deployment = {"maximumPercent": 200, "minimumHealthyPercent": 100,
                      "deploymentCircuitBreaker": {"enable": False, "rollback": False}}
        deployment.update(params.get("deploymentConfiguration") or {})
        service = Service(name=name, arn=arn(region.name, "service", cluster.name, name), cluster=cluster.name,
                          region=region.name, task_definition_arn=definition.arn, desired_count=desired,
                          launch_type=launch_type, created=now, tags=tags_from(params.get("tags")),
                          deployment_configuration=deployment,
                          placement_constraints=params.get("placementConstraints") or [],
                          placement_strategy=params.get("placementStrategy") or [])
        if existing is not None:
            del cluster.services[name]
        cluster.services[name] = service
        self._converge(region, cluster, service)
        return {"service": service.shape(len(service.task_ids))}

    def update_service(self, region, params, req):
        cluster = self.ecs.cluster(region, params.get("cluster"))
        service = self._service(cluster, params.get("service"))
        if params.get("desiredCount") is not None:
            if not isinstance(params["desiredCount"], int) or params["desiredCount"] < 0:
                raise ecs_invalid("desiredCount must be a non-negative integer.")
            service.desired_count = params["desiredCount"]
        if params.get("taskDefinition"):
            definition = self._definition_for(region, params["taskDefinition"], service.launch_type)
            if definition.arn != service.task_definition_arn:
                service.task_definition_arn = definition.arn
                params["forceNewDeployment"] = True
        if params.get("deploymentConfiguration"):
            service.deployment_configuration.update(params["deploymentConfiguration"])
        if params.get("forceNewDeployment"):
            service.deployment_id = "ecs-svc/" + str(int(new_id(), 16))[:19]
            for task in [cluster.tasks[t] for t in service.task_ids]:
                self._stop(cluster, task, "Task stopped by a new deployment.", "ServiceSchedulerInitiated")
        service.updated = time.time()
        self._converge(region, cluster, service)
        return {"service": service.shape(len(service.task_ids))}

    def delete_service(self, region, params, req):
        cluster = self.ecs.cluster(region, params.get("cluster"))
        service = self._service(cluster, params.get("service"))
        if service.desired_count > 0 and not params.get("force"):
            raise ecs_invalid("The service cannot be stopped while it is scaled above 0.")
        for task in [cluster.tasks[t] for t in service.task_ids]:
            self._stop(cluster, task, "Service deleted.", "ServiceSchedulerInitiated")
        service.desired_count = 0
        service.status = "DRAINING"
        shape = service.shape(0)
        # No tasks are left to drain, so the service is INACTIVE from the next call on.
        service.status = "INACTIVE"
        return {"service": shape}

    def describe_services(self, region, params, req):
        cluster = self.ecs.cluster(region, params.get("cluster"))
        refs = params.get("services") or []
        if not refs:
            raise ecs_invalid("services can not be empty.")
        with_tags = "TAGS" in (params.get("include") or [])
        found, failures = [], []
        for ref in refs:
            service = cluster.services.get(ref.split("/")[-1])
            if service is None:
                full = ref if ref.startswith("arn:") else arn(region.name, "service", cluster.name, ref)
                failures.append({"arn": full, "reason": "MISSING"})
            else:
                found.append(service.shape(len(service.task_ids), with_tags))
        return {"services": found, "failures": failures}

    def list_services(self, region, params, req):
        cluster = self.ecs.cluster(region, params.get("cluster"))
        launch_type = params.get("launchType")
        selected = [s.arn for s in cluster.services.values()
                    if s.status == "ACTIVE" and (launch_type is None or s.launch_type == launch_type)]
        page, token = paginate(selected, max_results(params, 10), params.get("nextToken"), invalid_next_token)
        out = {"serviceArns": page}
        if token:
            out["nextToken"] = token
        return out

    # --- standalone tasks ----------------------------------------------------------------------------------
    def run_task(self, region, params, req):
        cluster = self.ecs.cluster(region, params.get("cluster"))
        launch_type = params.get("launchType") or "EC2"
        definition = self._definition_for(region, params.get("taskDefinition"), launch_type)
        count = params.get("count", 1)
        if not isinstance(count, int) or isinstance(count, bool):
            raise ecs_invalid("count must be an integer.")
        if launch_type != "FARGATE" and not any(
                i.status != "INACTIVE" and i.external == (launch_type == "EXTERNAL")
                for i in cluster.instances.values()):
            raise ecs_invalid("No Container Instances were found in your cluster.")
        return self._launch(region, cluster, definition, launch_type, params, [None] * count)

    def start_task(self, region, params, req):
        cluster = self.ecs.cluster(region, params.get("cluster"))
        refs = params.get("containerInstances") or []
        if not refs:
            raise ecs_invalid("containerInstances can not be empty.")
        instances = [self.ecs.instances.get(cluster, ref) for ref in refs]
        launch_type = "EXTERNAL" if instances[0].external else "EC2"
        definition = self._definition_for(region, params.get("taskDefinition"), launch_type)
        return self._launch(region, cluster, definition, launch_type, params, instances)

    def _launch(self, region, cluster, definition, launch_type, params, targets):
        tasks, failures = [], []
        group = params.get("group") or "family:" + definition.family
        for target in targets:
            instance, reason = self._choose(cluster, definition, launch_type,
                                            candidates=None if target is None else [target])
            if reason:
                failure = {"reason": reason}
                if target is not None:
                    failure["arn"] = target.arn
                failures.append(failure)
                continue
            task = self._start(region.name, cluster, definition, launch_type, instance, group=group,
                               started_by=params.get("startedBy"), overrides=params.get("overrides"),
                               tags=tags_from(params.get("tags")))
            tasks.append(task.shape())
        return {"tasks": tasks, "failures": failures}

    def stop_task(self, region, params, req):
        cluster = self.ecs.cluster(region, params.get("cluster"))
        task = cluster.tasks.get((params.get("task") or "").split("/")[-1])
        if task is None:
            raise ecs_invalid("The referenced task was not found.")
        self._stop(cluster, task, params.get("reason") or "Task stopped by user", "UserInitiated")
        return {"task": task.shape()}

    def describe_tasks(self, region, params, req):
        cluster = self.ecs.cluster(region, params.get("cluster"))
        refs = params.get("tasks") or []
        if not refs:
            raise ecs_invalid("Tasks cannot be empty.")
        with_tags = "TAGS" in (params.get("include") or [])
        found, failures = [], []
        for ref in refs:
            task = cluster.tasks.get(ref.split("/")[-1])
            if task is None:
                full = ref if ref.startswith("arn:") else arn(region.name, "task", cluster.name, ref)
                failures.append({"arn": full, "reason": "MISSING"})
            else:
                found.append(task.shape(with_tags))
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
