"""A fake SSM client for ssm_command's unit tests: managed instances and Run Command, AWS's per-call limits enforced
(written here from botocore's model and the service's answers, independently of the module's constants), calls counted.

Each command is over after `rounds` ListCommands calls for it (a list: per command, in the order sent); until then its invocations are InProgress. `results`
maps an instance id to (StatusDetails, exit code, stdout, stderr) - default ("Success", 0, "ok from <id>\\n", "").
"""
import collections
import uuid

import botocore.exceptions

MAX_SEND_IDS = 50        # SendCommand InstanceIds
MAX_TARGETS = 5          # SendCommand Targets
MAX_TARGET_VALUES = 50   # SendCommand Targets[].Values
MAX_PAGE = 50            # ListCommandInvocations / DescribeInstanceInformation MaxResults
MAX_FILTER_VALUES = 100  # DescribeInstanceInformation Filters[].Values
MAX_TAG_VALUES = 5       # ... for tag:KEY filters
STATUS = {"Success": "Success", "Failed": "Failed", "ExecutionTimedOut": "TimedOut", "DeliveryTimedOut": "TimedOut",
          "Undeliverable": "Failed", "Terminated": "Cancelled", "Cancelled": "Cancelled", "AccessDenied": "Failed",
          "InProgress": "InProgress", "Pending": "Pending"}


class LimitExceeded(AssertionError):
    """A call the real API would refuse."""


def check(condition, message):
    if not condition:
        raise LimitExceeded(message)


def instance_id(n):
    return "mi-%017x" % n


class FakeRunCommand:
    def __init__(self, count=0, rounds=2, results=None, offline=(), tags=None, never_done=False):
        self.calls = collections.Counter()
        self.rounds = rounds
        self.results = results or {}
        self.never_done = never_done
        self.instances = collections.OrderedDict()
        for n in range(count):
            iid = instance_id(n)
            self.instances[iid] = {"InstanceId": iid, "PingStatus": "ConnectionLost" if n in offline else "Online",
                                   "ComputerName": "host-%d" % n, "tags": dict(tags or {"fleet": "edge"})}
        self.commands = collections.OrderedDict()
        self.sent = []

    # --- DescribeInstanceInformation --------------------------------------------------------------------------
    def describe_instance_information(self, MaxResults=50, Filters=None, NextToken=None):
        check(5 <= MaxResults <= MAX_PAGE, "MaxResults")
        self.calls["describe_instance_information"] += 1
        selected = list(self.instances.values())
        for flt in Filters or []:
            key, values = flt["Key"], flt["Values"]
            check(1 <= len(values) <= MAX_FILTER_VALUES, "%d filter values" % len(values))
            if key.startswith("tag:"):
                check(len(values) <= MAX_TAG_VALUES, "%d tag values" % len(values))
                selected = [i for i in selected if i["tags"].get(key[4:]) in values]
            elif key == "InstanceIds":
                selected = [i for i in selected if i["InstanceId"] in values]
            else:
                raise LimitExceeded("the fake reads InstanceIds and tag: filters only, got %s" % key)
        start = int(NextToken or 0)
        page = {"InstanceInformationList": [{k: v for k, v in i.items() if k != "tags"} for i in selected[start:start + MaxResults]]}
        if start + MaxResults < len(selected):
            page["NextToken"] = str(start + MaxResults)
        return page

    # --- Run Command --------------------------------------------------------------------------------------------
    def send_command(self, DocumentName, Parameters, InstanceIds=None, Targets=None, **extra):
        self.calls["send_command"] += 1
        check(DocumentName == "AWS-RunShellScript", DocumentName)
        check(not (InstanceIds and Targets), "InstanceIds and Targets")
        if InstanceIds:
            check(len(InstanceIds) <= MAX_SEND_IDS, "%d InstanceIds" % len(InstanceIds))
            ids = list(InstanceIds)
        else:
            check(1 <= len(Targets) <= MAX_TARGETS, "%d Targets" % len(Targets))
            ids = list(self.instances)
            for target in Targets:
                check(len(target["Values"]) <= MAX_TARGET_VALUES, "%d target values" % len(target["Values"]))
                ids = [i for i in ids if self.instances[i]["tags"].get(target["Key"][4:]) in target["Values"]]
        check(30 <= extra.get("TimeoutSeconds", 3600) <= 2592000, "TimeoutSeconds")
        command_id = str(uuid.uuid4())
        request = dict(extra, DocumentName=DocumentName, Parameters=Parameters, InstanceIds=InstanceIds, Targets=Targets)
        self.sent.append(request)
        rounds = self.rounds[len(self.commands)] if isinstance(self.rounds, list) else self.rounds
        self.commands[command_id] = {"request": request, "ids": ids, "polls": 0, "cancelled": False, "rounds": rounds}
        return {"Command": self._command(command_id)}

    def _details(self, command, iid):
        if command["cancelled"]:
            return "Cancelled"
        if self.never_done or command["polls"] < command["rounds"]:
            return "InProgress"
        return self.results.get(iid, ("Success",))[0]

    def _command(self, command_id):
        command = self.commands[command_id]
        details = [self._details(command, i) for i in command["ids"]]
        over = all(d not in ("InProgress", "Pending") for d in details)
        errors = sum(1 for d in details if d in ("Failed", "ExecutionTimedOut"))
        allowed = command["request"].get("MaxErrors", "0")
        allowed = int(allowed[:-1]) * len(details) // 100 if allowed.endswith("%") else int(allowed)
        status = "InProgress" if not over else "Cancelled" if command["cancelled"] else "Failed" if errors > allowed else "Success"
        return {"CommandId": command_id, "Status": status, "StatusDetails": status, "TargetCount": len(details),
                "CompletedCount": sum(1 for d in details if d not in ("InProgress", "Pending")), "ErrorCount": errors,
                "DeliveryTimedOutCount": details.count("DeliveryTimedOut"), "MaxErrors": command["request"].get("MaxErrors", "0"),
                "TimeoutSeconds": command["request"].get("TimeoutSeconds", 3600), "Parameters": command["request"]["Parameters"]}

    def list_commands(self, CommandId):
        self.calls["list_commands"] += 1
        if CommandId not in self.commands:
            raise botocore.exceptions.ClientError({"Error": {"Code": "InvalidCommandId", "Message": "invalid"}}, "ListCommands")
        command = self.commands[CommandId]
        command["polls"] += 1
        return {"Commands": [self._command(CommandId)]}

    def list_command_invocations(self, CommandId, Details=False, MaxResults=50, NextToken=None):
        check(1 <= MaxResults <= MAX_PAGE, "MaxResults")
        self.calls["list_command_invocations"] += 1
        command = self.commands[CommandId]
        start = int(NextToken or 0)
        page = []
        for iid in command["ids"][start:start + MaxResults]:
            details = self._details(command, iid)
            code = self.results.get(iid, ("Success", 0))[1] if details in ("Success", "Failed", "ExecutionTimedOut") else -1
            page.append({"CommandId": CommandId, "InstanceId": iid, "InstanceName": self.instances[iid]["ComputerName"],
                         "Status": STATUS[details], "StatusDetails": details,
                         "CommandPlugins": [{"Name": "aws:runShellScript", "ResponseCode": code,
                                             "Output": self._output(iid)[0][:2500]}] if Details else []})
        answer = {"CommandInvocations": page}
        if start + MaxResults < len(command["ids"]):
            answer["NextToken"] = str(start + MaxResults)
        return answer

    def _output(self, iid):
        result = self.results.get(iid, ("Success", 0, "ok from %s\n" % iid, ""))
        return (result[2] if len(result) > 2 else "ok from %s\n" % iid), (result[3] if len(result) > 3 else "")

    def get_command_invocation(self, CommandId, InstanceId):
        self.calls["get_command_invocation"] += 1
        command = self.commands[CommandId]
        details = self._details(command, InstanceId)
        stdout, stderr = self._output(InstanceId)
        return {"CommandId": CommandId, "InstanceId": InstanceId, "Status": STATUS[details], "StatusDetails": details,
                "ResponseCode": self.results.get(InstanceId, ("Success", 0))[1], "StandardOutputContent": stdout[:24000],
                "StandardErrorContent": stderr[:8000], "ExecutionStartDateTime": "2026-01-01T00:00:00.000Z",
                "ExecutionEndDateTime": "2026-01-01T00:00:01.000Z"}

    def cancel_command(self, CommandId, InstanceIds=None):
        self.calls["cancel_command"] += 1
        command = self.commands[CommandId]
        command["cancelled"] = self.never_done or command["polls"] < command["rounds"]  # a command over stays as it was
        return {}
