# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the collection accepts as a region, a proxy URL, a no_proxy list or a one-line value.

One definition, used by the test plugins (roles and playbooks: `x is hybridfleet.ecs_anywhere.aws_region`)
and by the modules (through module_utils), so the three can never disagree again about which region
names or proxy URLs are valid.
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
