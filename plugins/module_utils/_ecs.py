# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Thin ECS API wrappers: retried, batched to service limits, raising FleetAWSError (never fail_json).

Batch helpers take any number of ids and make the fewest calls the API allows; callers never loop
per instance.
"""

try:
    import botocore.exceptions
except ImportError:
    pass  # AnsibleAWSModule reports the missing library

from ._batching import ECS_ATTRIBUTE_BATCH
from ._batching import ECS_CLUSTER_PAGE
from ._batching import ECS_DESCRIBE_BATCH
from ._batching import ECS_LIST_PAGE
from ._batching import ECS_QUERY_LENGTH
from ._batching import ECS_STATE_BATCH
from ._batching import ECS_TASK_DESCRIBE_BATCH
from ._batching import ECS_TASK_PAGE
from ._batching import chunks
from ._batching import chunks_by_length
from ._batching import paginate
from ._batching import unique
from ._errors import error_code
from ._errors import handle_errors
from ._retry import fleet_retry


@handle_errors("list container instances")
def list_container_instance_arns(client, cluster, query=None, status=None):
    """ARNs of every container instance in `cluster` matching the cluster-query `query` and `status` (pages of 100)."""
    return paginate(client, "list_container_instances", "containerInstanceArns", "nextToken", cluster=cluster, maxResults=ECS_LIST_PAGE,
                    filter=query, status=status)


@fleet_retry
def _describe_batch(client, cluster, batch, include):
    params = {"cluster": cluster, "containerInstances": batch}
    if include:
        params["include"] = include
    return client.describe_container_instances(**params)


@handle_errors("describe container instances")
def describe_container_instances(client, cluster, ids, include=("TAGS",)):
    """(instances, failures) for container instance ARNs/ids, in batches of 100; input order kept."""
    instances, failures = [], []
    for batch in chunks(unique(ids), ECS_DESCRIBE_BATCH):
        response = _describe_batch(client, cluster, batch, list(include or []))
        instances.extend(response.get("containerInstances", []))
        failures.extend(response.get("failures", []))
    return instances, failures


def list_and_describe(client, cluster, query=None, status=None, include=("TAGS",)):
    """Every matching container instance, fully described: ceil(n/100) list + ceil(n/100) describe calls."""
    arns = list_container_instance_arns(client, cluster, query=query, status=status)
    if not arns:
        return []
    instances, _failures = describe_container_instances(client, cluster, arns, include=include)
    return instances


def managed_instance_query(ids, query=None):
    """The cluster query language expression selecting these ec2InstanceIds (and `query`, when given)."""
    expression = f"ec2InstanceId in [{', '.join(ids)}]"
    return f"{expression} and ({query})" if query else expression


def managed_instance_chunks(ids, query=None):
    """The ids in the fewest groups whose expression stays within ECS's query length (and one page of results)."""
    return chunks_by_length(unique(ids), lambda batch: managed_instance_query(batch, query), ECS_QUERY_LENGTH, ECS_LIST_PAGE)


def list_by_managed_ids(client, cluster, ids, query=None, status=None):
    """ARNs of the container instances of these managed instances, asked of ECS with `ec2InstanceId in [...]`.

    Cost: one ListContainerInstances call per chunk (90 mi- ids fit one 2,000-character expression), never a
    listing of the whole cluster.
    """
    arns = []
    for batch in managed_instance_chunks(ids, query):
        arns.extend(list_container_instance_arns(client, cluster, query=managed_instance_query(batch, query), status=status))
    return unique(arns)


def describe_by_managed_ids(client, cluster, ids, query=None, status=None, include=("TAGS",)):
    """Raw descriptions of the container instances of these managed instances (see list_by_managed_ids)."""
    arns = list_by_managed_ids(client, cluster, ids, query=query, status=status)
    if not arns:
        return []
    return describe_container_instances(client, cluster, arns, include=include)[0]


@handle_errors("list ECS clusters")
def list_cluster_arns(client):
    """Every cluster ARN of the region, in pages of 100."""
    return paginate(client, "list_clusters", "clusterArns", "nextToken", maxResults=ECS_CLUSTER_PAGE)


@fleet_retry
def _state_batch(client, cluster, batch, status):
    return client.update_container_instances_state(cluster=cluster, containerInstances=batch, status=status)


@handle_errors("change the container instance state")
def update_container_instances_state(client, cluster, arns, status):
    """(instances, failures) after setting ACTIVE or DRAINING, 10 instances per call (the API limit)."""
    instances, failures = [], []
    for batch in chunks(unique(arns), ECS_STATE_BATCH):
        response = _state_batch(client, cluster, batch, status)
        instances.extend(response.get("containerInstances", []))
        failures.extend(response.get("failures", []))
    return instances, failures


@handle_errors("deregister the container instance")
@fleet_retry
def deregister_container_instance(client, cluster, arn, force=False):
    return client.deregister_container_instance(cluster=cluster, containerInstance=arn, force=force).get("containerInstance", {})


@handle_errors("put container instance attributes")
def put_attributes(client, cluster, attributes):
    """attributes: [{'name', 'value', 'targetType', 'targetId'}], 10 per call."""
    for batch in chunks(attributes, ECS_ATTRIBUTE_BATCH):
        fleet_retry(client.put_attributes)(cluster=cluster, attributes=batch)


@handle_errors("delete container instance attributes")
def delete_attributes(client, cluster, attributes):
    for batch in chunks(attributes, ECS_ATTRIBUTE_BATCH):
        fleet_retry(client.delete_attributes)(cluster=cluster, attributes=batch)


@handle_errors("list tasks")
def list_task_arns(client, cluster, container_instance=None, service=None, desired_status="RUNNING"):
    """Task ARNs of the cluster, of one container instance or one service (pages of 100). RUNNING includes the tasks
    still PENDING: ListTasks filters on the desired status."""
    return paginate(client, "list_tasks", "taskArns", "nextToken", cluster=cluster, containerInstance=container_instance,
                    serviceName=service, desiredStatus=desired_status, maxResults=ECS_TASK_PAGE)


@handle_errors("describe tasks")
def describe_tasks(client, cluster, task_arns):
    tasks = []
    for batch in chunks(unique(task_arns), ECS_TASK_DESCRIBE_BATCH):
        tasks.extend(fleet_retry(client.describe_tasks)(cluster=cluster, tasks=batch).get("tasks", []))
    return tasks


@handle_errors("describe the ECS cluster")
@fleet_retry
def describe_cluster(client, name):
    """The cluster description (with SETTINGS and TAGS) or None when it does not exist or is INACTIVE."""
    response = client.describe_clusters(clusters=[name], include=["SETTINGS", "TAGS"])
    for cluster in response.get("clusters", []):
        if cluster.get("status") != "INACTIVE":
            return cluster
    return None


@handle_errors("create the ECS cluster")
@fleet_retry
def create_cluster(client, name, settings=None, tags=None):
    params = {"clusterName": name}
    if settings:
        params["settings"] = settings
    if tags:
        params["tags"] = tags
    return client.create_cluster(**params)["cluster"]


@handle_errors("update the ECS cluster settings")
@fleet_retry
def update_cluster_settings(client, name, settings):
    # UpdateCluster takes the same settings as UpdateClusterSettings and is the more widely implemented call.
    return client.update_cluster(cluster=name, settings=settings)["cluster"]


@handle_errors("delete the ECS cluster", missing_codes=("ClusterNotFoundException",), missing_value=None)
@fleet_retry
def delete_cluster(client, name):
    return client.delete_cluster(cluster=name)["cluster"]


@handle_errors("tag the ECS resource")
@fleet_retry
def tag_resource(client, arn, tags):
    client.tag_resource(resourceArn=arn, tags=tags)


@handle_errors("untag the ECS resource")
@fleet_retry
def untag_resource(client, arn, keys):
    client.untag_resource(resourceArn=arn, tagKeys=list(keys))


# ECS answers ClientException both for "no such (ACTIVE) task definition" and for other client errors: only
# this message means the family has no ACTIVE revision (or the revision does not exist).
TASK_DEFINITION_MISSING = "Unable to describe task definition"


@handle_errors("describe the task definition")
def describe_task_definition(client, ref):
    """(definition, tags) of FAMILY (its latest ACTIVE revision), FAMILY:REVISION or an ARN; (None, []) when there is none."""
    try:
        response = fleet_retry(client.describe_task_definition)(taskDefinition=ref, include=["TAGS"])
    except botocore.exceptions.ClientError as e:
        if error_code(e) == "ClientException" and TASK_DEFINITION_MISSING in e.response.get("Error", {}).get("Message", ""):
            return None, []
        raise
    return response["taskDefinition"], response.get("tags") or []


@handle_errors("list the task definitions")
def list_active_task_definitions(client, family):
    """ARNs of the family's ACTIVE revisions, oldest first (pages of 100)."""
    return paginate(client, "list_task_definitions", "taskDefinitionArns", "nextToken", familyPrefix=family, status="ACTIVE",
                    sort="ASC", maxResults=ECS_LIST_PAGE)


@handle_errors("register the task definition")
@fleet_retry
def register_task_definition(client, request):
    return client.register_task_definition(**request)["taskDefinition"]


@handle_errors("deregister the task definition")
@fleet_retry
def deregister_task_definition(client, arn):
    return client.deregister_task_definition(taskDefinition=arn)["taskDefinition"]


@handle_errors("describe the ECS service")
@fleet_retry
def describe_service(client, cluster, name):
    """The service (with TAGS) or None when it does not exist or is INACTIVE (ECS keeps deleted ones a while)."""
    response = client.describe_services(cluster=cluster, services=[name], include=["TAGS"])
    for service in response.get("services", []):
        if service.get("status") != "INACTIVE":
            return service
    return None


@handle_errors("create the ECS service")
@fleet_retry
def create_service(client, request):
    return client.create_service(**request)["service"]


@handle_errors("update the ECS service")
@fleet_retry
def update_service(client, request):
    return client.update_service(**request)["service"]


@handle_errors("delete the ECS service", missing_codes=("ServiceNotFoundException",), missing_value=None)
@fleet_retry
def delete_service(client, cluster, name):
    # force: a DAEMON service has no desired count to scale to zero first; REPLICA services are at zero by then.
    return client.delete_service(cluster=cluster, service=name, force=True)["service"]
