"""External (and EC2) container instances: registration, listing with the cluster query language,
describe, state changes, attributes, and the agent's DiscoverPollEndpoint that drives agentConnected."""
import json
import time

from .ecs_model import ContainerInstance, arn, new_id, normalise_resources, tags_from
from . import limits, query_language
from .errors import AwsError, ecs_client, ecs_invalid
from .pagination import paginate

LIST_STATUSES = {"ACTIVE", "DRAINING", "REGISTERING", "DEREGISTERING", "REGISTRATION_FAILED"}


def invalid_next_token():
    return ecs_invalid("Invalid nextToken.")


def max_results(params, default=100):
    """The page size; its range is checked with the other limits (limits.py) before the call gets here."""
    value = params.get("maxResults", default)
    if not isinstance(value, int) or isinstance(value, bool):
        raise ecs_invalid("maxResults must be an integer.")
    return value


class ContainerInstances:
    def __init__(self, ecs):
        self.ecs = ecs

    @property
    def config(self):
        return self.ecs.emu.config

    def find(self, cluster, ref):
        """An instance by ARN or bare id, or None."""
        return cluster.instances.get((ref or "").split("/")[-1])

    def get(self, cluster, ref):
        instance = self.find(cluster, ref)
        if instance is None:
            raise ecs_invalid("The referenced container instance %s was not found." % ref)
        return instance

    def shape(self, instance, with_tags=False, with_health=False):
        return instance.shape(time.time(), self.config.agent_connected_window, len(instance.task_ids), with_tags,
                              with_health)

    # --- agent side ----------------------------------------------------------------------------------------
    def register(self, region, params, req):
        cluster = self.ecs.cluster(region, params.get("cluster"))
        identity = _identity(params.get("instanceIdentityDocument"))
        existing = self.find(cluster, params.get("containerInstanceArn")) if params.get("containerInstanceArn") \
            else None
        if existing is not None and existing.status == "INACTIVE":
            raise ecs_client("The container instance %s is INACTIVE and cannot be registered again; "
                             "register without containerInstanceArn." % existing.arn)
        if existing is not None:
            # The agent re-registering with its saved ARN (restart, new version): same instance, fresh facts.
            existing.registered_resources = normalise_resources(params.get("totalResources")) \
                if params.get("totalResources") else existing.registered_resources
            existing.version_info = params.get("versionInfo") or existing.version_info
            existing.attributes.update(_attributes(params.get("attributes")))
            existing.tags.update(tags_from(params.get("tags")))
            existing.version += 1
            return {"containerInstance": self.shape(existing)}
        instance = self.create(region.name, cluster, identity, params.get("totalResources"),
                               params.get("versionInfo") or {}, _attributes(params.get("attributes")),
                               tags_from(params.get("tags")))
        return {"containerInstance": self.shape(instance)}

    def create(self, region_name, cluster, ec2_instance_id, total_resources, version_info, attributes, tags,
               now=None, always_connected=False):
        ident = new_id()
        instance = ContainerInstance(
            id=ident, arn=arn(region_name, "container-instance", cluster.name, ident), cluster=cluster.name,
            ec2_instance_id=ec2_instance_id, registered_resources=normalise_resources(total_resources),
            version_info=version_info, attributes=attributes, tags=tags, registered_at=now or time.time(),
            always_connected=always_connected)
        cluster.instances[ident] = instance
        return instance

    def discover_poll_endpoint(self, region, params, req):
        # The agent calls this when it (re)connects; we take it as proof of life for agentConnected.
        if params.get("containerInstance"):
            state = region.clusters.get((params.get("cluster") or "default").split("/")[-1])
            instance = self.find(state, params["containerInstance"]) if state else None
            if instance is None:
                for other in region.clusters.values():
                    instance = instance or self.find(other, params["containerInstance"])
            if instance is not None:
                instance.last_poll = time.time()
        return {"endpoint": "https://ecs-a-1.%s.amazonaws.com/" % region.name,
                "telemetryEndpoint": "https://ecs-t-1.%s.amazonaws.com/" % region.name,
                "serviceConnectEndpoint": "https://ecs-sc.%s.api.aws" % region.name}

    # --- console side --------------------------------------------------------------------------------------
    def list(self, region, params, req):
        cluster = self.ecs.cluster(region, params.get("cluster"))
        status = params.get("status")
        if status is not None and status not in LIST_STATUSES:
            raise ecs_invalid("status must be one of [%s]." % ",".join(sorted(LIST_STATUSES)))
        selected = [i for i in cluster.instances.values()
                    if (i.status == status if status else i.status != "INACTIVE")]
        if params.get("filter"):
            predicate = query_language.compile_filter(params["filter"])
            now, window = time.time(), self.config.agent_connected_window
            selected = [i for i in selected if predicate(queryable(cluster, i, now, window))]
        page, token = paginate(selected, max_results(params), params.get("nextToken"), invalid_next_token)
        out = {"containerInstanceArns": [i.arn for i in page]}
        if token:
            out["nextToken"] = token
        return out

    def describe(self, region, params, req):
        cluster = self.ecs.cluster(region, params.get("cluster"))
        refs = params.get("containerInstances")
        if not refs or not isinstance(refs, list):
            raise ecs_invalid("containerInstances can not be empty.")
        include = params.get("include") or []
        found, failures = [], []
        for ref in refs:
            instance = self.find(cluster, ref)
            if instance is None:
                full = ref if ref.startswith("arn:") else arn(region.name, "container-instance", cluster.name, ref)
                failures.append({"arn": full, "reason": "MISSING"})
            else:
                found.append(self.shape(instance, "TAGS" in include, "CONTAINER_INSTANCE_HEALTH" in include))
        return {"containerInstances": found, "failures": failures}

    def update_state(self, region, params, req):
        cluster = self.ecs.cluster(region, params.get("cluster"))
        status = params.get("status")
        if status not in ("ACTIVE", "DRAINING"):
            raise ecs_invalid("Container instance status should be one of [ACTIVE,DRAINING].")
        refs = params.get("containerInstances") or []
        if not refs:
            raise ecs_invalid("containerInstances can not be empty.")
        changed, failures = [], []
        for ref in refs:
            instance = self.find(cluster, ref)
            if instance is None or instance.status == "INACTIVE":
                full = ref if ref.startswith("arn:") else arn(region.name, "container-instance", cluster.name, ref)
                failures.append({"arn": full, "reason": "MISSING" if instance is None else "INACTIVE"})
                continue
            if instance.status != status:
                instance.status = status
                instance.drain_started = time.time() if status == "DRAINING" else None
                instance.version += 1
            changed.append(instance)
        self.ecs.scheduler.reconcile(region)
        return {"containerInstances": [self.shape(i) for i in changed], "failures": failures}

    def deregister(self, region, params, req):
        cluster = self.ecs.cluster(region, params.get("cluster"))
        instance = self.get(cluster, params.get("containerInstance"))
        if instance.task_ids and not params.get("force"):
            raise ecs_invalid("Found running tasks on the instance.")
        if instance.status != "INACTIVE":
            # Forced: the tasks keep running on the host but ECS stops accounting for them.
            self.ecs.scheduler.orphan_tasks(cluster, instance)
            instance.status = "INACTIVE"
            instance.drain_started = None
            instance.version += 1
            self.ecs.scheduler.reconcile(region)
        return {"containerInstance": self.shape(instance)}

    def update_agent(self, region, params, req):
        cluster = self.ecs.cluster(region, params.get("cluster"))
        instance = self.get(cluster, params.get("containerInstance"))
        if instance.external:
            # External hosts update ecs-init with their package manager; the API refuses them.
            raise ecs_client("UpdateContainerAgent is not supported for external container instances; "
                             "update the ecs-init package on the host instead.")
        raise AwsError("NoUpdateAvailableException", "There is no update available for your container agent.")

    # --- attributes ----------------------------------------------------------------------------------------
    def _attribute_targets(self, region, params):
        cluster = self.ecs.cluster(region, params.get("cluster"))
        attributes = params.get("attributes")
        if not attributes:
            raise ecs_invalid("attributes can not be empty.")
        pairs = []
        for attr in attributes:
            if not attr.get("name"):
                raise ecs_invalid("Attribute name can not be empty.")
            if attr.get("targetType", "container-instance") != "container-instance":
                raise ecs_invalid("targetType must be container-instance.")
            instance = self.find(cluster, attr.get("targetId"))
            if instance is None:
                raise AwsError("TargetNotFoundException",
                               "Could not find %s. TargetIds must be valid container instance ARNs or ids."
                               % attr.get("targetId"))
            pairs.append((instance, attr))
        return pairs

    def put_attributes(self, region, params, req):
        pairs = self._attribute_targets(region, params)
        for instance in {id(i): i for i, _ in pairs}.values():
            names = {a["name"] for i, a in pairs if i is instance} | set(instance.attributes)
            limits.check_total("ecs", "PutAttributes", "attributes", sum(1 for n in names if _custom(n)))
        for instance, attr in pairs:
            instance.attributes[attr["name"]] = attr.get("value")
        return {"attributes": [_attribute_out(i, a) for i, a in pairs]}

    def delete_attributes(self, region, params, req):
        pairs = self._attribute_targets(region, params)
        for instance, attr in pairs:
            instance.attributes.pop(attr["name"], None)
        return {"attributes": [_attribute_out(i, a) for i, a in pairs]}

    def list_attributes(self, region, params, req):
        cluster = self.ecs.cluster(region, params.get("cluster"))
        if params.get("targetType") != "container-instance":
            raise ecs_invalid("targetType must be container-instance.")
        name, value = params.get("attributeName"), params.get("attributeValue")
        if value is not None and name is None:
            raise ecs_invalid("attributeValue requires attributeName.")
        found = [{"name": k, "value": v, "targetType": "container-instance", "targetId": i.arn}
                 for i in cluster.instances.values() if i.status != "INACTIVE"
                 for k, v in i.attributes.items()
                 if (name is None or k == name) and (value is None or v == value)]
        page, token = paginate(found, max_results(params), params.get("nextToken"), invalid_next_token)
        out = {"attributes": [{k: v for k, v in a.items() if v is not None} for a in page]}
        if token:
            out["nextToken"] = token
        return out


def _custom(name):
    """Custom attributes are the user's; the ecs. namespace belongs to the agent and ECS."""
    return not name.startswith("ecs.")


def _identity(document):
    """The instance id from the identity document; external instances send {"instanceId": "mi-..."}."""
    try:
        identity = json.loads(document or "")["instanceId"]
    except (ValueError, KeyError, TypeError):
        raise ecs_client("instanceIdentityDocument must be a JSON document with an instanceId.") from None
    if not isinstance(identity, str) or not identity.startswith(("mi-", "i-")):
        raise ecs_client("instanceIdentityDocument has an invalid instanceId %r." % (identity,))
    return identity


def _attributes(items):
    return {a["name"]: a.get("value") for a in items or [] if a.get("name")}


def _attribute_out(instance, attr):
    out = {"name": attr["name"], "targetType": "container-instance", "targetId": instance.arn}
    if attr.get("value") is not None:
        out["value"] = attr["value"]
    return out


def queryable(cluster, instance, now, window):
    """The instance as the query language sees it; connection and task groups are computed only when asked."""
    return query_language.Instance(
        attributes=instance.attributes, ec2_instance_id=instance.ec2_instance_id,
        connected=lambda: instance.connected(now, window), agent_version=instance.version_info.get("agentVersion"),
        registered_at=instance.registered_at, running_tasks=len(instance.task_ids),
        task_groups=lambda: {cluster.tasks[t].group for t in instance.task_ids})
