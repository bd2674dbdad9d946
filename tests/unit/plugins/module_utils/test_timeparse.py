import datetime

import pytest

from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._timeparse import ExpirationError
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._timeparse import isoformat
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._timeparse import parse_iso8601
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._timeparse import parse_relative
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._timeparse import resolve_expiration

NOW = datetime.datetime(2026, 11, 26, 12, 0, tzinfo=datetime.timezone.utc)


@pytest.mark.parametrize("text,delta", [
    ("90m", datetime.timedelta(minutes=90)),
    ("2h", datetime.timedelta(hours=2)),
    ("7d", datetime.timedelta(days=7)),
    ("30s", datetime.timedelta(seconds=30)),
    ("1w", datetime.timedelta(weeks=1)),
    (" 3H ", datetime.timedelta(hours=3)),
])
def test_relative_durations(text, delta):
    assert parse_relative(text) == delta
    assert resolve_expiration(text, now=NOW) == NOW + delta


@pytest.mark.parametrize("text", ["2026-12-01T12:00:00Z", "2026-12-01T12:00:00+00:00", "2026-12-01T13:00:00+01:00", "2026-12-01T12:00:00"])
def test_iso8601_forms_resolve_to_utc(text):
    assert resolve_expiration(text, now=NOW) == datetime.datetime(2026, 12, 1, 12, 0, tzinfo=datetime.timezone.utc)


def test_exactly_thirty_days_is_allowed_and_one_more_minute_is_not():
    assert resolve_expiration("30d", now=NOW) == NOW + datetime.timedelta(days=30)
    with pytest.raises(ExpirationError, match="30 days"):
        resolve_expiration("43201m", now=NOW)
    with pytest.raises(ExpirationError, match="30 days"):
        resolve_expiration("2027-01-15T00:00:00Z", now=NOW)


@pytest.mark.parametrize("text", ["0m", "2026-11-01T00:00:00Z"])
def test_past_or_now_is_rejected(text):
    with pytest.raises(ExpirationError, match="not in the future"):
        resolve_expiration(text, now=NOW)


@pytest.mark.parametrize("text", ["two hours", "2x", "", "h2", "2026-13-40"])
def test_garbage_says_what_is_accepted(text):
    with pytest.raises(ExpirationError, match="duration .*ISO-8601"):
        resolve_expiration(text, now=NOW)
    assert parse_relative(text) is None


def test_iso_helpers():
    assert parse_iso8601("nope") is None
    assert isoformat(NOW) == "2026-11-26T12:00:00+00:00"
    assert isoformat("text") == "text"


@pytest.mark.parametrize("text", ["999999999d", "99999999999999999999w", "9999999999999s"])
def test_durations_beyond_any_date_are_over_the_limit_not_a_crash(text):
    """999999999d crashed with OverflowError."""
    with pytest.raises(ExpirationError, match="more than 30 days away"):
        resolve_expiration(text)
