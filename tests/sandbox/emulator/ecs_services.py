"""Service operations (CreateService, UpdateService, DeleteService, DescribeServices, ListServices): what they accept
and refuse, and what they answer. The scheduler's passes over a service are in ecs_deployments.py.

A mixin of ecs_tasks.Scheduler (ecs.py dispatches every service and task operation to the scheduler)."""
import time

from . import ecs_placement
from . import ecs_strategy
from .ecs_instances import invalid_next_token, max_results
from .ecs_model import Service, arn, describe_many, tags_from
from .ecs_task_definitions import ACCOUNT_ROOT
from .errors import AwsError, ecs_invalid
from .pagination import paginate

LAUNCH_TYPES = {"EC2", "EXTERNAL", "FARGATE"}
STRATEGIES = ("REPLICA", "DAEMON")
# ECS's own wordings, quoted from its answers by users of the API (kayac/ecspresso#20,
# hashicorp/terraform-provider-aws#4825, kayac/ecspresso#402); AWS sends them without a final full stop.
DAEMON_DESIRED = ("The daemon scheduling strategy does not support a desired count for services. "
                  "Remove the desired count value and try again")
DAEMON_MAXIMUM = ("The daemon scheduling strategy does not support values above 100 for maximumPercent on a deployment "
                  "configuration. Change the maximumPercent value to 100, and try again")
DAEMON_STRATEGY = ("The daemon scheduling strategy does not support placement strategies. "
                   "Remove the placement strategy and try again")


def deployment_defaults(strategy):
    """What ECS fills in: REPLICA 200 / 100, DAEMON 100 / 0 (botocore's DeploymentConfiguration documentation)."""
    maximum, minimum = (100, 0) if strategy == "DAEMON" else (200, 100)
    return {"maximumPercent": maximum, "minimumHealthyPercent": minimum,
            "deploymentCircuitBreaker": {"enable": False, "rollback": False}}


def merged_configuration(current, update):
    """deploymentConfiguration with an update applied (the circuit breaker as given; ecs_deployments trips it)."""
    merged = dict(current)
    merged.update({k: v for k, v in (update or {}).items() if v is not None})
    return merged


def _check_desired(value):
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ecs_invalid("desiredCount must be a non-negative integer.")


def _check_daemon(params, configuration, launch_type=None):
    """What a DAEMON service refuses, as ECS words it (the Fargate and controller wordings are the emulator's)."""
    if params.get("desiredCount") is not None:
        raise ecs_invalid(DAEMON_DESIRED)
    if params.get("placementStrategy"):
        raise ecs_invalid(DAEMON_STRATEGY)
    if (configuration.get("maximumPercent") or 0) > 100:
        raise ecs_invalid(DAEMON_MAXIMUM)
    if launch_type == "FARGATE":
        raise ecs_invalid("The daemon scheduling strategy is not supported with the FARGATE launch type.")


def _check_controller(params):
    controller = (params.get("deploymentController") or {}).get("type", "ECS")
    if controller != "ECS":
        # CODE_DEPLOY and EXTERNAL deployments (task sets) are not emulated; this refusal is the emulator's.
        raise ecs_invalid("Only the ECS deployment controller is emulated, not %s." % controller)


class ServiceOperations:
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

    def _answer(self, cluster, service, with_tags=False):
        return service.shape(self.deployer.counts(cluster, service), with_tags)

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
        strategy = params.get("schedulingStrategy") or "REPLICA"
        if strategy not in STRATEGIES:
            raise ecs_invalid("schedulingStrategy should be one of [REPLICA,DAEMON].")
        configuration = merged_configuration(deployment_defaults(strategy), params.get("deploymentConfiguration"))
        _check_controller(params)
        if strategy == "DAEMON":
            _check_daemon(params, configuration, launch_type)
        else:
            _check_desired(params.get("desiredCount", 0))
        self._constraints(definition, params.get("placementConstraints"))  # refuses malformed ones now
        ecs_strategy.check(params.get("placementStrategy"))
        principal = getattr(req, "principal", None)
        service = Service(name=name, arn=arn(region.name, "service", cluster.name, name), cluster=cluster.name,
                          region=region.name, desired_count=params.get("desiredCount") or 0,
                          launch_type=launch_type, created=time.time(), tags=tags_from(params.get("tags")),
                          deployment_configuration=configuration, deployments=[],
                          scheduling_strategy=strategy,
                          placement_constraints=params.get("placementConstraints") or [],
                          placement_strategy=params.get("placementStrategy") or [],
                          created_by=getattr(principal, "arn", None) or ACCOUNT_ROOT,
                          enable_execute_command=bool(params.get("enableExecuteCommand")))
        service.deploy(definition.arn)
        if existing is not None:
            del cluster.services[name]
        cluster.services[name] = service
        self.deployer.step(region, cluster, service)
        return {"service": self._answer(cluster, service)}

    def update_service(self, region, params, req):
        cluster = self.ecs.cluster(region, params.get("cluster"))
        service = self._service(cluster, params.get("service"))
        configuration = merged_configuration(service.deployment_configuration, params.get("deploymentConfiguration"))
        if service.scheduling_strategy == "DAEMON":
            _check_daemon(params, configuration)
        elif params.get("desiredCount") is not None:
            _check_desired(params["desiredCount"])
        _check_controller(params)
        ecs_strategy.check(params.get("placementStrategy"))
        definition = None
        if params.get("taskDefinition"):
            definition = self._definition_for(region, params["taskDefinition"], service.launch_type)
        constraints = params.get("placementConstraints")
        if definition is not None or constraints is not None:
            self._constraints(definition, service.placement_constraints if constraints is None else constraints)
        # Everything is checked: apply.
        if params.get("desiredCount") is not None:
            service.desired_count = params["desiredCount"]
        if constraints is not None:
            service.placement_constraints = constraints
        if params.get("placementStrategy") is not None:
            service.placement_strategy = params["placementStrategy"]
        if params.get("enableExecuteCommand") is not None:
            service.enable_execute_command = bool(params["enableExecuteCommand"])
        service.deployment_configuration = configuration
        service.updated = time.time()
        target = definition.arn if definition is not None else service.task_definition_arn
        if target != service.task_definition_arn or params.get("forceNewDeployment"):
            # The rollout happens on the following calls, one step each, as a client polling the service sees it.
            service.deploy(target)
        else:
            self.deployer.step(region, cluster, service)
        return {"service": self._answer(cluster, service)}

    def delete_service(self, region, params, req):
        cluster = self.ecs.cluster(region, params.get("cluster"))
        service = self._service(cluster, params.get("service"))
        if service.scheduling_strategy == "REPLICA" and service.desired_count > 0 and not params.get("force"):
            raise ecs_invalid("The service cannot be stopped while it is scaled above 0.")
        for task in self.deployer.live(cluster, service):
            self.stop(cluster, task, "Service deleted.", "ServiceSchedulerInitiated")
        service.desired_count = 0
        service.status = "DRAINING"
        shape = self._answer(cluster, service)
        # No tasks are left to drain, so the service is INACTIVE from the next call on.
        service.status = "INACTIVE"
        return {"service": shape}

    def describe_services(self, region, params, req):
        cluster = self.ecs.cluster(region, params.get("cluster"))
        refs = params.get("services") or []
        if not refs:
            raise ecs_invalid("services can not be empty.")
        with_tags = "TAGS" in (params.get("include") or [])
        found, failures = describe_many(region.name, cluster.name, refs, "service", cluster.services,
                                        lambda service: self._answer(cluster, service, with_tags))
        return {"services": found, "failures": failures}

    def list_services(self, region, params, req):
        cluster = self.ecs.cluster(region, params.get("cluster"))
        launch_type = params.get("launchType")
        strategy = params.get("schedulingStrategy")
        selected = [s.arn for s in cluster.services.values()
                    if s.status == "ACTIVE" and (launch_type is None or s.launch_type == launch_type)
                    and (strategy is None or s.scheduling_strategy == strategy)]
        page, token = paginate(selected, max_results(params, 10), params.get("nextToken"), invalid_next_token)
        out = {"serviceArns": page}
        if token:
            out["nextToken"] = token
        return out

    @staticmethod
    def _constraints(definition, requested):
        """Compiled constraints of the request and the task definition; refuses malformed ones and more than ten."""
        own = getattr(definition, "placement_constraints", None) or []
        ecs_placement.check_constraint_count(requested, own)
        return ecs_placement.compile_constraints(list(requested or []) + list(own))
