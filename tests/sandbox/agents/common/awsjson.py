"""Raw AWS JSON 1.1 calls with the standard library only (the hosts have python3, not boto3).

Shared by both stand-in agents; the package build copies this file into each package.
The request looks like a real agent's: POST to the endpoint root, X-Amz-Target, and a SigV4-shaped
Authorization header whose credential scope names region and service. The signature itself is a
placeholder: the emulator routes by scope/target and never validates signatures.
"""
import json
import socket
import time
import urllib.error
import urllib.parse
import urllib.request


class AwsApiError(Exception):
    def __init__(self, code, message, status):
        super().__init__("%s: %s" % (code, message))
        self.code, self.message, self.status = code, message, status


def call(endpoint, service, target, body, region, access_key="anonymous", timeout=15):
    now = time.gmtime()
    amz_date = time.strftime("%Y%m%dT%H%M%SZ", now)
    scope = "%s/%s/%s/aws4_request" % (time.strftime("%Y%m%d", now), region, service)
    request = urllib.request.Request(
        endpoint.rstrip("/") + "/", data=json.dumps(body).encode(), method="POST",
        headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": target,
            "X-Amz-Date": amz_date,
            "Authorization": "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=host;x-amz-date, Signature=0"
                             % (access_key, scope),
        })
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read()
    except urllib.error.HTTPError as err:
        raw = err.read()
        try:
            doc = json.loads(raw)
        except ValueError:
            raise AwsApiError("HttpError", raw.decode("utf-8", "replace")[:200], err.code) from None
        code = str(doc.get("__type", "UnknownError")).rpartition("#")[2]
        raise AwsApiError(code, doc.get("message") or doc.get("Message") or "", err.code) from None
    return json.loads(raw) if raw else {}


def endpoint_url(configured, service, region):
    """A configured endpoint (URL or bare host name) or the public regional one."""
    if not configured:
        return "https://%s.%s.amazonaws.com" % (service, region)
    return configured if "://" in configured else "https://" + configured


def source_address(endpoint):
    """This host's address on the route to `endpoint` (a UDP connect sends no packet)."""
    parsed = urllib.parse.urlsplit(endpoint)
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.connect((parsed.hostname, parsed.port or 443))
            return sock.getsockname()[0]
    except OSError:
        return "127.0.0.1"


def os_release():
    values = {}
    try:
        with open("/etc/os-release") as handle:
            for line in handle:
                key, sep, value = line.strip().partition("=")
                if sep:
                    values[key] = value.strip('"')
    except OSError:
        pass
    return values


def read_credentials(path="/root/.aws/credentials", profile="default"):
    """The access key id of one profile in an AWS shared credentials file (None when absent)."""
    section, found = None, {}
    try:
        with open(path) as handle:
            for line in handle:
                line = line.strip()
                if line.startswith("[") and line.endswith("]"):
                    section = line[1:-1].strip()
                elif section == profile and "=" in line:
                    key, _, value = line.partition("=")
                    found[key.strip()] = value.strip()
    except OSError:
        return None
    return found or None
