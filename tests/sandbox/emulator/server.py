"""The WSGI app in front of moto: admin API, stats and faults, routing to the project layer or to moto;
plus the threaded listeners."""
import http
import json
import logging
import socket
import threading
import time

from werkzeug.serving import make_server
from moto.moto_server.werkzeug_app import MotoRequestHandler

from . import admin, iam_enforce, limits
from .config import Config
from .ec2messages import Ec2Messages
from .ecs import EcsService
from .errors import AwsError, json_error, query_error, request_id
from .faults import Faults
from .moto_bridge import MotoBridge, PassThrough
from .request import AwsRequest
from .ssm import SsmService
from .ssm_commands import RunCommand
from .stats import Stats
from .tagging import TaggingService

log = logging.getLogger("emulator")


def _reason(status):
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


class Emulator:
    """One emulated control plane. All state changes happen under `lock`: moto is not thread safe and
    the project layer keeps cross-service invariants (task counts, resources)."""

    def __init__(self, config=None):
        self.startup_config = config or Config()
        self.config = self.startup_config.copy()
        self.lock = threading.RLock()
        self.stats = Stats()
        self.faults = Faults()
        self.moto = MotoBridge()
        self.ssm = SsmService(self)
        self.ecs = EcsService(self)
        self.commands = RunCommand(self)
        self.ec2messages = Ec2Messages(self, self.commands)
        # Per service, the layers asked in turn; the first that answers (not None) wins, else moto serves the call.
        self.tagging = TaggingService(self)
        self.services = {"ssm": (self.commands, self.ssm), "ecs": (self.ecs,), "ec2messages": (self.ec2messages,),
                         "tagging": (self.tagging,)}

    def reset(self):
        with self.lock:
            self.moto.reset()
            self.ssm.reset()
            self.ecs.reset()
            self.commands.reset()
            self.config = self.startup_config.copy()
            self.faults.configure({})
            self.stats.reset()

    # --- WSGI -----------------------------------------------------------------------------------------------------
    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith("/_emulator"):
            status, headers, body = admin.handle(self, environ)
        else:
            try:
                status, headers, body = self.handle_aws(environ)
            except LostResponse:
                # The operation ran; the client gets no answer at all and retries as on a dropped connection.
                sock = environ.get("werkzeug.socket")
                if sock is not None:
                    try:
                        sock.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                raise ConnectionAbortedError("response dropped by the lose_response fault") from None
        if isinstance(body, str):
            body = body.encode()
        # moto may send its own (possibly lower-case) Content-Length; the body is final here, so ours wins.
        headers = {k: v for k, v in dict(headers).items() if k.lower() != "content-length"}
        headers["Content-Length"] = str(len(body))
        start_response("%d %s" % (status, _reason(status)), list(headers.items()))
        return [body]

    def handle_aws(self, environ):
        req = AwsRequest(environ, self.config.default_region)
        if req.service is None:
            # Not an AWS API call we can name (moto's own /moto-api, metadata paths): moto decides.
            with self.lock:
                response = self.moto.forward(req)
            return response.status, response.headers, response.body
        self.stats.count(req.stats_name)
        faulted = self.faults.applies_to(environ.get("HTTP_USER_AGENT"))
        latency = self.faults.latency_seconds() if faulted else 0
        if latency:
            time.sleep(latency)  # outside the lock: latency must not serialise other clients
        if faulted and self.faults.should_throttle():
            return self._error(req, AwsError("ThrottlingException" if req.protocol == "json" else "Throttling",
                                             "Rate exceeded"))
        response = self.perform(req)
        if faulted:
            lost = self.faults.take_lost_response(req.stats_name)
            if lost is not None:
                log.info("%s [%s] performed; its response is %s (lose_response fault)", req.stats_name, req.region,
                         "held %.1f s" % lost if lost else "dropped")
                if not lost:
                    raise LostResponse()
                time.sleep(lost)  # outside the lock; by now the client has given up on this answer
        return response

    def perform(self, req):
        """Run one AWS call: IAM (when enforced), limits, then the project layer or moto; every failure answered as
        AWS would."""
        layers = self.services.get(req.service, ())
        try:
            with self.lock:
                if self.config.enforce_iam:
                    iam_enforce.authorize(self, req)
            if req.protocol == "json":
                limits.check(req.service, req.operation, req.params())
            if any(getattr(layer, "locks_itself", False) for layer in layers):
                # ec2messages: its long polls wait without the lock and take it for each look at the state.
                return 200, _json_headers(), json.dumps(layers[0].handle(req), default=_json_default)
            with self.lock:
                for layer in layers:
                    result = layer.handle(req)
                    if result is not None:
                        return 200, _json_headers(), json.dumps(result, default=_json_default)
                response = self.moto.forward(req)
            return response.status, response.headers, response.body
        except AwsError as err:
            # One line per refused call: what a module or agent did wrong is usually the first question.
            log.info("%s [%s] -> %s: %s", req.stats_name, req.region, err.code, err.message)
            return self._error(req, err)
        except PassThrough as passed:
            return passed.response.status, passed.response.headers, passed.response.body
        except NotImplementedError as exc:
            log.error("%s is not implemented by moto or the emulator: %s", req.stats_name, exc)
            return self._error(req, AwsError("InternalFailure" if req.protocol == "query" else "ServerException",
                                             "%s is not implemented in the emulator" % req.operation, 500))
        except Exception:  # a bug in the layer must still answer like AWS would, and be visible in the log
            log.exception("internal error in %s", req.stats_name)
            return self._error(req, AwsError("InternalFailure" if req.protocol == "query" else "ServerException",
                                             "internal emulator error", 500))

    @staticmethod
    def _error(req, err):
        if req.protocol == "json":
            return json_error(err)
        return query_error(err)


class LostResponse(Exception):
    """The lose_response fault: the call was performed and its connection is to be dropped unanswered."""


def _json_headers():
    return {"Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": request_id()}


def _json_default(value):
    if isinstance(value, set):
        return sorted(value)
    raise TypeError("not JSON serialisable: %r" % (value,))


class Listeners:
    """One threaded werkzeug server per address, all serving the same Emulator."""

    def __init__(self, app, addresses):
        self.servers = [make_server(host, port, app, threaded=True, request_handler=MotoRequestHandler)
                        for host, port in addresses]
        self.threads = []

    @property
    def urls(self):
        return ["http://%s:%d" % (s.host, s.port) for s in self.servers]

    def start(self):
        for server in self.servers:
            # A short poll interval keeps SIGTERM-to-exit quick; idle cost is negligible.
            thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                                      name="listener-%d" % server.port, daemon=True)
            thread.start()
            self.threads.append(thread)

    def stop(self):
        for server in self.servers:
            server.shutdown()
            server.server_close()
        for thread in self.threads:
            thread.join(timeout=5)
