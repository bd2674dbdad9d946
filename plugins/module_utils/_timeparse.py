# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Activation expiry: relative durations (90m, 2h, 7d) or absolute ISO-8601, capped at 30 days."""

import datetime
import re

MAX_ACTIVATION_LIFETIME = datetime.timedelta(days=30)
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_RELATIVE = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$", re.IGNORECASE)


class ExpirationError(ValueError):
    pass


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc)


def parse_relative(value):
    """'90m' -> timedelta(minutes=90); None when value is not a relative duration.

    A duration beyond what a timedelta holds (999999999d) is longer than any activation may live:
    it becomes the longest one, so resolve_expiration reports it as over the limit, not as a crash.
    """
    match = _RELATIVE.match(str(value))
    if not match:
        return None
    try:
        return datetime.timedelta(**{_UNITS[match.group(2).lower()]: int(match.group(1))})
    except OverflowError:
        return datetime.timedelta.max


def parse_iso8601(value):
    """Aware datetime from an ISO-8601 string; naive input is taken as UTC."""
    text = str(value).strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.timezone.utc)
    return parsed


def resolve_expiration(value, now=None):
    """The absolute UTC expiry for an activation, or ExpirationError saying what is accepted."""
    now = now or utcnow()
    delta = parse_relative(value)
    if delta is not None:
        if delta > MAX_ACTIVATION_LIFETIME:
            raise ExpirationError(_too_far(value))
        expires = now + delta
    else:
        expires = parse_iso8601(value)
        if expires is None:
            raise ExpirationError(
                f"expiration '{value}' is neither a duration (such as 90m, 2h, 7d) nor an ISO-8601 date-time "
                "(such as 2026-12-01T12:00:00Z)")
    if expires <= now:
        raise ExpirationError(f"expiration '{value}' is not in the future; give a later time or a duration such as 2h")
    if expires - now > MAX_ACTIVATION_LIFETIME:
        raise ExpirationError(_too_far(value))
    return expires.astimezone(datetime.timezone.utc)


def _too_far(value):
    return (f"expiration '{value}' is more than 30 days away; SSM activations live at most 30 days: "
            "give 30d or less (an activation is best created per enrollment run, with a short expiry such as 2h)")


def isoformat(value):
    """ISO-8601 text for datetimes (boto3 returns them), anything else unchanged."""
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    return value
