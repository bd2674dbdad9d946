# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the collection accepts as a region, a proxy URL, a no_proxy list, a one-line value or a good signature.

One definition for the roles and playbooks (test plugins: `x is hybridfleet.ecs_anywhere.aws_region`); the region
pattern itself is module_utils' REGION_PATTERN, which the modules use, so they cannot disagree about which region
names are valid.
"""

import re
from urllib.parse import urlsplit

from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._common import REGION_PATTERN

# Any C0 control character (newline, carriage return, tab, NUL, ESC...) or DEL. Values rendered into
# ecs.config, systemd units, daemon.json or repo files are line-based: a newline would add a line
# (ExecStartPre=, a second ECS_CLUSTER=) that runs or counts as the user's own.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_HOST = re.compile(r"^([0-9A-Fa-f:.]+|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?)$")
_NO_PROXY_ENTRY = re.compile(r"^(\*|\.?[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?|[0-9A-Fa-f:.]+(/[0-9]{1,3})?)(:[0-9]{1,5})?$")


def is_single_line(value):
    """True for a string without control characters (so it cannot add a line to a rendered file)."""
    return isinstance(value, str) and not _CONTROL.search(value)


def is_aws_region(value):
    """us-east-1, us-gov-west-1, cn-north-1, eusc-de-east-1: a region name as AWS spells it."""
    return isinstance(value, str) and bool(REGION_PATTERN.fullmatch(value))


def is_proxy_url(value):
    """http(s)://[user[:password]@]host[:port][/]; credentials may be %-encoded, nothing else may follow."""
    if not is_single_line(value) or " " in value:
        return False
    try:
        parts = urlsplit(value)
        port = parts.port  # raises ValueError for a port that is not a number 0-65535
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or parts.path not in ("", "/") or parts.query or parts.fragment:
        return False
    if port is not None and port == 0:
        return False
    return bool(parts.hostname and _HOST.match(parts.hostname))


def is_no_proxy_list(value):
    """A comma-separated list of hosts, .domains, IP addresses or CIDR blocks (or empty)."""
    if not is_single_line(value):
        return False
    entries = [entry.strip() for entry in value.split(",")]
    return value.strip() == "" or all(_NO_PROXY_ENTRY.match(entry) for entry in entries if entry)


def is_single_line_values(value):
    """True when every string in a nested structure (dict keys and values, list items) is one line.

    For dicts rendered into files (daemon.json, amazon-ssm-agent.json, ecs.config): numbers, booleans and
    None pass; a string with a control character anywhere fails.
    """
    if isinstance(value, str):
        return is_single_line(value)
    if isinstance(value, dict):
        return all(is_single_line_values(k) and is_single_line_values(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return all(is_single_line_values(item) for item in value)
    return value is None or isinstance(value, (bool, int, float))


# gpg --status-fd keywords that make a verification unacceptable even when gpg also printed VALIDSIG (and
# exited 0): gpg accepts signatures by expired or revoked keys with a warning only.
SIGNATURE_REFUSALS = ("BADSIG", "ERRSIG", "NO_PUBKEY", "EXPSIG", "EXPKEYSIG", "REVKEYSIG", "KEYEXPIRED", "KEYREVOKED")


def _status_records(status):
    lines = status if isinstance(status, (list, tuple)) else str(status or "").splitlines()
    for line in lines:
        parts = str(line).split()
        if len(parts) >= 2 and parts[0] == "[GNUPG:]":
            yield parts[1], parts[2:]


def _fingerprint(value):
    return str(value).replace(" ", "").upper()


def is_pinned_signature(status, fingerprints):
    """True when gpg's --status-fd output shows only good signatures whose primary key is pinned.

    Every VALIDSIG line must name (in its primary-key field, or its own when that is absent) one of
    `fingerprints`, there must be at least one, and none of SIGNATURE_REFUSALS may appear: a revoked or
    expired key, an expired or bad signature, or a signer that is not in the keyring fail.
    """
    if isinstance(fingerprints, str):
        fingerprints = [fingerprints]
    if not isinstance(fingerprints, (list, tuple)):
        return False
    pinned = {_fingerprint(f) for f in fingerprints}
    primaries = []
    for keyword, args in _status_records(status):
        if keyword in SIGNATURE_REFUSALS:
            return False
        if keyword == "VALIDSIG":
            if not args:
                return False
            primaries.append(_fingerprint(args[9] if len(args) >= 10 else args[0]))
    return bool(primaries) and all(primary in pinned for primary in primaries)
