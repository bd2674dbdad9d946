"""ecs_service's decisions: requests, what an update changes, refusals, and when a deployment has settled."""
import pytest

from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._errors import FleetError
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._service_plan import check_params
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._service_plan import create_request
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._service_plan import failed_rollout
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._service_plan import progress
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._service_plan import steady
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._service_plan import update_request

TD1 = "arn:aws:ecs:us-east-1:123456789012:task-definition/app:1"
TD2 = "arn:aws:ecs:us-east-1:123456789012:task-definition/app:2"
PARAMS = {"name": "app", "cluster": "edge", "scheduling_strategy": "REPLICA", "desired_count": None, "deployment_configuration": None,
          "placement_constraints": None, "placement_strategy": None, "enable_execute_command": None, "force_new_deployment": False}
CURRENT = {"serviceName": "app", "taskDefinition": TD1, "desiredCount": 3, "schedulingStrategy": "REPLICA",
           "deploymentConfiguration": {"minimumHealthyPercent": 100, "maximumPercent": 200,
                                       "deploymentCircuitBreaker": {"enable": False, "rollback": False}},
           "placementConstraints": [{"type": "memberOf", "expression": "attribute:site == a"}, {"type": "distinctInstance"}],
           "placementStrategy": [], "enableExecuteCommand": False}


def params(**changes):
    return dict(PARAMS, **changes)


def deployment(status, desired, running, pending=0, state="COMPLETED"):
    return {"status": status, "desiredCount": desired, "runningCount": running, "pendingCount": pending, "rolloutState": state}


def test_create_is_external_with_one_task_by_default_and_daemon_has_no_count():
    request = create_request(params(), TD1)
    assert request["launchType"] == "EXTERNAL" and request["desiredCount"] == 1 and "placementConstraints" not in request
    daemon = create_request(params(scheduling_strategy="DAEMON"), TD1)
    assert "desiredCount" not in daemon and daemon["schedulingStrategy"] == "DAEMON"
    configured = create_request(params(deployment_configuration={"minimum_healthy_percent": 50, "maximum_percent": None,
                                                                 "circuit_breaker": {"enable": True, "rollback": True}}), TD1)
    assert configured["deploymentConfiguration"] == {"minimumHealthyPercent": 50,
                                                     "deploymentCircuitBreaker": {"enable": True, "rollback": True}}


def test_nothing_given_is_nothing_to_update():
    assert update_request(params(), CURRENT, TD1) == ({}, {})
    same_order_aside = params(desired_count=3, placement_constraints=CURRENT["placementConstraints"][::-1],
                              deployment_configuration={"minimum_healthy_percent": 100, "maximum_percent": None, "circuit_breaker": None})
    assert update_request(same_order_aside, CURRENT, TD1) == ({}, {})


def test_only_what_differs_is_sent():
    request, changes = update_request(params(desired_count=5, placement_constraints=[],
                                             deployment_configuration={"minimum_healthy_percent": 50, "maximum_percent": None,
                                                                       "circuit_breaker": None}), CURRENT, TD2)
    assert sorted(changes) == ["deploymentConfiguration", "desiredCount", "placementConstraints", "taskDefinition"]
    assert request["desiredCount"] == 5 and request["taskDefinition"] == TD2 and request["placementConstraints"] == []
    # The rest of the deployment configuration is kept, not reset to ECS's defaults.
    assert request["deploymentConfiguration"]["maximumPercent"] == 200
    assert request["deploymentConfiguration"]["minimumHealthyPercent"] == 50
    assert request["cluster"] == "edge" and request["service"] == "app"


def test_a_forced_deployment_is_sent_alone():
    request, changes = update_request(params(force_new_deployment=True), CURRENT, TD1)
    assert changes == {} and request == {"cluster": "edge", "service": "app", "forceNewDeployment": True}


@pytest.mark.parametrize("changes, current, words", [
    ({"scheduling_strategy": "DAEMON", "desired_count": 2}, None, "desired_count cannot be given to a DAEMON service"),
    ({"scheduling_strategy": "DAEMON", "placement_strategy": [{"type": "spread", "field": "host"}]}, None,
     "placement_strategy does not apply to a DAEMON service"),
    ({"scheduling_strategy": "DAEMON"}, CURRENT, "app is a REPLICA service and ECS cannot make it DAEMON: remove it"),
])
def test_refusals(changes, current, words):
    with pytest.raises(FleetError) as caught:
        check_params(params(**changes), current)
    assert words in caught.value.message and "Nothing was changed." in caught.value.message


def test_settled_means_one_deployment_all_running_none_pending():
    assert steady({"desiredCount": 3, "deployments": [deployment("PRIMARY", 3, 3)]})
    assert not steady({"desiredCount": 3, "deployments": [deployment("PRIMARY", 3, 3), deployment("ACTIVE", 3, 1)]})
    assert not steady({"desiredCount": 3, "deployments": [deployment("PRIMARY", 3, 2, pending=1)]})
    assert not steady({"desiredCount": 3, "deployments": [deployment("PRIMARY", 3, 3, state="IN_PROGRESS")]})
    assert not steady({"desiredCount": 3, "deployments": []})
    assert steady({"desiredCount": 0, "deployments": [deployment("PRIMARY", 0, 0)]})


def test_progress_says_how_many_run_of_how_many():
    service = {"desiredCount": 4, "deployments": [dict(deployment("PRIMARY", 4, 2, pending=1, state="FAILED"), rolloutStateReason="tasks failed"),
                                                  deployment("ACTIVE", 4, 2)]}
    assert progress(service) == ("2 of 4 tasks of the new deployment running, 1 pending, 2 of the previous deployment still running; "
                                 "the rollout FAILED: tasks failed")


TD = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:%d"


def revision_deployment(revision, status, rollout, running=2, reason=None):
    return {"status": status, "taskDefinition": TD % revision, "rolloutState": rollout, "runningCount": running,
            "desiredCount": 2, "rolloutStateReason": reason}


@pytest.mark.parametrize("deployments, settled_on, expected", [
    ([revision_deployment(2, "PRIMARY", "IN_PROGRESS", 1), revision_deployment(1, "ACTIVE", "COMPLETED")], 2, None),
    ([revision_deployment(2, "PRIMARY", "COMPLETED")], 2, None),
    ([revision_deployment(2, "PRIMARY", "FAILED", 0, "ECS deployment circuit breaker: tasks failed to start."),
      revision_deployment(1, "ACTIVE", "COMPLETED")], 2,
     "the deployment of web:2 FAILED (ECS deployment circuit breaker: tasks failed to start.); ECS starts no more of its tasks"),
    ([revision_deployment(1, "PRIMARY", "IN_PROGRESS", 0), revision_deployment(2, "ACTIVE", "FAILED", 0, "tasks failed to start.")], 1,
     "the deployment of web:2 FAILED (tasks failed to start.); ECS is rolling back to web:1"),
    ([revision_deployment(1, "PRIMARY", "COMPLETED")], 1, "ECS settled on web:1 instead of web:2 (its deployment was rolled back)"),
])
def test_a_failed_rollout_of_the_asked_revision_is_named(deployments, settled_on, expected):
    service = {"deployments": deployments, "desiredCount": 2, "taskDefinition": TD % settled_on}
    assert failed_rollout(service, TD % 2) == expected
