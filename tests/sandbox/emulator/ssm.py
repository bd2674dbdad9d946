"""SSM hybrid activations and managed instances: everything stock moto 5.2.5 lacks, console side and
agent side (RegisterManagedInstance, UpdateInstanceInformation). Other SSM operations go to moto."""
import collections
import dataclasses
import re
import secrets
import string
import time
import uuid

from . import limits
from .errors import AwsError, validation
from .moto_bridge import ACCOUNT_ID
from .pagination import paginate

DEFAULT_EXPIRY_SECONDS = 24 * 3600
_CODE_ALPHABET = string.ascii_letters + string.digits + "+/"
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_INSTANCE_ID = re.compile(r"^mi-[0-9a-f]{17}$")


@dataclasses.dataclass
class Activation:
    activation_id: str
    code: str
    iam_role: str
    registration_limit: int
    expiration: float
    created: float
    region: str
    description: str = ""
    default_instance_name: str = ""
    tags: list = dataclasses.field(default_factory=list)
    registrations: int = 0
    deleted: bool = False

    def expired(self, now):
        return now >= self.expiration

    def describe(self, now):
        out = {"ActivationId": self.activation_id, "Description": self.description,
               "DefaultInstanceName": self.default_instance_name, "IamRole": self.iam_role,
               "RegistrationLimit": self.registration_limit, "RegistrationsCount": self.registrations,
               "ExpirationDate": self.expiration, "Expired": self.expired(now), "CreatedDate": self.created}
        if self.tags:
            out["Tags"] = [dict(t) for t in self.tags]
        return out


@dataclasses.dataclass
class ManagedInstance:
    instance_id: str
    activation_id: str
    iam_role: str
    registered: float
    name: str
    tags: dict
    last_ping: float
    always_online: bool = False  # seeded instances have no agent to heartbeat for them
    agent_version: str = None
    agent_name: str = None
    platform_type: str = None
    platform_name: str = None
    platform_version: str = None
    ip_address: str = None
    computer_name: str = None
    agent_status: str = None

    def ping_status(self, now, timeout):
        return "Online" if self.always_online or now - self.last_ping <= timeout else "ConnectionLost"

    def describe(self, now, config):
        out = {"InstanceId": self.instance_id, "PingStatus": self.ping_status(now, config.heartbeat_timeout),
               "LastPingDateTime": now if self.always_online else self.last_ping,
               "ActivationId": self.activation_id, "IamRole": self.iam_role, "RegistrationDate": self.registered,
               "ResourceType": "ManagedInstance", "Name": self.name,
               "SourceId": self.instance_id, "SourceType": "AWS::SSM::ManagedInstance"}
        optional = {"AgentVersion": self.agent_version, "PlatformType": self.platform_type,
                    "PlatformName": self.platform_name, "PlatformVersion": self.platform_version,
                    "IPAddress": self.ip_address, "ComputerName": self.computer_name}
        out.update({k: v for k, v in optional.items() if v is not None})
        if self.agent_version:
            out["IsLatestVersion"] = _version_key(self.agent_version) >= _version_key(config.latest_ssm_agent_version)
        return out


def _version_key(version):
    return tuple(int(p) if p.isdigit() else 0 for p in version.split("."))


def managed_instance_arn(region, instance_id=""):
    """The ARN IAM and the tagging API name a managed instance by; without an id, the prefix of the region's."""
    return "arn:aws:ssm:%s:%s:managed-instance/%s" % (region, ACCOUNT_ID, instance_id)


def new_instance_id():
    return "mi-" + secrets.token_hex(9)[:17]


class SsmRegion:
    def __init__(self, name):
        self.name = name
        self.activations = {}
        # insertion-ordered so DescribeInstanceInformation pages are stable
        self.instances = collections.OrderedDict()


class SsmService:
    OPERATIONS = {
        "CreateActivation": "create_activation",
        "DescribeActivations": "describe_activations",
        "DeleteActivation": "delete_activation",
        "RegisterManagedInstance": "register_managed_instance",
        "UpdateInstanceInformation": "update_instance_information",
        "RequestManagedInstanceRoleToken": "request_role_token",
        "DeregisterManagedInstance": "deregister_managed_instance",
        "DescribeInstanceInformation": "describe_instance_information",
        "AddTagsToResource": "add_tags",
        "RemoveTagsFromResource": "remove_tags",
        "ListTagsForResource": "list_tags",
    }

    def __init__(self, emu):
        self.emu = emu
        self.reset()

    def reset(self):
        self.regions = {}
        self._log = []

    def region(self, name):
        if name not in self.regions:
            self.regions[name] = SsmRegion(name)
        return self.regions[name]

    def handle(self, req):
        """The response dict for operations this layer owns; None hands the request to moto."""
        method = self.OPERATIONS.get(req.operation)
        if method is None:
            return None
        return getattr(self, method)(self.region(req.region), req.params())

    def record(self, activation):
        self._log.append(activation)

    def activation_log(self):
        return [dict(a.describe(time.time()), ActivationCode=a.code, Region=a.region, Deleted=a.deleted)
                for a in self._log]

    # --- activations ---------------------------------------------------------------------------------------------
    def create_activation(self, region, p):
        now = time.time()
        role = p.get("IamRole")
        if not role:
            raise validation("1 validation error detected: Value null at 'iamRole' failed to satisfy constraint: "
                             "Member must not be null")
        if self.emu.config.validate_iam_role and not self.emu.moto.iam_role_exists(role.split("/")[-1]):
            raise validation("Not existing role: arn:aws:iam::123456789012:role/%s" % role)
        limit = p.get("RegistrationLimit", 1)
        if not isinstance(limit, int) or isinstance(limit, bool):
            raise AwsError("SerializationException", "RegistrationLimit must be an integer")
        expiration = p.get("ExpirationDate")
        if expiration is None:
            expiration = now + DEFAULT_EXPIRY_SECONDS
        elif not isinstance(expiration, (int, float)):
            raise AwsError("SerializationException", "ExpirationDate must be a timestamp")
        elif expiration <= now:
            raise validation("ExpirationDate must be in the future")
        tags = p.get("Tags") or []
        _check_tags(tags)
        limits.check_total("ssm", "CreateActivation", "Tags", len({t["Key"] for t in tags}))
        activation = Activation(
            activation_id=str(uuid.uuid4()), code="".join(secrets.choice(_CODE_ALPHABET) for _ in range(20)),
            iam_role=role, registration_limit=limit, expiration=float(expiration), created=now,
            region=region.name, description=p.get("Description", ""),
            default_instance_name=p.get("DefaultInstanceName", ""), tags=[dict(t) for t in tags])
        region.activations[activation.activation_id] = activation
        self.record(activation)
        return {"ActivationId": activation.activation_id, "ActivationCode": activation.code}

    def describe_activations(self, region, p):
        max_results = _max_results(p)
        selected = list(region.activations.values())
        fields = {"ActivationIds": "activation_id", "DefaultInstanceName": "default_instance_name",
                  "IamRole": "iam_role"}
        for flt in p.get("Filters") or []:
            key = flt.get("FilterKey")
            if key not in fields:
                raise AwsError("InvalidFilter", "The filter key %s is not valid." % key)
            values = set(flt.get("FilterValues") or [])
            selected = [a for a in selected if getattr(a, fields[key]) in values]
        page, token = paginate(selected, max_results, p.get("NextToken"), _invalid_next_token)
        now = time.time()
        out = {"ActivationList": [a.describe(now) for a in page]}
        if token:
            out["NextToken"] = token
        return out

    def delete_activation(self, region, p):
        activation = self._activation(region, p.get("ActivationId"))
        activation.deleted = True
        del region.activations[activation.activation_id]
        return {}

    def _activation(self, region, activation_id):
        if not activation_id or not _UUID.match(activation_id):
            raise AwsError("InvalidActivationId", "The activation ID isn't valid. Verify that you entered the "
                           "correct ActivationId or ActivationCode and try again.")
        activation = region.activations.get(activation_id)
        if activation is None:
            raise AwsError("InvalidActivation", "The activation isn't valid. The activation might have been "
                           "deleted, or the ActivationId and the ActivationCode don't match.")
        return activation

    # --- agent side ----------------------------------------------------------------------------------------------
    def register_managed_instance(self, region, p):
        activation = self._activation(region, p.get("ActivationId"))
        if not secrets.compare_digest(str(p.get("ActivationCode", "")), activation.code):
            raise AwsError("InvalidActivation", "The activation isn't valid. The activation might have been "
                           "deleted, or the ActivationId and the ActivationCode don't match.")
        now = time.time()
        if activation.expired(now):
            raise AwsError("ActivationExpired", "Activation %s has expired." % activation.activation_id)
        if activation.registrations >= activation.registration_limit:
            raise AwsError("InvalidActivation", "Activation %s has reached its registration limit of %d."
                           % (activation.activation_id, activation.registration_limit))
        instance = self.add_instance(region, activation, now)
        return {"InstanceId": instance.instance_id}

    def add_instance(self, region, activation, now, **details):
        """Register one managed instance under `activation` (also used by the seed)."""
        activation.registrations += 1
        instance = ManagedInstance(
            instance_id=new_instance_id(), activation_id=activation.activation_id, iam_role=activation.iam_role,
            registered=now, name=activation.default_instance_name, last_ping=now,
            tags={t["Key"]: t.get("Value", "") for t in activation.tags}, **details)
        region.instances[instance.instance_id] = instance
        return instance

    def update_instance_information(self, region, p):
        instance = self._instance(region, p.get("InstanceId"))
        fields = {"AgentVersion": "agent_version", "AgentName": "agent_name", "PlatformType": "platform_type",
                  "PlatformName": "platform_name", "PlatformVersion": "platform_version",
                  "IPAddress": "ip_address", "ComputerName": "computer_name", "AgentStatus": "agent_status"}
        for key, attr in fields.items():
            if p.get(key) is not None:
                setattr(instance, attr, p[key])
        instance.last_ping = time.time()
        return {}

    def request_role_token(self, region, p):
        """Credentials the agent writes to /root/.aws/credentials for the ECS agent. The real agent proves
        who it is with its registration key pair; stand-in agents name their InstanceId in the body instead."""
        if p.get("InstanceId"):
            self._instance(region, p["InstanceId"])
        return {"AccessKeyId": "ASIA" + secrets.token_hex(8).upper(), "SecretAccessKey": secrets.token_urlsafe(30),
                "SessionToken": secrets.token_urlsafe(60), "TokenExpirationDate": time.time() + 3600,
                "UpdateKeyPair": False}

    def _instance(self, region, instance_id):
        instance = region.instances.get(instance_id or "")
        if instance is None:
            raise AwsError("InvalidInstanceId", "Instance Id %s is not valid or does not exist." % instance_id)
        return instance

    def deregister_managed_instance(self, region, p):
        instance = self._instance(region, p.get("InstanceId"))
        del region.instances[instance.instance_id]
        return {}

    def describe_instance_information(self, region, p):
        max_results = _max_results(p)
        legacy, filters = p.get("InstanceInformationFilterList"), p.get("Filters")
        if legacy and filters:
            raise validation("InstanceInformationFilterList and Filters cannot be used together")
        tag_filters = [f for f in filters or [] if _is_tag_filter(f)]
        if tag_filters and len(tag_filters) < len(filters):
            # "Tag filters can't be combined with other filter types." (API reference); AWS's words:
            raise validation("Cannot mix tag or inventory filter with any other filter.")
        predicates = [_legacy_predicate(f) for f in legacy or []] + [_filter_predicate(f) for f in filters or []]
        now, config = time.time(), self.emu.config
        # Filter on the records and build response shapes for one page only: fleets here reach 5,000+.
        selected = [i for i in region.instances.values() if all(pred(i, now, config) for pred in predicates)]
        page, token = paginate(selected, max_results, p.get("NextToken"), _invalid_next_token)
        page = [i.describe(now, config) for i in page]
        out = {"InstanceInformationList": page}
        if token:
            out["NextToken"] = token
        return out

    # --- tags ------------------------------------------------------------------------------------------------
    def _tagged_instance(self, region, p):
        """The managed instance a tag call is about, or None when moto should handle another resource type."""
        if p.get("ResourceType") != "ManagedInstance":
            return None
        instance_id = p.get("ResourceId", "")
        instance = region.instances.get(instance_id)
        if instance is None:
            raise AwsError("InvalidResourceId", "The resource ID %s isn't valid." % instance_id)
        return instance

    def add_tags(self, region, p):
        instance = self._tagged_instance(region, p)
        if instance is None:
            return None
        tags = p.get("Tags") or []
        _check_tags(tags)
        limits.check_total("ssm", "AddTagsToResource", "Tags", len(set(instance.tags) | {t["Key"] for t in tags}))
        instance.tags.update({t["Key"]: t.get("Value", "") for t in tags})
        return {}

    def remove_tags(self, region, p):
        instance = self._tagged_instance(region, p)
        if instance is None:
            return None
        for key in p.get("TagKeys") or []:
            instance.tags.pop(key, None)
        return {}

    def list_tags(self, region, p):
        instance = self._tagged_instance(region, p)
        if instance is None:
            return None
        return {"TagList": [{"Key": k, "Value": v} for k, v in instance.tags.items()]}


def _check_tags(tags):
    if not isinstance(tags, list) or any(not isinstance(t, dict) or not t.get("Key") for t in tags):
        raise validation("Tags must be a list of {Key, Value} objects with a non-empty Key")


def _max_results(p):
    """The page size; its range is checked with the other limits (limits.py) before the call gets here."""
    value = p.get("MaxResults", 50)
    if not isinstance(value, int) or isinstance(value, bool):
        raise AwsError("SerializationException", "MaxResults must be an integer")
    return value


def _invalid_next_token():
    return AwsError("InvalidNextToken", "The specified token isn't valid.")


def _legacy_predicate(flt):
    key, values = flt.get("key"), flt.get("valueSet") or []
    if key not in _FILTER_FIELDS:
        raise AwsError("InvalidInstanceInformationFilterValue", "The filter key %s is not valid." % key)
    return _field_predicate(key, values)


def _filter_predicate(flt):
    key, values = flt.get("Key") or "", flt.get("Values") or []
    if not values:
        raise AwsError("InvalidInstanceInformationFilterValue", "The filter %s has no values." % key)
    if key.startswith("tag:"):
        name = key[4:]
        return lambda inst, now, config: inst.tags.get(name) in values
    if key == "tag-key":
        return lambda inst, now, config: any(v in inst.tags for v in values)
    if key not in _FILTER_FIELDS:
        raise AwsError("InvalidFilterKey", "The filter key %s is not valid." % key)
    return _field_predicate(key, values)


def _is_tag_filter(flt):
    key = str(flt.get("Key") or "")
    return key.startswith("tag:") or key == "tag-key"


def _field_predicate(key, values):
    if not values:
        raise AwsError("InvalidInstanceInformationFilterValue", "The filter %s has no values." % key)
    if key == "ResourceType" and len(values) > 1:
        raise AwsError("InvalidInstanceInformationFilterValue", "ResourceType filter may contain only one value.")
    if key == "InstanceIds":
        bad = [v for v in values if not _INSTANCE_ID.match(v) and not v.startswith("i-")]
        if bad:
            raise AwsError("InvalidInstanceId", "Instance Id %s is not valid." % bad[0])
    field = _FILTER_FIELDS[key]
    wanted = set(values)
    return lambda inst, now, config: field(inst, now, config) in wanted


_FILTER_FIELDS = {
    "InstanceIds": lambda i, now, config: i.instance_id,
    "AgentVersion": lambda i, now, config: i.agent_version,
    "PingStatus": lambda i, now, config: i.ping_status(now, config.heartbeat_timeout),
    "PlatformTypes": lambda i, now, config: i.platform_type,
    "ActivationIds": lambda i, now, config: i.activation_id,
    "IamRole": lambda i, now, config: i.iam_role,
    "ResourceType": lambda i, now, config: "ManagedInstance",
    "AssociationStatus": lambda i, now, config: None,  # no State Manager associations are emulated
}
