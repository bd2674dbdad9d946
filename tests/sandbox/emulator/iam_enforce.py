"""IAM enforcement (opt-in: `--enforce-iam`, or config `enforce_iam`): requests signed with an access key that IAM
issued (CreateAccessKey, or an STS AssumeRole session of such a user) are authenticated (key active, SigV4 signature
right) and authorised against the principal's identity-based policies, for moto's services and the project layer alike,
before the call runs. A denied call is answered as AWS answers it: AccessDeniedException (JSON services: ECS, SSM) or
AccessDenied (query services: IAM, STS) with "User: <principal ARN> is not authorized to perform: <action> on resource:
<ARN> because no identity-based policy allows the <action> action" (or "with an explicit deny in an identity-based
policy").

Every other key is not evaluated: the fixed test keys, the credentials RequestManagedInstanceRoleToken hands managed
instances (the ECS agent's), the stand-in agents' unsigned calls. Only the controller's keys are what a least-privilege
policy is about; the agents' permissions come from the instance role AWS attaches, which the sandbox does not model.

Which action and resource a call is checked for is in `authorizations`: the resource types of AWS's Service
Authorization Reference for the operations the collection uses (ECS cluster, container instance, task, service and task
definition ARNs; SSM managed instance and parameter ARNs; IAM role, policy, user, group, instance profile ARNs; `*`
for actions without resource types), plus iam:PassRole on the role CreateActivation passes (context
iam:PassedToService = ssm.amazonaws.com). Condition keys provided: aws:RequestedRegion, aws:PrincipalArn,
iam:PassedToService, iam:PolicyARN, ecs:cluster, aws:ResourceTag/K with ssm:resourceTag/K (managed instances) or
ecs:ResourceTag/K (container instances, clusters), aws:RequestTag/K and aws:TagKeys (tags in the request).
"""
import collections
import urllib.parse

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from moto.iam.access_control import CreateAccessKeyFailure, create_access_key

from . import iam_policy
from .ecs_model import arn as ecs_arn, cluster_arn
from .errors import AwsError
from .moto_bridge import ACCOUNT_ID
from .ssm import managed_instance_arn

PARTITION = "aws"
_SIGNATURE_MISMATCH = ("The request signature we calculated does not match the signature you provided. Check your "
                       "AWS Secret Access Key and signing method. Consult the service documentation for details.")
_INVALID_TOKEN = "The security token included in the request is invalid."


def authorize(emu, req):
    """Raise AWS's error unless the request's principal may make it; return quietly for keys IAM did not issue."""
    principal = _principal(emu, req)
    req.principal = principal  # for checks a handler makes itself (SendCommand's tag targets)
    if principal is None:
        return
    _check_signature(principal, req)
    for action, resource, context in authorizations(emu, req):
        decision = _decide(principal, req, action, resource, context)
        if decision != iam_policy.ALLOW:
            raise _denied(req, principal.arn, action, resource, decision)


def _decide(principal, req, action, resource, context):
    context = dict(context, **{"aws:RequestedRegion": req.region, "aws:PrincipalArn": principal.arn})
    return iam_policy.evaluate(principal.documents, action, resource, context)


def allowed(emu, req, action, need):
    """Whether the call's principal may do `action` on `need` (a Need); True when IAM is not enforced for the call."""
    principal = getattr(req, "principal", None)
    if not emu.config.enforce_iam or principal is None:
        return True
    return _decide(principal, req, action, need.resource, dict(need.context)) == iam_policy.ALLOW


class _Principal:
    def __init__(self, key, documents):
        self.key = key
        self.arn = key.arn
        self.documents = documents


def _principal(emu, req):
    if not req.access_key_id or req.operation == "GetCallerIdentity":  # AWS answers it whatever the policies say
        return None
    headers = {"X-Amz-Security-Token": req.environ["HTTP_X_AMZ_SECURITY_TOKEN"]} \
        if "HTTP_X_AMZ_SECURITY_TOKEN" in req.environ else {}
    try:
        key = create_access_key(ACCOUNT_ID, PARTITION, req.access_key_id, headers)
    except CreateAccessKeyFailure as failure:
        if failure.reason == "InvalidToken":
            raise _auth_error(req, "UnrecognizedClientException", "InvalidClientTokenId", _INVALID_TOKEN) from None
        return None  # not a key IAM issued: not evaluated (see the module docstring)
    if _inactive(req.access_key_id):
        raise _auth_error(req, "UnrecognizedClientException", "InvalidClientTokenId", _INVALID_TOKEN)
    return _Principal(key, [iam_policy.parse(_document(p)) for p in key.collect_policies()])


def _inactive(access_key_id):
    from moto.iam.models import iam_backends
    for user in iam_backends[ACCOUNT_ID][PARTITION].users.values():
        for key in user.access_keys:
            if key.access_key_id == access_key_id:
                return key.status != "Active"
    return False


def _document(policy):
    """The JSON text of what moto keeps for a policy: a managed Policy (its default version), an inline policy dict
    or an inline document string."""
    if hasattr(policy, "versions"):
        return next(v.document for v in policy.versions if v.is_default)
    if isinstance(policy, dict):
        return policy["policy_document"]
    return policy


def _check_signature(principal, req):
    auth = req.environ.get("HTTP_AUTHORIZATION", "")
    fields = dict(part.strip().split("=", 1) for part in auth.split(" ", 1)[-1].split(",") if "=" in part)
    signed = fields.get("SignedHeaders", "").split(";")
    headers = {name: _header(req.environ, name) for name in signed if _header(req.environ, name) is not None}
    url = "http://%s%s" % (req.environ.get("HTTP_HOST", ""), req.environ.get("PATH_INFO", "/"))
    if req.environ.get("QUERY_STRING"):
        url += "?" + req.environ["QUERY_STRING"]
    request = AWSRequest(method=req.method, url=url, data=req.body, headers=headers)
    request.context["timestamp"] = headers.get("x-amz-date", "")
    signer = SigV4Auth(principal.key.create_credentials(), req.service, req.region)
    expected = signer.signature(signer.string_to_sign(request, signer.canonical_request(request)), request)
    if expected != fields.get("Signature"):
        raise _auth_error(req, "InvalidSignatureException", "SignatureDoesNotMatch", _SIGNATURE_MISMATCH)


def _header(environ, name):
    if name == "content-type":
        return environ.get("CONTENT_TYPE")
    if name == "content-length":
        return environ.get("CONTENT_LENGTH")
    return environ.get("HTTP_" + name.upper().replace("-", "_"))


def _auth_error(req, json_code, query_code, message):
    return AwsError(json_code, message, 400) if req.protocol == "json" else AwsError(query_code, message, 403)


def _denied(req, principal_arn, action, resource, decision):
    why = "with an explicit deny in an identity-based policy" if decision == iam_policy.EXPLICIT_DENY else \
        "because no identity-based policy allows the %s action" % action
    message = "User: %s is not authorized to perform: %s on resource: %s %s" % (principal_arn, action, resource, why)
    if req.protocol == "json":
        return AwsError("AccessDeniedException", message, 400)
    return AwsError("AccessDenied", message, 403)


# --- what a call is checked for ----------------------------------------------------------------------------------
class Need(collections.namedtuple("Need", "resource context action", defaults=((), None))):
    """One authorisation a call needs: its own action (or `action`, e.g. iam:PassRole) on `resource`."""


def authorizations(emu, req):
    """[(action, resource ARN or "*", condition context)] the call needs, in the order AWS would check them."""
    params = req.params() if req.protocol == "json" else _form(req)
    build = _RESOURCES.get((req.service, req.operation)) or _GENERIC.get(req.service)
    needs = [n if isinstance(n, Need) else Need(n) for n in (build(emu, req.region, params) if build else ["*"])]
    own = "%s:%s" % (req.service, req.operation)
    request_tags = _request_tags(params)
    return [(need.action or own, need.resource, dict(request_tags, **dict(need.context))) for need in needs]


def _form(req):
    return {k: v[0] for k, v in urllib.parse.parse_qs(req.body.decode("utf-8", "replace")).items()}


def _request_tags(params):
    tags = params.get("Tags") or params.get("tags") or []
    if not isinstance(tags, list):
        return {}
    pairs = {}
    for tag in tags:
        if isinstance(tag, dict):
            key, value = tag.get("Key", tag.get("key")), tag.get("Value", tag.get("value", ""))
            if key:
                pairs[key] = value
    context = {"aws:RequestTag/%s" % k: v for k, v in pairs.items()}
    if pairs:
        context["aws:TagKeys"] = list(pairs)
    return context


# ECS ---------------------------------------------------------------------------------------------------------------
def _cluster_name(params):
    return (params.get("cluster") or "default").split("/")[-1]


def _ecs_ref(region, params, kind, ref):
    return ref if ref.startswith("arn:") else ecs_arn(region, kind, _cluster_name(params), ref)


def _ecs_cluster(emu, region, params):
    name = _cluster_name(params)
    return [Need(cluster_arn(region, name), _cluster_context(emu, region, name))]


def _cluster_context(emu, region, name):
    try:
        tags = emu.moto.ecs(region).list_tags_for_resource(cluster_arn(region, name)) or []
    except Exception:  # an unknown cluster has no tags; the call itself reports it
        tags = []
    return _tag_context("ecs", {t["key"]: t["value"] for t in tags})


def _tag_context(service, tags):
    context = {}
    for key, value in tags.items():
        context["aws:ResourceTag/%s" % key] = value
        context["%s:ResourceTag/%s" % (service, key)] = value
    return context


def _ecs_items(kind, member, single=False):
    def build(emu, region, params):
        refs = [params.get(member)] if single else params.get(member) or []
        context = {"ecs:cluster": cluster_arn(region, _cluster_name(params))}
        out = []
        for ref in refs:
            if isinstance(ref, str) and ref:
                full = _ecs_ref(region, params, kind, ref)
                out.append(Need(full, dict(context, **_instance_tags(emu, region, params, kind, full))))
        return out or [Need("*", context)]
    return build


def _instance_tags(emu, region, params, kind, full):
    if kind != "container-instance":
        return {}
    state = emu.ecs.region(region).clusters.get(_cluster_name(params))
    instance = state.instances.get(full.split("/")[-1]) if state else None
    return _tag_context("ecs", instance.tags) if instance else {}


def _ecs_attribute_targets(emu, region, params):
    context = {"ecs:cluster": cluster_arn(region, _cluster_name(params))}
    targets = [a.get("targetId") for a in params.get("attributes") or [] if isinstance(a, dict)]
    return [Need(_ecs_ref(region, params, "container-instance", t), context) for t in targets if t] or \
        [Need("*", context)]


def _ecs_clusters(emu, region, params):
    names = params.get("clusters") or ["default"]
    return [Need(cluster_arn(region, n.split("/")[-1]), _cluster_context(emu, region, n.split("/")[-1]))
            for n in names]


def _ecs_task_definition(emu, region, params):
    context = {"ecs:cluster": cluster_arn(region, _cluster_name(params))}
    try:
        return [Need(emu.moto.task_definition(region, params.get("taskDefinition")).arn, context)]
    except AwsError:
        return [Need("*", context)]


def _ecs_tagged(emu, region, params):
    arn = params.get("resourceArn") or "*"
    if ":cluster/" in arn:
        return [Need(arn, _cluster_context(emu, region, arn.split("/")[-1]))]
    if ":container-instance/" in arn:
        return [Need(arn, _instance_tags(emu, region, {"cluster": arn.split("/")[-2]}, "container-instance", arn))]
    return [arn]


def _ecs_service(emu, region, params):
    name = (params.get("service") or params.get("serviceName") or "").split("/")[-1]
    return [Need(ecs_arn(region, "service", _cluster_name(params), name),
                 {"ecs:cluster": cluster_arn(region, _cluster_name(params))})]


def _ecs_list_tasks(emu, region, params):
    context = {"ecs:cluster": cluster_arn(region, _cluster_name(params))}
    ref = params.get("containerInstance")
    return [Need(_ecs_ref(region, params, "container-instance", ref) if ref else "*", context)]


# SSM ---------------------------------------------------------------------------------------------------------------
def _managed_instance(emu, region, instance_id):
    instance = emu.ssm.region(region).instances.get(instance_id)
    return Need(managed_instance_arn(region, instance_id), _tag_context("ssm", instance.tags if instance else {}))


def managed_instance_need(emu, region, instance_id):
    return _managed_instance(emu, region, instance_id)


def _send_command(emu, region, params):
    """SendCommand: on the document, and on each managed instance named by id (tag targets are checked per instance
    when they are resolved, ssm_commands.py: the ones refused end AccessDenied)."""
    document = str(params.get("DocumentName") or "")
    needs = [document if document.startswith("arn:") else "arn:aws:ssm:%s::document/%s" % (region, document)]
    ids = list(params.get("InstanceIds") or [])
    ids += [v for t in params.get("Targets") or [] if isinstance(t, dict) and t.get("Key") == "InstanceIds"
            for v in t.get("Values") or []]
    return needs + [_managed_instance(emu, region, i) for i in ids if isinstance(i, str)]


def _ssm_instance(emu, region, params):
    return [_managed_instance(emu, region, params.get("InstanceId") or "")]


def _ssm_tagged(emu, region, params):
    kind, ident = params.get("ResourceType"), params.get("ResourceId") or ""
    if kind == "ManagedInstance":
        return [_managed_instance(emu, region, ident)]
    if kind == "Parameter":
        return [_parameter_arn(region, ident)]
    return ["*"]


def _parameter_arn(region, name):
    return "arn:aws:ssm:%s:%s:parameter/%s" % (region, ACCOUNT_ID, str(name).lstrip("/"))


def _ssm_parameters(emu, region, params):
    names = params.get("Names") or [params.get("Name")]
    return [_parameter_arn(region, n) for n in names if n] or ["*"]


def _create_activation(emu, region, params):
    """CreateActivation needs ssm:CreateActivation and iam:PassRole on the role it hands to SSM."""
    return ["*", Need(_role_arn(params.get("IamRole") or ""), {"iam:PassedToService": "ssm.amazonaws.com"},
                      action="iam:PassRole")]


# IAM / STS ---------------------------------------------------------------------------------------------------------
def _role_arn(name_or_arn, path=None):
    if name_or_arn.startswith("arn:"):
        return name_or_arn
    from moto.iam.models import iam_backends
    try:
        return iam_backends[ACCOUNT_ID][PARTITION].get_role(name_or_arn).arn
    except Exception:  # a role that does not exist (yet: CreateRole): its ARN from the path the call gives
        return "arn:aws:iam::%s:role%s%s" % (ACCOUNT_ID, path or "/", name_or_arn)


def _iam(emu, region, params):
    """IAM's resource types by the name the call carries; the role first (AttachRolePolicy is on the role)."""
    context = {"iam:PolicyARN": params["PolicyArn"]} if params.get("PolicyArn") else {}
    if params.get("RoleName"):
        return [Need(_role_arn(params["RoleName"], params.get("Path")), context)]
    if params.get("UserName"):
        return [Need("arn:aws:iam::%s:user/%s" % (ACCOUNT_ID, params["UserName"]), context)]
    if params.get("GroupName"):
        return [Need("arn:aws:iam::%s:group/%s" % (ACCOUNT_ID, params["GroupName"]), context)]
    if params.get("InstanceProfileName"):
        return [Need("arn:aws:iam::%s:instance-profile/%s" % (ACCOUNT_ID, params["InstanceProfileName"]), context)]
    if params.get("PolicyArn"):
        return [params["PolicyArn"]]
    if params.get("PolicyName"):
        return ["arn:aws:iam::%s:policy%s%s" % (ACCOUNT_ID, params.get("Path") or "/", params["PolicyName"])]
    return ["*"]


def _sts(emu, region, params):
    return [params.get("RoleArn") or "*"]


_RESOURCES = {
    ("ecs", "DescribeClusters"): _ecs_clusters,
    ("ecs", "DeleteCluster"): _ecs_cluster,
    ("ecs", "UpdateCluster"): _ecs_cluster,
    ("ecs", "UpdateClusterSettings"): _ecs_cluster,
    ("ecs", "ListContainerInstances"): _ecs_cluster,
    ("ecs", "ListAttributes"): _ecs_cluster,
    ("ecs", "RegisterContainerInstance"): _ecs_cluster,
    ("ecs", "DeregisterContainerInstance"): _ecs_cluster,
    ("ecs", "SubmitTaskStateChange"): _ecs_cluster,
    ("ecs", "SubmitContainerStateChange"): _ecs_cluster,
    ("ecs", "SubmitAttachmentStateChanges"): _ecs_cluster,
    ("ecs", "DescribeContainerInstances"): _ecs_items("container-instance", "containerInstances"),
    ("ecs", "UpdateContainerInstancesState"): _ecs_items("container-instance", "containerInstances"),
    ("ecs", "StartTask"): _ecs_task_definition,
    ("ecs", "RunTask"): _ecs_task_definition,
    ("ecs", "DescribeTasks"): _ecs_items("task", "tasks"),
    ("ecs", "StopTask"): _ecs_items("task", "task", single=True),
    ("ecs", "ListTasks"): _ecs_list_tasks,
    ("ecs", "PutAttributes"): _ecs_attribute_targets,
    ("ecs", "DeleteAttributes"): _ecs_attribute_targets,
    ("ecs", "TagResource"): _ecs_tagged,
    ("ecs", "UntagResource"): _ecs_tagged,
    ("ecs", "ListTagsForResource"): _ecs_tagged,
    ("ecs", "CreateService"): _ecs_service,
    ("ecs", "UpdateService"): _ecs_service,
    ("ecs", "DeleteService"): _ecs_service,
    ("ecs", "DescribeServices"): _ecs_items("service", "services"),
    ("ssm", "CreateActivation"): _create_activation,
    ("ssm", "SendCommand"): _send_command,
    ("ssm", "DeregisterManagedInstance"): _ssm_instance,
    ("ssm", "UpdateInstanceInformation"): _ssm_instance,
    ("ssm", "AddTagsToResource"): _ssm_tagged,
    ("ssm", "RemoveTagsFromResource"): _ssm_tagged,
    ("ssm", "ListTagsForResource"): _ssm_tagged,
    ("ssm", "GetParameter"): _ssm_parameters,
    ("ssm", "GetParameters"): _ssm_parameters,
    ("ssm", "PutParameter"): _ssm_parameters,
    ("ssm", "DeleteParameter"): _ssm_parameters,
}
_GENERIC = {"iam": _iam, "sts": _sts}


def _tag_api(emu, region, params):  # pylint: disable=unused-argument
    """The tagging API signs as `tagging`, but its actions are `tag:...`; GetResources has no resource types."""
    return [Need("*", action="tag:GetResources")]


_RESOURCES[("tagging", "GetResources")] = _tag_api
