"""AWS's per-call limits for every operation the collection and the stand-in agents use, in one table, enforced on
each JSON request before the project layer or moto sees it.

Each row names where its number comes from (`source`):
- "model": botocore's service model carries it as min/max on the shape (tests/emulator/test_limits_model.py checks
  every such row against the installed botocore);
- "model doc": the model's documentation text for the member states it ("A list of up to 100 ...");
- "API reference" / "developer guide": AWS's published documentation, URL in the row.

How AWS answers a violation (`style`):
- "validation": SSM's (and every Coral service's) request validation, ValidationException
  "1 validation error detected: Value '4' at 'maxResults' failed to satisfy constraint: Member must have value greater
  than or equal to 5"; several violations are reported together, as AWS does ("2 validation errors detected: ...; ...");
- a (code, message template) pair: the service's own error, e.g. ECS's InvalidParameterException
  "instanceIds can have at most 100 items.". Messages marked "verbatim" are AWS's as clients have logged them; the
  others follow the service's pattern for the same kind of limit (AWS publishes no wording for them).

Rows with measure "per_resource" (tags or custom attributes a resource may hold in total) need the resource's current
state: the handlers enforce them through `check_total`, from the same row.
"""
import dataclasses
import re
import time

from .errors import AwsError

VALIDATION = "validation"
ECS_INVALID = "InvalidParameterException"
_SSM_ID_PATTERN = r"(^mi-[0-9a-f]{17}$)|(^eks_c:[0-9A-Za-z][A-Za-z0-9\-_]{0,99}_\w{17}$)"
_ECS_API = "https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_%s.html"
_SSM_API = "https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_%s.html"


@dataclasses.dataclass(frozen=True)
class Limit:
    service: str
    operation: str
    path: str                 # request member: "maxResults", "Filters[].Values", "tags[].key", "TagKeys[]"
    measure: str              # items (list size), length (string), value (integer), pattern, days_ahead, per_resource
    low: object = None
    high: object = None
    source: str = "model"
    style: object = VALIDATION
    when: object = None       # predicate on the enclosing list element (e.g. only tag:KEY filters)

    @property
    def from_model(self):
        return self.source == "model"


def _ecs(message):
    return (ECS_INVALID, message)


L = Limit
LIMITS = (
    # --- SSM --------------------------------------------------------------------------------------------------------
    L("ssm", "DescribeInstanceInformation", "MaxResults", "value", 5, 50),
    L("ssm", "DescribeInstanceInformation", "Filters[].Key", "length", 1),
    L("ssm", "DescribeInstanceInformation", "Filters[].Values", "items", 1, 100),
    L("ssm", "DescribeInstanceInformation", "Filters[].Values[]", "length", 1),
    # tag:KEY filters take fewer values than the model allows; verbatim: "The number of tag values for tag:Name was
    # 35. Max: 5." (ValidationException), as DescribeInstanceInformation answers it.
    L("ssm", "DescribeInstanceInformation", "Filters[].Values", "items", None, 5, "service behaviour (verbatim message)",
      ("ValidationException", "The number of tag values for {key} was {count}. Max: {high}."),
      when=lambda f: str(f.get("Key", "")).startswith("tag:")),
    L("ssm", "DescribeInstanceInformation", "InstanceInformationFilterList[].valueSet", "items", 1, 100),
    L("ssm", "DescribeInstanceInformation", "InstanceInformationFilterList[].valueSet[]", "length", 1),
    L("ssm", "DescribeActivations", "MaxResults", "value", 1, 50),
    L("ssm", "CreateActivation", "RegistrationLimit", "value", 1, 1000),
    L("ssm", "CreateActivation", "IamRole", "length", None, 64),
    L("ssm", "CreateActivation", "Description", "length", 0, 256),
    L("ssm", "CreateActivation", "DefaultInstanceName", "length", 0, 256),
    L("ssm", "CreateActivation", "Tags", "items", None, 1000),
    L("ssm", "CreateActivation", "Tags[].Key", "length", 1, 128),
    L("ssm", "CreateActivation", "Tags[].Value", "length", 0, 256),
    L("ssm", "CreateActivation", "RegistrationMetadata[].Key", "length", 1, 128),
    L("ssm", "CreateActivation", "RegistrationMetadata[].Value", "length", 1, 2048),
    # "You can specify a date up to 30 days in advance." A minute of grace: clients compute now + 30 days before the
    # request travels.
    L("ssm", "CreateActivation", "ExpirationDate", "days_ahead", None, 30, "model doc",
      ("ValidationException", "ExpirationDate must not be more than {high} days in the future")),
    # "Most resources can have a maximum of 50 tags." (AddTagsToResource); an activation is created with its tags.
    L("ssm", "CreateActivation", "Tags", "per_resource", None, 50, "model doc",
      ("ValidationException", "A resource can have at most {high} tags")),
    L("ssm", "DeregisterManagedInstance", "InstanceId", "length", 20, 124),
    L("ssm", "DeregisterManagedInstance", "InstanceId", "pattern", None, _SSM_ID_PATTERN),
    L("ssm", "AddTagsToResource", "Tags", "items", None, 1000),
    L("ssm", "AddTagsToResource", "Tags[].Key", "length", 1, 128),
    L("ssm", "AddTagsToResource", "Tags[].Value", "length", 0, 256),
    L("ssm", "AddTagsToResource", "Tags", "per_resource", None, 50, "model doc",
      ("TooManyTagsError", "The Targets parameter includes too many tags. Remove one or more tags and try the "
                           "command again.")),
    L("ssm", "RemoveTagsFromResource", "TagKeys[]", "length", 1, 128),
    # --- ECS: list sizes (model doc, or the API reference page named) ------------------------------------------------
    # verbatim: "instanceIds can have at most 100 items." / "... 10 items." / "taskIds ..." / "service names ..."
    L("ecs", "DescribeContainerInstances", "containerInstances", "items", None, 100, "model doc (verbatim message)",
      _ecs("instanceIds can have at most {high} items.")),
    L("ecs", "UpdateContainerInstancesState", "containerInstances", "items", None, 10, "model doc (verbatim message)",
      _ecs("instanceIds can have at most {high} items.")),
    L("ecs", "DescribeTasks", "tasks", "items", None, 100, "model doc (verbatim message)",
      _ecs("taskIds can have at most {high} items.")),
    L("ecs", "DescribeServices", "services", "items", None, 10, "model doc (verbatim message)",
      _ecs("service names can have at most {high} items.")),
    L("ecs", "DescribeClusters", "clusters", "items", None, 100, "model doc", _ecs("clusters can have at most {high} items.")),
    L("ecs", "PutAttributes", "attributes", "items", None, 10, "model doc", _ecs("attributes can have at most {high} items.")),
    L("ecs", "DeleteAttributes", "attributes", "items", None, 10, "model doc",
      _ecs("attributes can have at most {high} items.")),
    # Attribute: "The name must contain between 1 and 128 characters", "The value must contain between 1 and 128
    # characters" (model doc of the Attribute shape); a custom attribute may have no value at all.
    L("ecs", "PutAttributes", "attributes[].name", "length", 1, 128, "model doc",
      _ecs("Attribute names must contain between {low} and {high} characters.")),
    L("ecs", "PutAttributes", "attributes[].value", "length", 1, 128, "model doc",
      _ecs("Attribute values must contain between {low} and {high} characters.")),
    L("ecs", "DeleteAttributes", "attributes[].name", "length", 1, 128, "model doc",
      _ecs("Attribute names must contain between {low} and {high} characters.")),
    # "You can specify up to 10 custom attributes for each resource." Custom: names outside the ecs. namespace.
    L("ecs", "PutAttributes", "attributes", "per_resource", None, 10, "model doc",
      ("AttributeLimitExceededException", "You can apply up to {high} custom attributes for each resource.")),
    L("ecs", "StartTask", "containerInstances", "items", None, 10, "model doc",
      _ecs("containerInstances can have at most {high} items.")),
    L("ecs", "RunTask", "count", "value", 1, 10, "model doc", _ecs("count must be between {low} and {high}.")),
    L("ecs", "ListContainerInstances", "maxResults", "value", 1, 100, "model doc",
      _ecs("maxResults must be between {low} and {high}.")),
    L("ecs", "ListAttributes", "maxResults", "value", 1, 100, "model doc", _ecs("maxResults must be between {low} and {high}.")),
    L("ecs", "ListClusters", "maxResults", "value", 1, 100, "model doc", _ecs("maxResults must be between {low} and {high}.")),
    L("ecs", "ListTasks", "maxResults", "value", 1, 100, "model doc", _ecs("maxResults must be between {low} and {high}.")),
    L("ecs", "ListServices", "maxResults", "value", 1, 100, "model doc", _ecs("maxResults must be between {low} and {high}.")),
    # The cluster query language documents 2000 characters for an expression (PlacementConstraint.expression, the
    # same language); the ListContainerInstances page names no other figure.
    L("ecs", "ListContainerInstances", "filter", "length", None, 2000, _ECS_API % "PlacementConstraint",
      _ecs("The filter expression is {count} characters long; the maximum is {high}.")),
    # --- ECS: tags (model: max 50 per call, key 1-128, value 0-256; "Maximum number of tags per resource - 50") ------
    L("ecs", "TagResource", "tags", "items", 0, 50, style=_ecs("tags can have at most {high} items.")),
    L("ecs", "TagResource", "tags[].key", "length", 1, 128, style=_ecs("Tag keys must be {low}-{high} characters long.")),
    L("ecs", "TagResource", "tags[].value", "length", 0, 256, style=_ecs("Tag values must be at most {high} characters long.")),
    L("ecs", "TagResource", "tags", "per_resource", None, 50, "model doc",
      _ecs("A resource can have at most {high} tags.")),
    L("ecs", "UntagResource", "tagKeys[]", "length", 1, 128, style=_ecs("Tag keys must be {low}-{high} characters long.")),
    L("ecs", "CreateCluster", "tags", "items", 0, 50, style=_ecs("tags can have at most {high} items.")),
    L("ecs", "CreateCluster", "tags[].key", "length", 1, 128, style=_ecs("Tag keys must be {low}-{high} characters long.")),
    L("ecs", "CreateCluster", "tags[].value", "length", 0, 256, style=_ecs("Tag values must be at most {high} characters long.")),
    L("ecs", "RegisterContainerInstance", "tags", "items", 0, 50, style=_ecs("tags can have at most {high} items.")),
    L("ecs", "RegisterContainerInstance", "tags[].key", "length", 1, 128,
      style=_ecs("Tag keys must be {low}-{high} characters long.")),
    L("ecs", "RegisterContainerInstance", "tags[].value", "length", 0, 256,
      style=_ecs("Tag values must be at most {high} characters long.")),
)
del L

_BY_OPERATION = {}
for _row in LIMITS:
    _BY_OPERATION.setdefault((_row.service, _row.operation), []).append(_row)


# --- request checks -------------------------------------------------------------------------------------------------
def check(service, operation, params):
    """Raise AWS's error when `params` break a per-call limit of service:operation."""
    validation_errors = []
    for row in _BY_OPERATION.get((service, operation), ()):
        if row.measure == "per_resource":
            continue
        for location, value, element in _occurrences(params, row.path):
            if row.when is not None and not row.when(element or {}):
                continue
            broken = _broken(row, value)
            if broken is None:
                continue
            if row.style == VALIDATION:
                validation_errors.append(_validation_text(row, location, value, broken))
            else:
                raise _service_error(row, value, element)
    if validation_errors:
        count = len(validation_errors)
        raise AwsError("ValidationException", "%d validation error%s detected: %s"
                       % (count, "" if count == 1 else "s", "; ".join(validation_errors)))


def check_total(service, operation, path, total):
    """The per-resource rows: `total` is what the resource would hold after the call."""
    for row in _BY_OPERATION.get((service, operation), ()):
        if row.measure == "per_resource" and row.path == path and total > row.high:
            code, template = row.style
            raise AwsError(code, template.format(high=row.high, low=row.low, count=total, key=""))


def limit(service, operation, path, measure):
    """The number a row holds, for handlers and tests that need it (e.g. the 50 tags per resource)."""
    for row in _BY_OPERATION.get((service, operation), ()):
        if row.path == path and row.measure == measure:
            return row.high
    raise KeyError((service, operation, path, measure))


def _occurrences(params, path):
    """(Coral location, value, enclosing list element) for every place `path` names; absent members are skipped.
    A path ending in [] yields the list itself: Coral reports a bad member at the list ('Member must satisfy
    constraint: [...]')."""
    steps = [("", params, None)]
    for segment in path.rstrip("[]").split(".") if path.endswith("[]") else path.split("."):
        name, iterate = (segment[:-2], True) if segment.endswith("[]") else (segment, False)
        following = []
        for location, node, element in steps:
            if not isinstance(node, dict) or node.get(name) is None:
                continue
            here = (location + "." if location else "") + name[:1].lower() + name[1:]
            value = node[name]
            if iterate:
                if isinstance(value, list):
                    following.extend(("%s.%d.member" % (here, i), item, item) for i, item in enumerate(value, 1))
            else:
                following.append((here, value, element))
        steps = following
    return steps


def _broken(row, value):
    """None when `value` keeps the limit, else the constraint text it breaks."""
    if row.path.endswith("[]"):
        if not isinstance(value, list):
            return None
        inner = dataclasses.replace(row, path=row.path[:-2])
        for member in value:
            broken = _broken(inner, member)
            if broken is not None:
                return "Member must satisfy constraint: [%s]" % broken
        return None
    if row.measure == "pattern":
        return None if not isinstance(value, str) or re.search(row.high, value) else \
            "Member must satisfy regular expression pattern: %s" % row.high
    if row.measure == "days_ahead":
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            return None
        return "too far ahead" if value > time.time() + row.high * 86400 + 60 else None
    size = _size(row.measure, value)
    if size is None:
        return None
    noun = "value" if row.measure == "value" else "length"
    if row.low is not None and size < row.low:
        return "Member must have %s greater than or equal to %d" % (noun, row.low)
    if row.high is not None and size > row.high:
        return "Member must have %s less than or equal to %d" % (noun, row.high)
    return None


def _size(measure, value):
    if measure == "items":
        return len(value) if isinstance(value, list) else None
    if measure == "length":
        return len(value) if isinstance(value, str) else None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return None


def _validation_text(row, location, value, broken):
    if isinstance(value, list) and any(isinstance(v, dict) for v in value):
        shown = ""  # structures have no readable form; Coral leaves the value out then
    else:
        shown = "'%s' " % (_java(value),)
    return "Value %sat '%s' failed to satisfy constraint: %s" % (shown, location, broken)


def _java(value):
    if isinstance(value, list):
        return "[%s]" % ", ".join(_java(v) for v in value)
    return str(value)


def _service_error(row, value, element):
    code, template = row.style
    count = _size(row.measure, value) if row.measure in ("items", "length") else value
    return AwsError(code, template.format(high=row.high, low=row.low, count=count,
                                          key=(element or {}).get("Key", "")))
