# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ecs_service's decisions, apart from the calls: the CreateService request, what an UpdateService must change,
and when a deployment has settled."""

import json

from ._errors import FleetError

DEPLOYMENT_KEYS = {"minimum_healthy_percent": "minimumHealthyPercent", "maximum_percent": "maximumPercent"}


def check_params(params, current):
    """Refuse what ECS would refuse, or what would silently do something else, before any call."""
    name, strategy = params["name"], params["scheduling_strategy"]
    if strategy == "DAEMON":
        if params["desired_count"] is not None:
            raise FleetError(f"service {name}: desired_count cannot be given to a DAEMON service, which runs one task on every "
                             "container instance that meets its requirements. Nothing was changed.")
        if params["placement_strategy"]:
            raise FleetError(f"service {name}: placement_strategy does not apply to a DAEMON service (ECS refuses it); use "
                             "placement_constraints to choose hosts. Nothing was changed.")
    if current and current.get("schedulingStrategy", "REPLICA") != strategy:
        raise FleetError(f"service {name} is a {current.get('schedulingStrategy', 'REPLICA')} service and ECS cannot make it {strategy}: "
                         "remove it (state=absent) and create it again. Nothing was changed.")


def deployment_configuration(params, current=None):
    """The deploymentConfiguration: the current one with the given keys replaced."""
    given = params.get("deployment_configuration") or {}
    merged = dict((current or {}).get("deploymentConfiguration") or {})
    for option, key in DEPLOYMENT_KEYS.items():
        if given.get(option) is not None:
            merged[key] = given[option]
    breaker = given.get("circuit_breaker")
    if breaker is not None:
        merged["deploymentCircuitBreaker"] = {"enable": breaker["enable"], "rollback": breaker["rollback"]}
    return merged


def create_request(params, task_definition_arn):
    request = {"cluster": params["cluster"], "serviceName": params["name"], "taskDefinition": task_definition_arn,
               "launchType": "EXTERNAL", "schedulingStrategy": params["scheduling_strategy"],
               "deploymentConfiguration": deployment_configuration(params),
               "placementConstraints": params["placement_constraints"] or [],
               "placementStrategy": params["placement_strategy"] or [],
               "enableExecuteCommand": bool(params["enable_execute_command"])}
    if params["scheduling_strategy"] == "REPLICA":
        request["desiredCount"] = params["desired_count"] if params["desired_count"] is not None else 1
    return {k: v for k, v in request.items() if v not in ([], {})}


def update_request(params, current, task_definition_arn):
    """(UpdateService request, {field: (before, after)}) for what differs; an empty dict when nothing does."""
    changes = {}
    if current["taskDefinition"] != task_definition_arn:
        changes["taskDefinition"] = (current["taskDefinition"], task_definition_arn)
    if params["scheduling_strategy"] == "REPLICA" and params["desired_count"] is not None \
            and current.get("desiredCount") != params["desired_count"]:
        changes["desiredCount"] = (current.get("desiredCount"), params["desired_count"])
    wanted_deployment = deployment_configuration(params, current)
    if wanted_deployment != (current.get("deploymentConfiguration") or {}):
        changes["deploymentConfiguration"] = (current.get("deploymentConfiguration"), wanted_deployment)
    for option, key in (("placement_constraints", "placementConstraints"), ("placement_strategy", "placementStrategy")):
        if params[option] is not None and _sorted(current.get(key)) != _sorted(params[option]):
            changes[key] = (current.get(key) or [], params[option])
    if params["enable_execute_command"] is not None and bool(current.get("enableExecuteCommand")) != params["enable_execute_command"]:
        changes["enableExecuteCommand"] = (bool(current.get("enableExecuteCommand")), params["enable_execute_command"])
    request = {key: after for key, (_before, after) in changes.items()}
    if request or params["force_new_deployment"]:
        request.update(cluster=params["cluster"], service=params["name"])
    if params["force_new_deployment"]:
        request["forceNewDeployment"] = True
    return request, changes


def primary(service):
    return next((d for d in service.get("deployments") or [] if d.get("status") == "PRIMARY"), {})


def steady(service):
    """Settled as ECS means it: one deployment left, as many tasks running as desired, none pending, rollout completed."""
    deployments = service.get("deployments") or []
    current = primary(service)
    return (len(deployments) == 1 and current.get("runningCount") == current.get("desiredCount") == service.get("desiredCount")
            and not current.get("pendingCount") and current.get("rolloutState", "COMPLETED") == "COMPLETED")


def failed_rollout(service, task_definition_arn):
    """Why the deployment of `task_definition_arn` will not settle, or None: the deployment circuit breaker FAILED it
    (with rollback another revision is PRIMARY by then), or ECS settled on another revision (a rollback that completed
    between two polls)."""
    short = task_definition_arn.rsplit("/", 1)[-1]
    current = primary(service)
    failed = next((d for d in service.get("deployments") or []
                   if d.get("rolloutState") == "FAILED" and d.get("taskDefinition") == task_definition_arn), None)
    if failed is not None:
        reason = failed.get("rolloutStateReason") or "no reason given"
        if current.get("taskDefinition") not in (None, task_definition_arn):
            return f"the deployment of {short} FAILED ({reason}); ECS is rolling back to {current['taskDefinition'].rsplit('/', 1)[-1]}"
        return f"the deployment of {short} FAILED ({reason}); ECS starts no more of its tasks"
    if steady(service) and service.get("taskDefinition") not in (None, task_definition_arn):
        return f"ECS settled on {service['taskDefinition'].rsplit('/', 1)[-1]} instead of {short} (its deployment was rolled back)"
    return None


def progress(service):
    """What a waiting operator wants to know, in one line."""
    current = primary(service)
    old = sum(d.get("runningCount", 0) for d in service.get("deployments") or [] if d.get("status") != "PRIMARY")
    text = f"{current.get('runningCount', 0)} of {service.get('desiredCount', 0)} tasks of the new deployment running"
    if current.get("pendingCount"):
        text += f", {current['pendingCount']} pending"
    if old:
        text += f", {old} of the previous deployment still running"
    if current.get("rolloutState") == "FAILED":
        text += f"; the rollout FAILED: {current.get('rolloutStateReason', 'no reason given')}"
    return text


def _sorted(items):
    return sorted(json.dumps(i, sort_keys=True) for i in items or [])
