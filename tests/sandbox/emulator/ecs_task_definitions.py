"""Task definitions: moto registers and keeps them; this layer answers where ECS answers otherwise.

- A reference without a revision means the latest ACTIVE revision (moto takes the last one, even INACTIVE);
  a family with none left is "Unable to describe task definition.", as ECS says.
- EXTERNAL keeps the requested network mode (moto turns any non-EC2 compatibility into FARGATE + awsvpc).
- ECS fills what a definition left out: each port mapping's protocol (tcp), and in host mode its host port
  (the container port); the module's idempotency check must cope with those, so the emulator returns them.
- registeredAt / registeredBy, and deregisteredAt once deregistered.
"""
import time

from .errors import AwsError

ACCOUNT_ROOT = "arn:aws:iam::123456789012:root"


def resolve(backend, ref):
    """moto's TaskDefinition for FAMILY, FAMILY:REV or an ARN; the latest ACTIVE one for a bare family."""
    if not ref:
        raise AwsError("InvalidParameterException", "taskDefinition can not be blank.")
    name = ref.split("/")[-1]
    family, _, revision = name.partition(":")
    revisions = backend.task_definitions.get(family) or {}
    if revision:
        found = revisions.get(int(revision)) if revision.isdigit() else None
    else:
        active = [rev for rev, model in revisions.items() if model.status == "ACTIVE"]
        found = revisions[max(active)] if active else None
    if found is None:
        raise AwsError("ClientException", "Unable to describe task definition.")
    return found


class TaskDefinitions:
    def __init__(self, ecs):
        self.ecs = ecs

    @property
    def moto(self):
        return self.ecs.emu.moto

    def register(self, region, params, req):
        result = self.moto.forward_json(req)
        definition = result["taskDefinition"]
        model = self.moto.task_definition(region.name, definition["taskDefinitionArn"])
        requires = params.get("requiresCompatibilities") or []
        if "EXTERNAL" in requires and "FARGATE" not in requires:
            model.network_mode = params.get("networkMode") or "bridge"
            model.compatibilities = ["EC2", "EXTERNAL"]
        for container in model.container_definitions:
            for mapping in container.get("portMappings") or []:
                mapping.setdefault("protocol", "tcp")
                if model.network_mode == "host":
                    mapping.setdefault("hostPort", mapping.get("containerPort"))
        principal = getattr(req, "principal", None)
        region.task_definitions[model.arn] = {"registeredAt": time.time(),
                                              "registeredBy": getattr(principal, "arn", None) or ACCOUNT_ROOT}
        return self._answer(region, req, "DescribeTaskDefinition", model.arn, include=params.get("tags") and ["TAGS"])

    def describe(self, region, params, req):
        model = resolve(self.moto.ecs(region.name), params.get("taskDefinition"))
        return self._answer(region, req, "DescribeTaskDefinition", model.arn, include=params.get("include"))

    def deregister(self, region, params, req):
        model = resolve(self.moto.ecs(region.name), params.get("taskDefinition"))
        self.moto.forward_json(req, "DeregisterTaskDefinition", {"taskDefinition": model.arn})
        region.task_definitions.setdefault(model.arn, {})["deregisteredAt"] = time.time()
        return self._answer(region, req, "DescribeTaskDefinition", model.arn)

    def _answer(self, region, req, operation, arn, include=None):
        params = {"taskDefinition": arn}
        if include:
            params["include"] = include
        result = self.moto.forward_json(req, operation, params)
        result["taskDefinition"].update(region.task_definitions.get(arn) or {})
        if not include:
            result.pop("tags", None)
        return result
