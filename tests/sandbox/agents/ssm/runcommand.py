"""Run Command for the stand-in amazon-ssm-agent: polls ec2messages and runs AWS-RunShellScript as the real agent does.

Modelled on amazon-ssm-agent's own code:
- agent/runcommand/mds/service.go: GetMessages {Destination, MessagesRequestId, VisibilityTimeoutInSeconds 10},
  AcknowledgeMessage {MessageId}, SendReply {MessageId, Payload, ReplyId}, FailMessage {MessageId, FailureType};
  the service is ec2messages (Mds.Endpoint), target prefix EC2WindowsMessageDeliveryService.
- agent/messageservice/interactor/mdsinteractor/mdsinteractor.go: a poll that answered within a second waits 2-2.5 s
  before the next; each message is validated, parsed by topic (aws.ssm.sendCommand / aws.ssm.cancelCommand, anything
  else is failed with InternalHandlerException), answered InProgress, then acknowledged, then run by a worker.
- agent/runcommand/contracts/model.go: SendCommandPayload (Parameters, DocumentContent, CommandId, DocumentName...),
  SendReplyPayload (additionalInfo, documentStatus, documentTraceOutput, runtimeStatus).
- agent/plugins/runscript: the commands are written one per line to _script.sh in the plugin's orchestration
  directory and run as `sh -c <script>` (no shebang: /bin/sh; a #! first line picks another interpreter), in
  workingDirectory when absolute, else in the agent's own working directory; SSM_COMMAND_ID is set.
- agent/executers/executers.go and pluginutil_unix.go GetStatus: the process is killed (SIGKILL) at the execution
  timeout or on cancel; exit code 137 reads TimedOut (Cancelled when cancelled), 0 Success, anything else Failed.
- agent/framework/runpluginutil/runpluginutil.go: standardOutput and standardError keep their first 24,000 characters
  (the suffix "--output truncated--" included, pluginutil.StringPrefix); iohandler.go: `output` is stdout and stderr
  joined under "----------ERROR-------" and cut to 2,500 characters.
- agent/framework/processor/processor.go processInProgressDocuments: a document accepted and not finished when the
  agent stopped (a script that restarts the agent, a crash) is run again when the agent starts, at most
  Mds.CommandRetryLimit (15) times; its state is kept in <data store>/<instance>/document/state/current/.
Not stood in: reboot exit codes (3010/3011), S3 and CloudWatch output, documents other than AWS-RunShellScript,
the on-disk queue of replies that failed to send (a failed final reply is retried for a minute, in memory).
"""
import json
import os
import re
import signal
import subprocess
import threading
import time
import uuid

import awsjson

TARGET = "EC2WindowsMessageDeliveryService."
SEND_TOPIC = "aws.ssm.sendCommand"
CANCEL_TOPIC = "aws.ssm.cancelCommand"
DATA_STORE = "/var/lib/amazon/ssm"
PLUGIN = "aws:runShellScript"
WORKERS = 5                         # Mds.CommandWorkersLimit
STOPPED_PREEMPTIVELY = 137          # appconfig CommandStoppedPreemptivelyExitCode (128 + SIGKILL)
MAX_STDOUT = 24000                  # iohandler DefaultOutputConfig MaxStdoutLength (used for stderr too)
TRUNCATED_SUFFIX = "--output truncated--"
MAX_PLUGIN_OUTPUT = 2500            # iohandler MaximumPluginOutputSize
ERROR_TITLE = "\n----------ERROR-------\n"
TRUNCATE_OUT = "\n---Output truncated---"
TRUNCATE_ERROR = "\n---Error truncated----"
DEFAULT_EXECUTION_TIMEOUT, MIN_EXECUTION_TIMEOUT, MAX_EXECUTION_TIMEOUT = 3600, 5, 172800
COMMAND_RETRY_LIMIT = 15            # Mds.CommandRetryLimit


def iso_now():
    now = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + ".%03dZ" % int((now % 1) * 1000)


def string_prefix(text, limit, suffix):
    """pluginutil.StringPrefix."""
    if len(text) < limit:
        return text
    return text[:limit - len(suffix)] + suffix


def combined_output(stdout, stderr, capacity=MAX_PLUGIN_OUTPUT):
    """iohandler.TruncateOutput: what ListCommandInvocations shows as the plugin's Output."""
    title = ERROR_TITLE if stderr else ""
    space = capacity - len(title)
    if len(stdout) + len(stderr) < space:
        return stdout + title + stderr
    if len(stdout) > space // 2 and len(stderr) > space // 2:
        size = space - len(TRUNCATE_ERROR) - len(TRUNCATE_OUT)
        return stdout[:size // 2] + TRUNCATE_OUT + title + stderr[:size // 2] + TRUNCATE_ERROR
    if len(stdout) <= space // 2:
        size = space - len(TRUNCATE_ERROR)
        return stdout + title + stderr[:size - len(stdout)] + TRUNCATE_ERROR
    size = space - len(TRUNCATE_OUT)
    return stdout[:size - len(stderr)] + TRUNCATE_OUT + title + stderr


def status_of(exit_code, cancelled):
    """pluginutil_unix.go GetStatus."""
    if exit_code == 0:
        return "Success"
    if exit_code == STOPPED_PREEMPTIVELY:
        return "Cancelled" if cancelled else "TimedOut"
    return "Failed"


def execution_timeout(value):
    """pluginutil.ValidateExecutionTimeout: 5-172800 s, else the default 3600."""
    try:
        number = int(float(value))
    except (TypeError, ValueError):
        return DEFAULT_EXECUTION_TIMEOUT
    return number if MIN_EXECUTION_TIMEOUT <= number <= MAX_EXECUTION_TIMEOUT else DEFAULT_EXECUTION_TIMEOUT


def plugin_inputs(payload):
    """The aws:runShellScript properties of a schema 1.2 document, {{ parameter }} placeholders replaced."""
    content = payload.get("DocumentContent") or {}
    parameters = payload.get("Parameters") or {}
    properties = ((content.get("runtimeConfig") or {}).get(PLUGIN) or {}).get("properties") or []
    if isinstance(properties, dict):
        properties = [properties]
    if not properties:
        raise ValueError("document %s has no %s step" % (payload.get("DocumentName"), PLUGIN))

    def fill(value):
        if isinstance(value, str):
            whole = re.fullmatch(r"\{\{\s*(\w+)\s*\}\}", value)
            if whole:
                return parameters.get(whole.group(1), "")
            return re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: str(parameters.get(m.group(1), "")), value)
        return value
    return {key: fill(value) for key, value in properties[0].items()}


class Execution:
    """One running script: its process, and whether it was cancelled."""

    def __init__(self):
        self.process = None
        self.cancelled = False
        self.lock = threading.Lock()

    def cancel(self):
        with self.lock:
            self.cancelled = True
            if self.process is not None and self.process.poll() is None:
                os.killpg(self.process.pid, signal.SIGKILL)


class MessagePoller(threading.Thread):
    """The MDS interactor: GetMessages in a loop, each command run by a worker thread (at most WORKERS at once)."""

    def __init__(self, endpoint, region, instance_id, access_key, log, agent_info, stopping, timeout=20):
        super().__init__(name="mds-poller", daemon=True)
        self.endpoint, self.region, self.instance_id = endpoint, region, instance_id
        self.access_key = access_key          # callable: the current role credentials' key id
        self.log, self.agent_info, self.stopping = log, agent_info, stopping
        self.timeout = timeout                # Mds.StopTimeoutMillis
        self.running = {}                     # message id -> Execution
        self.seen = set()                     # message ids accepted (a redelivered message runs once)
        self.slots = threading.BoundedSemaphore(WORKERS)
        self.retired = False                  # replaced by a poller for another registration
        self.current = os.path.join(DATA_STORE, instance_id, "document", "state", "current")

    def call(self, operation, body, timeout=15):
        return awsjson.call(self.endpoint, "ec2messages", TARGET + operation, body, self.region, self.access_key(),
                            timeout=timeout)

    def run(self):
        self.resume()
        failures = 0
        while not (self.stopping() or self.retired):
            started = time.monotonic()
            try:
                answer = self.call("GetMessages", {"Destination": self.instance_id, "MessagesRequestId": str(uuid.uuid4()),
                                                   "VisibilityTimeoutInSeconds": 10}, timeout=self.timeout)
                failures = 0
                for message in answer.get("Messages") or []:
                    self.process(message)
            except (awsjson.AwsApiError, OSError, ValueError) as err:
                failures += 1
                self.log("ERROR", "GetMessages Error: %s" % err)
                time.sleep(min(2 ** failures, 60))  # the stop policy's back-off, shortened
                continue
            if time.monotonic() - started < 1:
                time.sleep(2 + (time.monotonic() % 0.5))

    # --- one message ----------------------------------------------------------------------------------------------
    def process(self, message):
        message_id = message.get("MessageId") or ""
        missing = [k for k in ("Topic", "Destination", "MessageId", "CreatedDate") if not message.get(k)]
        if missing:
            self.log("ERROR", "message not valid, ignoring: %s is missing" % missing[0])
            return
        topic = message["Topic"]
        if message_id in self.seen:
            self.call("AcknowledgeMessage", {"MessageId": message_id})
            return
        if not topic.startswith((SEND_TOPIC, CANCEL_TOPIC)):
            self.log("ERROR", "format of received message is invalid unexpected topic name %s" % topic)
            self.call("FailMessage", {"MessageId": message_id, "FailureType": "InternalHandlerException"})
            return
        try:
            payload = json.loads(message.get("Payload") or "")
            inputs = plugin_inputs(payload) if topic.startswith(SEND_TOPIC) else None
        except (ValueError, AttributeError) as err:
            # A send command the agent cannot parse is answered Failed, not acknowledged (mdsinteractor.go).
            self.log("ERROR", "encountered error while parsing input - internal error %s" % err)
            self.reply(message_id, "Failed", trace=str(err))
            return
        self.seen.add(message_id)
        self.reply(message_id, "InProgress")
        self.call("AcknowledgeMessage", {"MessageId": message_id})
        if topic.startswith(CANCEL_TOPIC):
            target = self.running.get(payload.get("CancelMessageId"))
            if target is not None:
                target.cancel()
            self.reply(message_id, "Success", trace="" if target else "command %s is not running"
                       % payload.get("CancelMessageId"))
            return
        self.launch(message_id, payload, inputs, run_count=1)

    def launch(self, message_id, payload, inputs, run_count):
        self.log("INFO", "Running command %s (%s)" % (payload.get("CommandId"), message_id))
        self.keep_state(message_id, {"MessageId": message_id, "Payload": payload, "RunCount": run_count})
        execution = Execution()
        self.running[message_id] = execution
        threading.Thread(target=self.execute, args=(message_id, payload, inputs, execution),
                         name="worker-" + message_id[-8:], daemon=True).start()

    def execute(self, message_id, payload, inputs, execution):
        with self.slots:
            try:
                result = self.run_script(payload, inputs, execution)
            except OSError as err:
                now = iso_now()
                result = {"status": "Failed", "code": 1, "output": "failed to run commands: %s" % err,
                          "standardOutput": "", "standardError": "failed to run commands: %s" % err,
                          "startDateTime": now, "endDateTime": now}
            finally:
                self.running.pop(message_id, None)
        self.reply(message_id, result["status"], plugin=result, retries=12)
        self.keep_state(message_id, None)

    # --- documents that outlive the agent (processor.go processInProgressDocuments) -------------------------------
    def keep_state(self, message_id, state):
        path = os.path.join(self.current, message_id)
        if state is None:
            if os.path.exists(path):
                os.remove(path)
            return
        os.makedirs(self.current, mode=0o700, exist_ok=True)
        with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as handle:
            json.dump(state, handle)

    def resume(self):
        """Run again what a previous agent process accepted and did not finish."""
        if not os.path.isdir(self.current):
            return
        for name in sorted(os.listdir(self.current)):
            try:
                with open(os.path.join(self.current, name)) as handle:
                    state = json.load(handle)
                inputs = plugin_inputs(state["Payload"])
            except (OSError, ValueError, KeyError) as err:
                self.log("ERROR", "cannot resume document %s: %s" % (name, err))
                self.keep_state(name, None)
                continue
            if state.get("RunCount", 1) >= COMMAND_RETRY_LIMIT:
                self.log("ERROR", "document %s ran %d times; moved aside" % (name, state["RunCount"]))
                self.keep_state(name, None)
                continue
            self.log("INFO", "Processing in-progress document %s" % name)
            self.seen.add(name)
            self.launch(name, state["Payload"], inputs, state.get("RunCount", 1) + 1)

    def run_script(self, payload, inputs, execution):
        command_id = payload.get("CommandId") or "unknown"
        plugin_dir = os.path.join(DATA_STORE, self.instance_id, "document", "orchestration", command_id,
                                  "awsrunShellScript", str(inputs.get("id") or "0.awsrunShellScript").replace(":", ""))
        os.makedirs(plugin_dir, mode=0o700, exist_ok=True)
        script = os.path.join(plugin_dir, "_script.sh")
        lines = inputs.get("runCommand") or []
        lines = [lines] if isinstance(lines, str) else [str(line) for line in lines]
        with open(os.open(script, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o700), "w") as handle:
            handle.write("\n".join(lines) + "\n")
        working_dir = str(inputs.get("workingDirectory") or "")
        if not os.path.isabs(working_dir):
            candidate = os.path.join(DATA_STORE, self.instance_id, "document", "orchestration", command_id,
                                     "downloads", working_dir)
            working_dir = candidate if os.path.isdir(candidate) else None  # the agent's own directory
        timeout = execution_timeout(inputs.get("timeoutSeconds"))
        env = dict(os.environ, SSM_COMMAND_ID=command_id)
        started = iso_now()
        with open(os.path.join(plugin_dir, "stdout"), "wb+") as out, open(os.path.join(plugin_dir, "stderr"), "wb+") as err:
            with execution.lock:
                if execution.cancelled:
                    return {"status": "Cancelled", "code": STOPPED_PREEMPTIVELY, "name": PLUGIN, "output": "",
                            "startDateTime": started, "endDateTime": iso_now(), "standardOutput": "",
                            "standardError": ""}
                execution.process = subprocess.Popen(["sh", "-c", script], cwd=working_dir, stdout=out, stderr=err,
                                                     stdin=subprocess.DEVNULL, env=env, start_new_session=True)
            try:
                code = execution.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(execution.process.pid, signal.SIGKILL)
                execution.process.wait()
                code = STOPPED_PREEMPTIVELY
                self.log("INFO", "The execution of command was timedout.")
            if code < 0:  # killed by a signal (cancel): the agent reads SIGKILL as 137
                code = 128 - code
            out.seek(0)
            err.seek(0)
            stdout = out.read().decode("utf-8", "replace")
            stderr = err.read().decode("utf-8", "replace")
        status = status_of(code, execution.cancelled)
        if status == "Failed" and code == 0:
            code = 1
        return {"status": status, "code": code, "name": PLUGIN, "output": combined_output(stdout, stderr),
                "startDateTime": started, "endDateTime": iso_now(), "outputS3BucketName": "", "outputS3KeyPrefix": "",
                "stepName": "", "standardOutput": string_prefix(stdout, MAX_STDOUT, TRUNCATED_SUFFIX),
                "standardError": string_prefix(stderr, MAX_STDOUT, TRUNCATED_SUFFIX)}

    def reply(self, message_id, document_status, plugin=None, trace="", retries=0):
        """SendReply with a SendReplyPayload; the final one is retried (the real agent keeps it on disk)."""
        counts = {plugin["status"]: 1} if plugin else {}
        payload = {"additionalInfo": {"agent": self.agent_info, "dateTime": iso_now(), "runId": "",
                                      "runtimeStatusCounts": counts},
                   "documentStatus": document_status, "documentTraceOutput": trace,
                   "runtimeStatus": {PLUGIN: plugin} if plugin else None}
        body = {"MessageId": message_id, "Payload": json.dumps(payload), "ReplyId": str(uuid.uuid4())}
        for attempt in range(retries + 1):
            try:
                self.call("SendReply", body)
                return True
            except (awsjson.AwsApiError, OSError) as err:
                self.log("ERROR", "SendReply Error: %s" % err)
                if attempt < retries:
                    time.sleep(5)
        return False
