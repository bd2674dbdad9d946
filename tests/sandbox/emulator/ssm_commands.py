"""SSM Run Command, console side: SendCommand, ListCommands, ListCommandInvocations, GetCommandInvocation and
CancelCommand for the AWS-RunShellScript document, with AWS's statuses, rate control (MaxConcurrency, MaxErrors) and
timeouts. The agent side (what the SSM agent fetches and answers through ec2messages) is ec2messages.py; both share
the state kept here.

How a command moves (AWS's "Understanding command statuses" and "Understanding command timeout values", and the
SendCommand / Command / CommandInvocation shapes of botocore's model):

- SendCommand resolves its targets (InstanceIds: every id must be a registered managed instance, else
  InvalidInstanceId; Targets `tag:K`, `tag-key`, `InstanceIds`: matched now, ANDed between targets, an unknown id
  there ends Undeliverable). Every invocation starts Pending.
- Dispatching puts a message in the instance's mailbox (the invocation shows InProgress: "Systems Manager is
  attempting to send the command"), never more than MaxConcurrency at a time; a dispatched invocation holds its slot
  until it is terminal. The agent fetches the message (GetMessages), answers InProgress, acknowledges it, runs the
  script and answers with the result (SendReply); see ec2messages.py.
- Failed and ExecutionTimedOut count against MaxErrors. Once more than MaxErrors have failed nothing more is dispatched
  and what was still Pending ends Terminated ("subsequent command invocations were canceled by the system").
- TimeoutSeconds: an invocation not picked up within it will not run (its message is withdrawn, a Pending one is
  never dispatched). The command expires at RequestedDateTime + TimeoutSeconds + executionTimeout (ExpiresAfter, the
  "total timeout"): what is still Pending or InProgress then ends DeliveryTimedOut, e.g. every invocation of an
  instance whose agent is stopped.
- A managed instance deregistered before its agent picked the command up ends Undeliverable.
- An instance whose heartbeat says it is not Linux ends InvalidPlatform (AWS-RunShellScript is for Linux); with IAM
  enforced, a tag-resolved instance the caller may not send to ends AccessDenied. Neither counts against MaxErrors.
- CancelCommand: a Pending or not yet fetched invocation is Cancelled at once; one the agent runs is Cancelling until
  the agent answers Cancelled (it is sent a cancel message).

State advances on every Run Command and ec2messages call, as the ECS layer advances drains: poll to see time pass.
"""
import dataclasses
import datetime
import json
import re
import time
import uuid

from .errors import AwsError, validation
from .moto_bridge import ACCOUNT_ID
from .pagination import paginate

DOCUMENT = "AWS-RunShellScript"
PLUGIN = "aws:runShellScript"
# AWS-RunShellScript as AWS publishes it (schema 1.2): what the agent receives as DocumentContent.
DOCUMENT_CONTENT = {
    "schemaVersion": "1.2",
    "description": "Run a shell script or specify the commands to run.",
    "parameters": {
        "commands": {"type": "StringList", "description": "(Required) Specify a shell script or a command to run.",
                     "minItems": 1, "displayType": "textarea"},
        "workingDirectory": {"type": "String", "default": "", "maxChars": 4096,
                             "description": "(Optional) The path to the working directory on your instance."},
        "executionTimeout": {"type": "String", "default": "3600",
                             "description": "(Optional) The time in seconds for a command to complete before it is "
                                            "considered to have failed. Default is 3600 (1 hour). Maximum is 172800 "
                                            "(48 hours).",
                             "allowedPattern": "([1-9][0-9]{0,4})|(1[0-6][0-9]{4})|(17[0-1][0-9]{3})|(172[0-7][0-9]{2})"
                                               "|(172800)"},
    },
    "runtimeConfig": {PLUGIN: {"properties": [{
        "id": "0.aws:runShellScript", "runCommand": "{{ commands }}", "workingDirectory": "{{ workingDirectory }}",
        "timeoutSeconds": "{{ executionTimeout }}"}]}},
}
_EXECUTION_TIMEOUT = re.compile(DOCUMENT_CONTENT["parameters"]["executionTimeout"]["allowedPattern"])

# Output limits of the API (botocore's model: StandardOutputContent max 24000, StandardErrorContent max 8000,
# CommandPluginOutput and InvocationTraceOutput max 2500).
STDOUT_LIMIT = 24000
STDERR_LIMIT = 8000
PLUGIN_OUTPUT_LIMIT = 2500
TRACE_LIMIT = 2500

DEFAULT_TIMEOUT_SECONDS = 3600
DEFAULT_MAX_CONCURRENCY = "50"
DEFAULT_MAX_ERRORS = "0"

# StatusDetails -> Status of an invocation (CommandInvocationStatus) and of its plugin (CommandPluginStatus).
INVOCATION_STATUS = {
    "Pending": "Pending", "InProgress": "InProgress", "Delayed": "Delayed", "Success": "Success",
    "DeliveryTimedOut": "TimedOut", "ExecutionTimedOut": "TimedOut", "Failed": "Failed", "Cancelled": "Cancelled",
    "Cancelling": "Cancelling", "Undeliverable": "Failed", "Terminated": "Cancelled", "InvalidPlatform": "Failed",
    "AccessDenied": "Failed",
}
PLUGIN_STATUS = {"Delayed": "Pending", "Cancelling": "InProgress"}
TERMINAL = {"Success", "DeliveryTimedOut", "ExecutionTimedOut", "Failed", "Cancelled", "Undeliverable", "Terminated",
            "InvalidPlatform", "AccessDenied"}
COUNTED_ERRORS = {"Failed", "ExecutionTimedOut"}            # count against MaxErrors
NOT_COUNTED = {"Undeliverable", "InvalidPlatform", "AccessDenied"}  # neither errors nor towards Success/Incomplete
# The agent's documentStatus -> the invocation's StatusDetails.
AGENT_STATUS = {"Success": "Success", "Failed": "Failed", "TimedOut": "ExecutionTimedOut", "Cancelled": "Cancelled",
                "SuccessAndReboot": "Success", "PassedAndReboot": "Success"}

_STATUS_FILTER_VALUES = set(INVOCATION_STATUS) | {"TimedOut"}
_COMMAND_FILTER_KEYS = {"InvokedAfter", "InvokedBefore", "Status", "ExecutionStage", "DocumentName"}
_INSTANCE_ID = re.compile(r"^mi-[0-9a-f]{17}$")
_VERSION = re.compile(r"^([$]LATEST|[$]DEFAULT|1)$")


def iso(epoch):
    """ISO 8601 with milliseconds, as the API and the agent write times ("2015-08-04T17:07:27.983Z")."""
    moment = datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (moment.microsecond // 1000)


def parse_iso(text):
    try:
        return datetime.datetime.fromisoformat(str(text).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def count_of(value, total):
    """MaxConcurrency / MaxErrors ("10" or "10%") as a number of instances out of `total` (percentages round down)."""
    if value.endswith("%"):
        return int(value[:-1]) * total // 100
    return int(value)


@dataclasses.dataclass
class Message:
    """One ec2messages message in an instance's mailbox (agent/runcommand/mds: ssmmds.Message)."""
    message_id: str
    topic: str
    payload: str
    created: float
    invocation: object
    visible_at: float = 0.0


@dataclasses.dataclass
class Invocation:
    command: object
    instance_id: str
    instance_name: str = ""
    details: str = "Pending"
    dispatched: float = None
    message: Message = None
    received: bool = False          # the agent answered or acknowledged: it has the command
    response_code: int = -1
    stdout: str = ""
    stderr: str = ""
    output: str = ""
    trace: str = ""
    started: str = ""
    ended: str = ""

    @property
    def status(self):
        return INVOCATION_STATUS[self.details]

    @property
    def terminal(self):
        return self.details in TERMINAL

    @property
    def message_id(self):
        return "aws.ssm.%s.%s" % (self.command.command_id, self.instance_id)

    def finish(self, details, trace=None):
        self.details = details
        if trace is not None:
            self.trace = trace[:TRACE_LIMIT]
        self.command.invocation_done()


@dataclasses.dataclass
class Command:
    command_id: str
    region: str
    requested: float
    params: dict
    parameters: dict
    document_version: str
    timeout_seconds: int
    execution_timeout: int
    max_concurrency: str
    max_errors: str
    instance_ids: list
    targets: list
    invocations: dict = dataclasses.field(default_factory=dict)   # instance id -> Invocation, target order kept
    cancelled: bool = False
    no_instances_in_tag: bool = False
    stopped: bool = False           # MaxErrors exceeded: nothing more is dispatched

    @property
    def expires_after(self):
        return self.requested + self.timeout_seconds + self.execution_timeout

    @property
    def delivery_deadline(self):
        return self.requested + self.timeout_seconds

    def invocation_done(self):
        errors = sum(1 for i in self.invocations.values() if i.details in COUNTED_ERRORS)
        if errors > count_of(self.max_errors, len(self.invocations)):
            self.stopped = True

    def counts(self):
        invocations = list(self.invocations.values())
        return {
            "TargetCount": len(invocations),
            "CompletedCount": sum(1 for i in invocations if i.terminal),
            "ErrorCount": sum(1 for i in invocations if i.details in COUNTED_ERRORS),
            "DeliveryTimedOutCount": sum(1 for i in invocations if i.details == "DeliveryTimedOut"),
        }

    def status_details(self):
        """The command's StatusDetails, from its invocations (the command table of "Understanding command statuses")."""
        invocations = list(self.invocations.values())
        if self.no_instances_in_tag:
            return "NoInstancesInTag"
        if any(i.details == "Cancelling" for i in invocations):
            return "Cancelling"
        if self.cancelled and all(i.terminal for i in invocations):
            return "Cancelled"
        if not all(i.terminal for i in invocations):
            return "InProgress" if any(i.dispatched is not None for i in invocations) else "Pending"
        allowed = count_of(self.max_errors, len(invocations))
        by = {}
        for invocation in invocations:
            by[invocation.details] = by.get(invocation.details, 0) + 1
        errors = sum(by.get(d, 0) for d in COUNTED_ERRORS)
        if errors > allowed:
            return "ExecutionTimedOut" if by.get("ExecutionTimedOut", 0) > by.get("Failed", 0) else "Failed"
        if by.get("DeliveryTimedOut", 0) > allowed:
            return "DeliveryTimedOut"
        counted = [i for i in invocations if i.details not in NOT_COUNTED]
        if not counted:
            return "AccessDenied" if all(i.details == "AccessDenied" for i in invocations) else "Failed"
        if all(i.details == "Success" for i in counted):
            return "Success"
        return "Incomplete"


_NO_NOTIFICATIONS = {"NotificationArn": "", "NotificationEvents": [], "NotificationType": ""}
COMMAND_STATUS = {
    "Pending": "Pending", "InProgress": "InProgress", "Success": "Success", "Incomplete": "Success",
    "Failed": "Failed", "ExecutionTimedOut": "TimedOut", "DeliveryTimedOut": "TimedOut", "Cancelled": "Cancelled",
    "Cancelling": "Cancelling", "NoInstancesInTag": "Failed", "AccessDenied": "Failed",
}


class RunCommandRegion:
    def __init__(self, name):
        self.name = name
        self.commands = {}   # command id -> Command, in the order sent
        self.mailboxes = {}  # instance id -> {message id: Message}
        self.cancels = {}    # cancel message id -> Message (the agent answers about it after acknowledging it)


class RunCommand:
    OPERATIONS = {
        "SendCommand": "send_command",
        "ListCommands": "list_commands",
        "ListCommandInvocations": "list_command_invocations",
        "GetCommandInvocation": "get_command_invocation",
        "CancelCommand": "cancel_command",
    }

    def __init__(self, emu, notify=None):
        self.emu = emu
        self.notify = notify or (lambda: None)  # wakes the agents' long polls (ec2messages.py)
        self.reset()

    def reset(self):
        self.regions = {}

    def region(self, name):
        if name not in self.regions:
            self.regions[name] = RunCommandRegion(name)
        return self.regions[name]

    def handle(self, req):
        """The response for the operations this layer owns; None for every other SSM operation."""
        method = self.OPERATIONS.get(req.operation)
        if method is None:
            return None
        region = self.region(req.region)
        self.advance(region)
        return getattr(self, method)(region, req.params(), req)

    def _managed(self, region_name):
        return self.emu.ssm.region(region_name).instances

    # --- time ---------------------------------------------------------------------------------------------------
    def advance(self, region, now=None):
        """Apply what time and the fleet changed since the last call: deregistrations, expiry, dispatching."""
        now = time.time() if now is None else now
        instances = self._managed(region.name)
        woke = False
        for command in region.commands.values():
            for invocation in command.invocations.values():
                if invocation.terminal:
                    continue
                if not invocation.received and invocation.instance_id not in instances:
                    self._withdraw(region, invocation)
                    invocation.finish("Undeliverable", "The managed instance is no longer registered.")
                elif now >= command.expires_after:
                    self._withdraw(region, invocation)
                    invocation.finish("Cancelled" if invocation.details == "Cancelling" else "DeliveryTimedOut")
                elif not invocation.received and now >= command.delivery_deadline:
                    self._withdraw(region, invocation)  # "it won't run": the agent never sees it now
            woke = self._dispatch(region, command, now) or woke
        if woke:
            self.notify()

    def _dispatch(self, region, command, now):
        pending = [i for i in command.invocations.values() if i.details == "Pending"]
        if not pending:
            return False
        if command.stopped:
            for invocation in pending:
                invocation.finish("Terminated", "The command exceeded its MaxErrors (%s); this invocation was not "
                                                "sent." % command.max_errors)
            return False
        if now >= command.delivery_deadline:
            return False
        running = sum(1 for i in command.invocations.values() if i.dispatched is not None and not i.terminal)
        free = max(count_of(command.max_concurrency, len(command.invocations)), 1) - running
        for invocation in pending[:max(free, 0)]:
            invocation.dispatched = now
            invocation.details = "InProgress"
            invocation.message = Message(invocation.message_id, "aws.ssm.sendCommand.%s.1" % region.name.replace("-", "."),
                                         self._payload(command, invocation), now, invocation)
            region.mailboxes.setdefault(invocation.instance_id, {})[invocation.message_id] = invocation.message
        return free > 0

    @staticmethod
    def _withdraw(region, invocation):
        if invocation.message is not None:
            region.mailboxes.get(invocation.instance_id, {}).pop(invocation.message.message_id, None)

    @staticmethod
    def _payload(command, invocation):
        """What the agent parses (agent/runcommand/contracts/model.go SendCommandPayload): String parameters as
        strings, StringList ones as lists, defaults filled in."""
        parameters = {"commands": list(command.parameters["commands"]),
                      "workingDirectory": command.parameters.get("workingDirectory", [""])[0],
                      "executionTimeout": str(command.execution_timeout)}
        return json.dumps({
            "Parameters": parameters, "DocumentContent": DOCUMENT_CONTENT, "CommandId": command.command_id,
            "DocumentName": DOCUMENT, "OutputS3KeyPrefix": command.params.get("OutputS3KeyPrefix", ""),
            "OutputS3BucketName": command.params.get("OutputS3BucketName", ""),
            "CloudWatchLogGroupName": "", "CloudWatchOutputEnabled": "false"})

    # --- SendCommand --------------------------------------------------------------------------------------------
    def send_command(self, region, p, req):
        document = str(p.get("DocumentName") or "")
        if document.split("/")[-1] != DOCUMENT:
            raise AwsError("InvalidDocument", "Document %s does not exist in your account or the emulator; it "
                                              "serves %s only." % (document, DOCUMENT))
        version = p.get("DocumentVersion") or "$DEFAULT"
        if not _VERSION.match(version):
            raise AwsError("InvalidDocumentVersion", "The document version %s is not valid." % version)
        parameters = _check_parameters(p.get("Parameters"))
        execution_timeout = int(parameters.get("executionTimeout", ["3600"])[0])
        instance_ids, targets = p.get("InstanceIds") or [], p.get("Targets") or []
        if instance_ids and targets:
            raise validation("InstanceIds and Targets cannot both be specified.")
        if not instance_ids and not targets:
            raise validation("Specify InstanceIds or Targets.")
        now = time.time()
        command = Command(
            command_id=str(uuid.uuid4()), region=region.name, requested=now, params=dict(p), parameters=parameters,
            document_version=version, timeout_seconds=int(p.get("TimeoutSeconds") or DEFAULT_TIMEOUT_SECONDS),
            execution_timeout=execution_timeout, max_concurrency=p.get("MaxConcurrency") or DEFAULT_MAX_CONCURRENCY,
            max_errors=p.get("MaxErrors") or DEFAULT_MAX_ERRORS, instance_ids=list(instance_ids),
            targets=[dict(t) for t in targets])
        resolved = self._by_ids(region, instance_ids) if instance_ids else self._by_targets(region, targets, req)
        for instance_id, details in resolved:
            instance = self._managed(region.name).get(instance_id)
            invocation = Invocation(command, instance_id, (instance.computer_name or "") if instance else "")
            command.invocations[instance_id] = invocation
            if details:
                invocation.details = details
        command.no_instances_in_tag = bool(targets) and not command.invocations
        region.commands[command.command_id] = command
        command.invocation_done()
        self.advance(region, now)
        shape = self._command(command)
        if targets:
            shape.update(TargetCount=0)  # targets are resolved after the call returns, as AWS reports it
        return {"Command": shape}

    def _by_ids(self, region, instance_ids):
        instances = self._managed(region.name)
        unknown = [i for i in instance_ids if i not in instances]
        if unknown:
            raise AwsError("InvalidInstanceId", "Instances [[%s]] not in a valid state for account %s"
                           % (", ".join(unknown), ACCOUNT_ID))
        return [(i, _platform_problem(instances[i])) for i in dict.fromkeys(instance_ids)]

    def _by_targets(self, region, targets, req):
        instances = self._managed(region.name)
        selected = None
        undeliverable = []
        for target in targets:
            key, values = str(target.get("Key") or ""), [str(v) for v in target.get("Values") or []]
            if key == "InstanceIds":
                undeliverable.extend(v for v in values if v not in instances and v not in undeliverable)
                matched = [v for v in values if v in instances]
            elif key.startswith("tag:"):
                matched = [i for i, inst in instances.items() if inst.tags.get(key[4:]) in values]
            elif key == "tag-key":
                matched = [i for i, inst in instances.items() if any(v in inst.tags for v in values)]
            else:
                raise AwsError("InvalidTarget", "Target key %s is not supported here: use tag:KEY, tag-key or "
                                                "InstanceIds." % key)
            selected = matched if selected is None else [i for i in selected if i in matched]
        resolved = [(i, _platform_problem(instances[i]) or self._denied(req, region.name, i))
                    for i in dict.fromkeys(selected or [])]
        return resolved + [(i, "Undeliverable") for i in undeliverable]

    def _denied(self, req, region_name, instance_id):
        """AccessDenied for an instance a tag target found that the (IAM-enforced) caller may not send to."""
        from . import iam_enforce
        allowed = iam_enforce.allowed(self.emu, req, "ssm:SendCommand", iam_enforce.managed_instance_need(
            self.emu, region_name, instance_id))
        return None if allowed else "AccessDenied"

    # --- reading ------------------------------------------------------------------------------------------------
    def _command_by_id(self, region, command_id):
        command = region.commands.get(command_id or "")
        if command is None:
            raise AwsError("InvalidCommandId", "The command ID %s isn't valid. Verify the ID and try again." % command_id)
        return command

    def list_commands(self, region, p, req):
        commands = list(reversed(list(region.commands.values())))  # most recent first
        if p.get("CommandId"):
            commands = [self._command_by_id(region, p["CommandId"])]
        if p.get("InstanceId"):
            commands = [c for c in commands if p["InstanceId"] in c.invocations]
        commands = [c for c in commands if _matches(_command_predicates(p.get("Filters")), c, None)]
        page, token = paginate(commands, p.get("MaxResults") or 50, p.get("NextToken"), _invalid_token)
        out = {"Commands": [self._command(c) for c in page]}
        if token:
            out["NextToken"] = token
        return out

    def list_command_invocations(self, region, p, req):
        commands = list(region.commands.values())
        if p.get("CommandId"):
            # An id SSM does not know (yet) lists nothing, as AWS answers right after SendCommand.
            commands = [region.commands[p["CommandId"]]] if p["CommandId"] in region.commands else []
        predicates = _invocation_predicates(p.get("Filters"))
        selected = [i for c in commands for i in c.invocations.values()
                    if (not p.get("InstanceId") or i.instance_id == p["InstanceId"]) and _matches(predicates, c, i)]
        page, token = paginate(selected, p.get("MaxResults") or 50, p.get("NextToken"), _invalid_token)
        out = {"CommandInvocations": [self._invocation(i, bool(p.get("Details"))) for i in page]}
        if token:
            out["NextToken"] = token
        return out

    def get_command_invocation(self, region, p, req):
        command = region.commands.get(p.get("CommandId") or "")
        invocation = command.invocations.get(p.get("InstanceId") or "") if command else None
        if invocation is None:
            raise AwsError("InvocationDoesNotExist", "The command ID and managed node ID you specified didn't match "
                                                     "any invocations.")
        if p.get("PluginName") not in (None, PLUGIN):
            raise AwsError("InvalidPluginName", "The plugin name %s isn't valid: the document's one step is %s."
                           % (p["PluginName"], PLUGIN))
        params = command.params
        elapsed = ""
        if invocation.started and invocation.ended:
            elapsed = "PT%.3fS" % max(parse_iso(invocation.ended) - parse_iso(invocation.started), 0)
        return {
            "CommandId": command.command_id, "InstanceId": invocation.instance_id, "Comment": params.get("Comment", ""),
            "DocumentName": DOCUMENT, "DocumentVersion": command.document_version, "PluginName": PLUGIN,
            "ResponseCode": invocation.response_code, "ExecutionStartDateTime": invocation.started,
            "ExecutionElapsedTime": elapsed, "ExecutionEndDateTime": invocation.ended,
            "Status": invocation.status, "StatusDetails": invocation.details,
            "StandardOutputContent": invocation.stdout if invocation.terminal else "",
            "StandardOutputUrl": "",
            "StandardErrorContent": invocation.stderr if invocation.terminal else "",
            "StandardErrorUrl": "",
            "CloudWatchOutputConfig": {"CloudWatchLogGroupName": "", "CloudWatchOutputEnabled": False},
        }

    # --- CancelCommand ------------------------------------------------------------------------------------------
    def cancel_command(self, region, p, req):
        command = self._command_by_id(region, p.get("CommandId"))
        wanted = p.get("InstanceIds") or list(command.invocations)
        unknown = [i for i in wanted if i not in command.invocations]
        if unknown:
            raise AwsError("InvalidInstanceId", "Instances [[%s]] are not targets of command %s."
                           % (", ".join(unknown), command.command_id))
        command.cancelled = True
        now = time.time()
        for instance_id in wanted:
            invocation = command.invocations[instance_id]
            if invocation.terminal or invocation.details == "Cancelling":
                continue
            if not invocation.received:
                self._withdraw(region, invocation)
                invocation.finish("Cancelled")
                continue
            invocation.details = "Cancelling"
            cancel_id = "aws.ssm.%s.%s" % (uuid.uuid4(), instance_id)
            message = Message(cancel_id, "aws.ssm.cancelCommand.%s.1" % region.name.replace("-", "."),
                              json.dumps({"CancelMessageId": invocation.message_id}), now, None)
            region.mailboxes.setdefault(instance_id, {})[cancel_id] = message
            region.cancels[cancel_id] = message
        self.notify()
        return {}

    # --- shapes -------------------------------------------------------------------------------------------------
    def _command(self, command):
        p = command.params
        details = command.status_details()
        out = {
            "CommandId": command.command_id, "DocumentName": DOCUMENT, "DocumentVersion": command.document_version,
            "Comment": p.get("Comment", ""), "ExpiresAfter": command.expires_after,
            "Parameters": command.parameters, "InstanceIds": list(command.instance_ids),
            "Targets": [dict(t) for t in command.targets], "RequestedDateTime": command.requested,
            "Status": COMMAND_STATUS[details], "StatusDetails": details,
            "OutputS3Region": p.get("OutputS3Region", ""), "OutputS3BucketName": p.get("OutputS3BucketName", ""),
            "OutputS3KeyPrefix": p.get("OutputS3KeyPrefix", ""), "MaxConcurrency": command.max_concurrency,
            "MaxErrors": command.max_errors, "ServiceRole": p.get("ServiceRoleArn", ""),
            "NotificationConfig": p.get("NotificationConfig") or _NO_NOTIFICATIONS,
            "CloudWatchOutputConfig": {"CloudWatchLogGroupName": "", "CloudWatchOutputEnabled": False},
            "TimeoutSeconds": command.timeout_seconds,
        }
        out.update(command.counts())
        return out

    def _invocation(self, invocation, details):
        command = invocation.command
        out = {
            "CommandId": command.command_id, "InstanceId": invocation.instance_id,
            "InstanceName": invocation.instance_name, "Comment": command.params.get("Comment", ""),
            "DocumentName": DOCUMENT, "DocumentVersion": command.document_version,
            "RequestedDateTime": command.requested, "Status": invocation.status, "StatusDetails": invocation.details,
            "TraceOutput": invocation.trace, "StandardOutputUrl": "", "StandardErrorUrl": "", "CommandPlugins": [],
            "ServiceRole": command.params.get("ServiceRoleArn", ""),
            "NotificationConfig": _NO_NOTIFICATIONS,
            "CloudWatchOutputConfig": {"CloudWatchLogGroupName": "", "CloudWatchOutputEnabled": False},
        }
        if details:
            plugin = {"Name": PLUGIN, "Status": PLUGIN_STATUS.get(invocation.details, invocation.status),
                      "StatusDetails": invocation.details, "ResponseCode": invocation.response_code,
                      "Output": invocation.output if invocation.terminal else "", "StandardOutputUrl": "",
                      "StandardErrorUrl": "", "OutputS3Region": command.params.get("OutputS3Region", ""),
                      "OutputS3BucketName": command.params.get("OutputS3BucketName", ""),
                      "OutputS3KeyPrefix": command.params.get("OutputS3KeyPrefix", "")}
            if invocation.started:
                plugin["ResponseStartDateTime"] = parse_iso(invocation.started)
            if invocation.ended:
                plugin["ResponseFinishDateTime"] = parse_iso(invocation.ended)
            out["CommandPlugins"] = [plugin]
        return out

    # --- the agent side (ec2messages.py) ------------------------------------------------------------------------
    def find_message(self, region, message_id):
        """The invocation or cancel Message `message_id` names, or None."""
        if message_id in region.cancels:
            return region.cancels[message_id]
        match = re.match(r"^aws\.ssm\.([0-9a-f-]{36})\.(.+)$", message_id or "")
        if not match:
            return None
        command = region.commands.get(match.group(1))
        invocation = command.invocations.get(match.group(2)) if command else None
        return invocation.message if invocation is not None and invocation.message is not None else None

    def reply(self, region, message, payload):
        """Apply an agent's SendReply (agent/runcommand/contracts/model.go SendReplyPayload). Returns whether it
        changed anything."""
        invocation = message.invocation
        if invocation is None:  # the agent's answer about a cancel message: nothing to record
            return False
        if invocation.terminal:
            return False  # late or repeated answers change nothing
        invocation.received = True
        document_status = payload.get("documentStatus")
        if document_status in ("InProgress", "Pending", "NotStarted"):
            if invocation.details not in ("Cancelling",):
                invocation.details = "InProgress"
            return True
        if document_status not in AGENT_STATUS:
            return False
        plugin = _plugin_result(payload.get("runtimeStatus") or {})
        invocation.response_code = int(plugin.get("code", 0 if document_status == "Success" else 1))
        invocation.stdout = str(plugin.get("standardOutput") or "")[:STDOUT_LIMIT]
        invocation.stderr = str(plugin.get("standardError") or "")[:STDERR_LIMIT]
        invocation.output = str(plugin.get("output") or "")[:PLUGIN_OUTPUT_LIMIT]
        invocation.started = str(plugin.get("startDateTime") or "")
        invocation.ended = str(plugin.get("endDateTime") or "")
        self._withdraw(region, invocation)
        invocation.finish(AGENT_STATUS[document_status], str(payload.get("documentTraceOutput") or ""))
        self.advance(region)
        return True

    def fail(self, region, message, failure_type):
        """The agent could not handle the message (FailMessage): the invocation fails without running."""
        self.acknowledge(region, message)
        invocation = message.invocation
        if invocation is None or invocation.terminal:
            return False
        invocation.finish("Failed", "The agent failed the message: %s" % failure_type)
        self.advance(region)
        return True

    def acknowledge(self, region, message):
        """The agent has the message: it leaves the mailbox for good."""
        region.mailboxes.get(_destination(message), {}).pop(message.message_id, None)
        if message.invocation is not None:
            message.invocation.received = True


def _destination(message):
    return message.message_id.rsplit(".", 1)[-1]


def _plugin_result(runtime_status):
    """The aws:runShellScript plugin's runtime status (keyed by plugin id; a 1.2 document has one plugin)."""
    if not isinstance(runtime_status, dict):
        return {}
    for key, value in runtime_status.items():
        if isinstance(value, dict) and (key == PLUGIN or value.get("name") == PLUGIN or len(runtime_status) == 1):
            return value
    return {}


def _platform_problem(instance):
    """InvalidPlatform for an instance whose heartbeat names another platform than Linux (unknown counts as Linux)."""
    platform = instance.platform_type or "Linux"
    return None if platform in ("Linux", "MacOS") else "InvalidPlatform"


def _check_parameters(parameters):
    """Parameters against AWS-RunShellScript's own definitions (InvalidParameters as AWS answers a wrong one)."""
    if not isinstance(parameters, dict):
        raise AwsError("InvalidParameters", "Parameters must include commands, a list of one or more command lines.")
    known = DOCUMENT_CONTENT["parameters"]
    unknown = sorted(set(parameters) - set(known))
    if unknown:
        raise AwsError("InvalidParameters", "Parameter%s %s not defined in document %s: give commands, "
                                            "workingDirectory or executionTimeout."
                       % ("s" if len(unknown) > 1 else "", ", ".join(unknown), DOCUMENT))
    for name, values in parameters.items():
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise AwsError("InvalidParameters", "Parameter %s must be a list of strings." % name)
        if known[name]["type"] == "String" and len(values) != 1:
            raise AwsError("InvalidParameters", "Parameter %s takes exactly one value, got %d." % (name, len(values)))
    if not parameters.get("commands"):
        raise AwsError("InvalidParameters", "Parameter commands is required and must have at least one item.")
    if len(parameters.get("workingDirectory", [""])[0]) > known["workingDirectory"]["maxChars"]:
        raise AwsError("InvalidParameters", "Parameter workingDirectory is longer than 4096 characters.")
    timeout = parameters.get("executionTimeout", ["3600"])[0]
    if not _EXECUTION_TIMEOUT.fullmatch(timeout):
        raise AwsError("InvalidParameters", "Parameter executionTimeout %r does not match the pattern %s (1 to 172800 "
                                            "seconds)." % (timeout, known["executionTimeout"]["allowedPattern"]))
    return {k: list(v) for k, v in parameters.items()}


def _invalid_token():
    return AwsError("InvalidNextToken", "The specified token isn't valid.")


def _filter_value_check(key, value, allowed_keys):
    if key not in allowed_keys:
        raise AwsError("InvalidFilterKey", "The filter key %s is not valid here; valid keys: %s."
                       % (key, ", ".join(sorted(allowed_keys))))
    if key in ("InvokedAfter", "InvokedBefore") and parse_iso(value) is None:
        raise AwsError("InvalidFilterKey", "The %s filter needs a timestamp such as 2024-07-07T00:00:00Z, got %s."
                       % (key, value))


def _command_predicates(filters):
    predicates = []
    for flt in filters or []:
        key, value = flt.get("key"), flt.get("value")
        _filter_value_check(key, value, _COMMAND_FILTER_KEYS)
        if key == "Status":
            predicates.append(lambda c, i, v=value: v in (COMMAND_STATUS[c.status_details()], c.status_details()) or
                              (v == "TimedOut" and c.status_details() in ("DeliveryTimedOut", "ExecutionTimedOut")))
        elif key == "ExecutionStage":
            if value not in ("Executing", "Complete"):
                raise AwsError("InvalidFilterKey", "ExecutionStage is Executing or Complete, got %s." % value)
            predicates.append(lambda c, i, v=value: (c.status_details() in ("Pending", "InProgress", "Cancelling"))
                              == (v == "Executing"))
        else:
            predicates.append(_common_predicate(key, value))
    return predicates


def _invocation_predicates(filters):
    predicates = []
    for flt in filters or []:
        key, value = flt.get("key"), flt.get("value")
        _filter_value_check(key, value, _COMMAND_FILTER_KEYS - {"ExecutionStage"})
        if key == "Status":
            if value not in _STATUS_FILTER_VALUES:
                raise AwsError("InvalidFilterKey", "The Status filter value %s is not valid for "
                                                   "ListCommandInvocations." % value)
            predicates.append(lambda c, i, v=value: v in (i.status, i.details) or
                              (v == "TimedOut" and i.details in ("DeliveryTimedOut", "ExecutionTimedOut")))
        else:
            predicates.append(_common_predicate(key, value))
    return predicates


def _common_predicate(key, value):
    if key == "DocumentName":
        return lambda c, i: value == DOCUMENT
    moment = parse_iso(value)
    if key == "InvokedAfter":
        return lambda c, i: c.requested >= moment
    return lambda c, i: c.requested <= moment


def _matches(predicates, command, invocation):
    return all(pred(command, invocation) for pred in predicates)
