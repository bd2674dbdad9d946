"""Who a request is for: service, region and operation, from SigV4 scope, X-Amz-Target, Host or form body."""
import json
import re
import urllib.parse

from .errors import AwsError

# Stand-in agents send raw JSON 1.1 without a signature, so the target prefix alone must pick the service.
TARGET_PREFIXES = {
    "AmazonSSM": "ssm",
    "AmazonEC2ContainerServiceV20141113": "ecs",
    "EC2WindowsMessageDeliveryService": "ec2messages",  # the SSM agent's Run Command channel (ec2messages.py)
    "ResourceGroupsTaggingAPI_20170126": "tagging",  # signs as `tagging` (tagging.py)
}
_SCOPE = re.compile(r"Credential=([^/,\s]*)/\d{8}/([a-z0-9-]+)/([a-z0-9-]+)/aws4_request")
_HOST_REGION = re.compile(r"^[a-z0-9-]+\.([a-z]{2}(?:-[a-z]+)+-\d)\.amazonaws\.com")


class AwsRequest:
    def __init__(self, environ, default_region):
        self.environ = environ
        self.method = environ.get("REQUEST_METHOD", "GET")
        self.path = environ.get("PATH_INFO", "/")
        self.body = _read_body(environ)
        auth = environ.get("HTTP_AUTHORIZATION", "")
        scope = _SCOPE.search(auth)
        self.signed = bool(scope)
        self.access_key_id = scope.group(1) if scope else None
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        prefix, _, target_op = target.partition(".")
        self.protocol = "json" if target_op else "query"
        self.service = scope.group(3).lower() if scope else TARGET_PREFIXES.get(prefix)
        self.region = (scope.group(2) if scope else None) or environ.get("HTTP_X_EMULATOR_REGION") or \
            _host_region(environ.get("HTTP_HOST", "")) or default_region
        self.operation = target_op or self._form_action() or self.method
        self._params = None

    @property
    def stats_name(self):
        return "%s:%s" % (self.service or "unknown", self.operation)

    def _form_action(self):
        if not self.environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
            return None
        form = urllib.parse.parse_qs(self.body.decode("utf-8", "replace"))
        return (form.get("Action") or [None])[0]

    def params(self):
        """The JSON 1.1 request body; a malformed one is a SerializationException, as AWS answers."""
        if self._params is None:
            try:
                self._params = json.loads(self.body or b"{}")
            except ValueError:
                raise AwsError("SerializationException", "Request body is not valid JSON") from None
            if not isinstance(self._params, dict):
                raise AwsError("SerializationException", "Request body must be a JSON object")
        return self._params


def _host_region(host):
    match = _HOST_REGION.match(host)
    return match.group(1) if match else None


def _read_body(environ):
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    return environ["wsgi.input"].read(length) if length > 0 else b""
