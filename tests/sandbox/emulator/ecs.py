"""ECS front: which operations the project layer owns, cluster look-ups, and fixes to moto's answers for
clusters and task definitions. Container instances live in ecs_instances.py, services and tasks in
ecs_tasks.py, task definitions in ecs_task_definitions.py; everything else (capacity providers, account settings, ...) is moto's."""
import logging

from .ecs_instances import ContainerInstances
from .ecs_model import ClusterState
from .ecs_task_definitions import TaskDefinitions
from .ecs_tasks import Scheduler
from . import limits
from .errors import AwsError, ecs_invalid

log = logging.getLogger("emulator.ecs")

# Resource ARNs whose tags the layer keeps; other ARNs (clusters, task definitions) are tagged in moto.
_OWNED_ARN_KINDS = (":container-instance/", ":task/", ":service/")


class EcsRegion:
    def __init__(self, name):
        self.name = name
        self.clusters = {}
        self.task_definitions = {}  # ARN -> registeredAt, registeredBy, deregisteredAt (moto keeps none)


class EcsService:
    def __init__(self, emu):
        self.emu = emu
        self.instances = ContainerInstances(self)
        self.scheduler = Scheduler(self)
        self.task_definitions = TaskDefinitions(self)
        self.operations = {
            "RegisterContainerInstance": self.instances.register,
            "DeregisterContainerInstance": self.instances.deregister,
            "ListContainerInstances": self.instances.list,
            "DescribeContainerInstances": self.instances.describe,
            "UpdateContainerInstancesState": self.instances.update_state,
            "PutAttributes": self.instances.put_attributes,
            "DeleteAttributes": self.instances.delete_attributes,
            "ListAttributes": self.instances.list_attributes,
            "DiscoverPollEndpoint": self.instances.discover_poll_endpoint,
            "UpdateContainerAgent": self.instances.update_agent,
            "SubmitContainerStateChange": _acknowledge,
            "SubmitTaskStateChange": _acknowledge,
            "SubmitAttachmentStateChanges": _acknowledge,
            "CreateService": self.scheduler.create_service,
            "UpdateService": self.scheduler.update_service,
            "DeleteService": self.scheduler.delete_service,
            "DescribeServices": self.scheduler.describe_services,
            "ListServices": self.scheduler.list_services,
            "RunTask": self.scheduler.run_task,
            "StartTask": self.scheduler.start_task,
            "StopTask": self.scheduler.stop_task,
            "DescribeTasks": self.scheduler.describe_tasks,
            "ListTasks": self.scheduler.list_tasks,
            "DescribeClusters": self.describe_clusters,
            "UpdateCluster": self.update_cluster,
            "UpdateClusterSettings": self.update_cluster_settings,
            "DeleteCluster": self.delete_cluster,
            "RegisterTaskDefinition": self.task_definitions.register,
            "DescribeTaskDefinition": self.task_definitions.describe,
            "DeregisterTaskDefinition": self.task_definitions.deregister,
            "TagResource": self.tag_resource,
            "UntagResource": self.untag_resource,
            "ListTagsForResource": self.list_tags_for_resource,
        }
        self.reset()

    def reset(self):
        self.regions = {}

    def region(self, name):
        if name not in self.regions:
            self.regions[name] = EcsRegion(name)
        return self.regions[name]

    def handle(self, req):
        operation = self.operations.get(req.operation)
        if operation is None:
            return None
        region = self.region(req.region)
        # Time-driven changes (drain delay, replacements) happen lazily, on the next ECS call. A bug there
        # must not turn every ECS call into an error, so it is logged and the call goes on.
        try:
            self.scheduler.reconcile(region)
        except Exception:
            log.exception("reconciling ECS state in %s failed", region.name)
        return operation(region, req.params(), req)

    # --- clusters ------------------------------------------------------------------------------------------
    def cluster(self, region, name_or_arn, create=False):
        """The layer's state for a cluster that exists in moto; ClusterNotFoundException otherwise."""
        moto_cluster = self.emu.moto.cluster(region.name, name_or_arn, create=create)
        state = region.clusters.get(moto_cluster.name)
        if state is None:
            state = region.clusters[moto_cluster.name] = ClusterState(moto_cluster.name)
        return state

    def describe_clusters(self, region, params, req):
        result = self.emu.moto.forward_json(req)
        statistics = "STATISTICS" in (params.get("include") or [])
        for cluster in result.get("clusters", []):
            self._counted(region, cluster, statistics)
        return result

    def update_cluster(self, region, params, req):
        """UpdateCluster answers with the cluster; moto's counts in it are zero."""
        result = self.emu.moto.forward_json(req)
        self._counted(region, result.get("cluster") or {})
        return result

    def update_cluster_settings(self, region, params, req):
        """moto lacks UpdateClusterSettings; UpdateCluster takes the same settings, merged by name as AWS does."""
        cluster = self.emu.moto.cluster(region.name, params.get("cluster"))
        merged = {s["name"]: s for s in cluster.settings or []}
        merged.update({s["name"]: s for s in params.get("settings") or []})
        result = self.emu.moto.forward_json(req, "UpdateCluster",
                                            {"cluster": cluster.name, "settings": list(merged.values())})
        self._counted(region, result.get("cluster") or {})
        return result

    @staticmethod
    def _counted(region, cluster, statistics=False):
        """moto knows nothing of the layer's instances, tasks and services: put their counts in its answer."""
        state = region.clusters.get(cluster.get("clusterName"))
        if state is None:
            return
        cluster.update(registeredContainerInstancesCount=state.active_instances(),
                       runningTasksCount=state.running_tasks(), pendingTasksCount=0,
                       activeServicesCount=state.active_services())
        if statistics:
            cluster["statistics"] = state.statistics()

    def delete_cluster(self, region, params, req):
        name = (params.get("cluster") or "").split("/")[-1]
        state = region.clusters.get(name)
        if state is not None:
            if state.active_instances():
                raise AwsError("ClusterContainsContainerInstancesException",
                               "The Cluster cannot be deleted while Container Instances are active or draining.")
            if state.active_services():
                raise AwsError("ClusterContainsServicesException",
                               "The Cluster cannot be deleted while Services are active.")
            if state.running_tasks():
                raise AwsError("ClusterContainsTasksException",
                               "The Cluster cannot be deleted while Tasks are active.")
        result = self.emu.moto.forward_json(req)
        region.clusters.pop(name, None)
        return result

    # --- tags ----------------------------------------------------------------------------------------------
    def _tag_target(self, region, resource_arn):
        """Tags dict of a layer-owned resource, or None when the ARN belongs to moto."""
        if not resource_arn or not any(kind in resource_arn for kind in _OWNED_ARN_KINDS):
            return None
        kind, cluster_name, ident = _split_arn(resource_arn)
        state = region.clusters.get(cluster_name)
        found = None
        if state is not None:
            if kind == "container-instance":
                found = state.instances.get(ident)
            elif kind == "task":
                found = state.tasks.get(ident)
            else:
                found = state.services.get(ident)
        if found is None:
            raise ecs_invalid("The specified resource could not be found.")
        return found.tags

    def tag_resource(self, region, params, req):
        new_keys = {t.get("key") for t in params.get("tags") or []}
        tags = self._tag_target(region, params.get("resourceArn"))
        if tags is None:
            existing = {t["key"] for t in self._moto_tags(region, params.get("resourceArn"))}
            limits.check_total("ecs", "TagResource", "tags", len(existing | new_keys))
            return None
        limits.check_total("ecs", "TagResource", "tags", len(set(tags) | new_keys))
        tags.update({t["key"]: t.get("value", "") for t in params.get("tags") or []})
        return {}

    def _moto_tags(self, region, resource_arn):
        """Tags moto keeps for a cluster or task definition; none when moto cannot find it (it answers that)."""
        try:
            return self.emu.moto.ecs(region.name).list_tags_for_resource(resource_arn) or []
        except Exception:  # moto's own not-found errors: the forwarded call reports them
            return []

    def untag_resource(self, region, params, req):
        tags = self._tag_target(region, params.get("resourceArn"))
        if tags is None:
            return None
        for key in params.get("tagKeys") or []:
            tags.pop(key, None)
        return {}

    def list_tags_for_resource(self, region, params, req):
        tags = self._tag_target(region, params.get("resourceArn"))
        if tags is None:
            return None
        return {"tags": [{"key": k, "value": v} for k, v in tags.items()]}


def _split_arn(resource_arn):
    """(kind, cluster, id) of arn:aws:ecs:R:A:KIND/CLUSTER/ID."""
    resource = resource_arn.split(":", 5)[-1]
    parts = resource.split("/")
    if len(parts) < 3:
        raise ecs_invalid("The ARN %s is not in the long ARN format." % resource_arn)
    return parts[0], parts[1], parts[-1]


def _acknowledge(region, params, req):
    return {"acknowledgment": "ACK"}
