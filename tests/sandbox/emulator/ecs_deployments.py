"""The service scheduler's pass over one service: keep the desired count (REPLICA) or one task per instance
(DAEMON), and roll deployments out one step per pass within minimumHealthyPercent / maximumPercent.

Passes run lazily, once per ECS call (EcsService.handle), so a client polling DescribeServices watches a rolling
deployment move: new tasks start while the running total stays <= maximumPercent of the desired count, old ones stop
while it stays >= minimumHealthyPercent, never both in one pass. Tasks are RUNNING (and healthy) as soon as they
start, so a started task counts towards the minimum on the next pass.

The deployment circuit breaker, when enabled, fails the PRIMARY deployment once as many of its tasks failed as the
threshold: half the desired count, at least 3 and at most 200 (API reference, ServiceDeploymentCircuitBreaker). A failed
deployment starts no more tasks; with rollback, a new deployment of the last completed task definition replaces it.
Its rolloutStateReason and events are the emulator's wording (ECS documents neither).

Event wordings: "has reached a steady state.", "has stopped N running tasks: (task ID) ...", and "was unable to stop or
start tasks during a deployment because of the service deployment configuration. ..." are the developer guide's
("Service event messages") or quoted from real services in public issue trackers; "has started N tasks: (task ID)"
and "(deployment ID) deployment completed." follow what real services show, which the guide does not list.
"""
import math

from . import ecs_placement
from . import ecs_strategy
from .ecs_model import rolling_bounds
from .errors import AwsError

SCHEDULER = "ServiceSchedulerInitiated"
SCALE_IN_REASON = "Task stopped because the service scaled in."
DEPLOYMENT_REASON = "Task stopped by a new deployment."  # the emulator's wording; ECS's is not documented
CONSTRAINT_REASON = "Task stopped because its container instance no longer meets the placement constraints."
CRASH_REASON = "Essential container in task exited"  # ECS's stoppedReason for an exited essential container
BREAKER_MIN, BREAKER_MAX = 3, 200  # failed tasks that fail a deployment: 0.5 x desired count, within these


class Deployer:
    def __init__(self, scheduler):
        self.scheduler = scheduler

    def step(self, region, cluster, service):
        try:
            definition = self.scheduler.definition(region.name, service.task_definition_arn)
        except AwsError:
            # Deleted under the service's feet: the service cannot start tasks, but every other call must work.
            service.event("(service %s) failed to launch a task: the task definition %s does not exist."
                          % (service.name, service.task_definition_arn))
            return
        self._crash_failing_images(region, cluster, service)
        ask = self.scheduler.service_ask(cluster, service, definition)
        if service.scheduling_strategy == "DAEMON":
            self._evict_unfit(cluster, service, ask)
            service.desired_count = len(self._daemon_hosts(cluster, service, ask))
        self._retire_empty(cluster, service)
        # A failed deployment starts no task; after a rollback trip, the next pass starts the rollback's.
        if self._breaker_trips(service) or service.primary.rollout_state == "FAILED":
            return
        if len(service.deployments) == 1:
            self._steady(region, cluster, service, definition, ask)
        else:
            self._roll(region, cluster, service, definition, ask)
        self._retire_empty(cluster, service)
        self._settle(cluster, service)

    # --- what the service runs ------------------------------------------------------------------------------
    @staticmethod
    def live(cluster, service, deployment=None):
        tasks = [cluster.tasks[t] for t in service.task_ids]
        return [t for t in tasks if deployment is None or t.deployment == deployment.id]

    def counts(self, cluster, service):
        """{deployment id: running tasks}, what Service.shape takes."""
        out = {d.id: 0 for d in service.deployments}
        for task in self.live(cluster, service):
            out[task.deployment] = out.get(task.deployment, 0) + 1
        return out

    def _retire_empty(self, cluster, service):
        """An ACTIVE deployment whose last task stopped is INACTIVE: DescribeServices no longer lists it."""
        busy = {t.deployment for t in self.live(cluster, service)}
        service.deployments[1:] = [d for d in service.deployments[1:] if d.id in busy]

    def _settle(self, cluster, service):
        primary = service.primary
        if len(service.deployments) > 1 or len(self.live(cluster, service, primary)) != service.desired_count:
            return
        service.completed_task_definition_arn = primary.task_definition_arn
        if primary.rollout_state != "COMPLETED":
            primary.rollout_state = "COMPLETED"
            primary.touch()
            service.event("(service %s) (deployment %s) deployment completed." % (service.name, primary.id))
        service.event("(service %s) has reached a steady state." % service.name)

    def _crash_failing_images(self, region, cluster, service):
        failing = set(self.scheduler.ecs.emu.config.failing_images)
        if not failing:
            return
        for task in self.live(cluster, service):
            if any(c.get("image") in failing for c in task.containers):
                self.scheduler.exit_task(region, cluster.name, task.id, CRASH_REASON)

    @staticmethod
    def _breaker_trips(service):
        breaker = service.deployment_configuration.get("deploymentCircuitBreaker") or {}
        primary = service.primary
        if not breaker.get("enable") or primary.rollout_state != "IN_PROGRESS":
            return False
        if primary.failed_tasks < min(BREAKER_MAX, max(BREAKER_MIN, math.ceil(service.desired_count * 0.5))):
            return False
        primary.rollout_state = "FAILED"
        primary.rollout_reason = "ECS deployment circuit breaker: tasks failed to start."
        primary.touch()
        service.event("(service %s) (deployment %s) deployment failed: tasks failed to start." % (service.name, primary.id))
        back_to = service.completed_task_definition_arn
        if breaker.get("rollback") and back_to and back_to != primary.task_definition_arn:
            service.deploy(back_to)
            service.primary.rollout_reason = ("ECS deployment circuit breaker: rolling back to the last completed "
                                              "task definition %s." % back_to)
            service.event("(service %s) rolling back to %s after deployment %s failed."
                          % (service.name, back_to, primary.id))
        return True

    # --- no deployment under way ----------------------------------------------------------------------------
    def _steady(self, region, cluster, service, definition, ask):
        live = self.live(cluster, service)
        surplus = len(live) - service.desired_count
        if surplus > 0:
            # Scale-in takes tasks off draining instances first, then the newest.
            def order(task):
                instance = cluster.instances.get(task.instance_id)
                return (instance is None or instance.status != "DRAINING", -task.created)
            self._stop(cluster, service, sorted(live, key=order)[:surplus], SCALE_IN_REASON)
        missing = service.desired_count - len(live)
        if missing > 0:
            self._fill(region, cluster, service, definition, ask, missing)

    # --- a deployment rolling out ---------------------------------------------------------------------------
    def _roll(self, region, cluster, service, definition, ask):
        desired = service.desired_count
        low, high = rolling_bounds(desired, service.deployment_configuration)
        running = len(self.live(cluster, service))
        wanted = desired - len(self.live(cluster, service, service.primary))
        unplaced = None
        if min(wanted, high - running) > 0:
            started, unplaced = self._fill(region, cluster, service, definition, ask, min(wanted, high - running),
                                           report=False)
            if started:
                return
        retiring = self._retiring(cluster, service)
        stoppable = min(running - low, len(retiring))
        if stoppable > 0:
            self._stop(cluster, service, retiring[:stoppable], DEPLOYMENT_REASON)
        elif unplaced is not None:
            service.event(ecs_placement.unplaced_event(service.name, *unplaced))
        else:
            service.event("(service %s) was unable to stop or start tasks during a deployment because of the service "
                          "deployment configuration. Update the minimumHealthyPercent or maximumPercent value and "
                          "try again." % service.name)

    def _retiring(self, cluster, service):
        """Old deployments' tasks in the order they go: the oldest deployment first, draining instances first."""
        rank = {d.id: -n for n, d in enumerate(service.deployments)}

        def order(task):
            instance = cluster.instances.get(task.instance_id)
            return (rank[task.deployment], instance is None or instance.status != "DRAINING", task.created)
        old = [t for t in self.live(cluster, service) if t.deployment != service.primary.id]
        return sorted(old, key=order)

    # --- starting and stopping ------------------------------------------------------------------------------
    def _fill(self, region, cluster, service, definition, ask, count, report=True):
        """Start up to `count` tasks of the PRIMARY deployment; (tasks started, (closest, reason) or None)."""
        started, unplaced = [], None
        for _ in range(count):
            # Fargate tasks need no container instance (the emulator has no Fargate capacity to run out of).
            instance, unplaced = (None, None) if service.launch_type == "FARGATE" else self._place(cluster, service, ask)
            if unplaced is not None:
                break
            started.append(self.scheduler.start_service_task(region.name, cluster, service, definition, instance))
        if started:
            service.primary.touch()
            service.event("(service %s) has started %d tasks: %s."
                          % (service.name, len(started), " ".join("(task %s)" % t.id for t in started)))
        if unplaced is not None and report:
            service.event(ecs_placement.unplaced_event(service.name, *unplaced))
        return started, unplaced

    def _place(self, cluster, service, ask):
        queryable = self.scheduler.queryable(cluster)
        if service.scheduling_strategy == "DAEMON":
            occupied = {t.instance_id for t in self.live(cluster, service)}
            pool = [i for i in self._daemon_hosts(cluster, service, ask) if i.id not in occupied]
            return ecs_placement.choose(cluster, pool, ask, queryable, rank=lambda i: 0)

        return ecs_placement.choose(cluster, cluster.instances.values(), ask, queryable, rank=ecs_strategy.ranker(cluster, service))

    def _stop(self, cluster, service, tasks, reason):
        for task in tasks:
            self.scheduler.stop(cluster, task, reason, SCHEDULER)
        if tasks:
            for deployment in service.deployments:
                if any(t.deployment == deployment.id for t in tasks):
                    deployment.touch()
                    if deployment is not service.primary:
                        deployment.desired_count = len(self.live(cluster, service, deployment))
            service.event("(service %s) has stopped %d running tasks: %s."
                          % (service.name, len(tasks), " ".join("(task %s)" % t.id for t in tasks)))

    # --- DAEMON ---------------------------------------------------------------------------------------------
    def _daemon_hosts(self, cluster, service, ask):
        """The instances a daemon runs on, their number the service's desired count: those that run its task (a
        DRAINING one until the drain delay stops it) and the ACTIVE ones of its launch type that could take one
        (constraints, resources, ports)."""
        queryable = self.scheduler.queryable(cluster)
        occupied = {t.instance_id for t in self.live(cluster, service)}
        return [i for i in cluster.instances.values()
                if (i.id in occupied and i.status != "INACTIVE")
                or (ecs_placement.eligible(i, service.launch_type)
                    and ecs_placement.failure(cluster, i, ask, queryable) is None)]

    def _evict_unfit(self, cluster, service, ask):
        """ECS re-evaluates a daemon's memberOf constraints against running tasks and stops those that fail them
        (CreateService schedulingStrategy documentation), e.g. after an attribute is deleted."""
        queryable = self.scheduler.queryable(cluster)
        members = [p for kind, p in ask.constraints if kind == "memberOf"]
        unfit = [t for t in self.live(cluster, service) if t.instance_id in cluster.instances
                 and not all(p(queryable(cluster.instances[t.instance_id])) for p in members)]
        self._stop(cluster, service, unfit, CONSTRAINT_REASON)
