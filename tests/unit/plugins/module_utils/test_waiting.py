from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._waiting import is_service_task
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._waiting import poll_until
from ansible_collections.hybridfleet.ecs_anywhere.plugins.module_utils._waiting import still_busy
from tests.unit.plugins.fake_aws import FakeClock


def test_done_on_first_poll_never_sleeps():
    clock = FakeClock()
    result = poll_until(lambda: 0, lambda v: v == 0, timeout=60, interval=10, clock=clock)
    assert result.done and result.rounds == 1 and clock.sleeps == []


def test_polls_at_interval_until_done():
    clock = FakeClock()
    values = iter([3, 2, 0])
    result = poll_until(lambda: next(values), lambda v: v == 0, timeout=60, interval=10, clock=clock)
    assert result.done and result.value == 0 and result.rounds == 3
    assert clock.sleeps == [10, 10] and result.elapsed == 20


def test_timeout_sleeps_no_further_than_deadline_and_polls_at_it():
    clock = FakeClock()
    result = poll_until(lambda: 1, lambda v: v == 0, timeout=25, interval=10, clock=clock)
    assert not result.done and result.value == 1
    assert clock.sleeps == [10, 10, 5]
    assert result.rounds == 4 and result.elapsed == 25


def test_state_reached_during_last_sleep_counts():
    clock = FakeClock()
    values = iter([1, 1, 0])
    result = poll_until(lambda: next(values), lambda v: v == 0, timeout=15, interval=10, clock=clock)
    assert result.done and result.rounds == 3


def test_still_busy_and_task_kinds():
    cis = [{"runningTasksCount": 0, "pendingTasksCount": 0}, {"runningTasksCount": 1}, {"pendingTasksCount": 2}]
    assert still_busy(cis) == cis[1:]
    assert is_service_task({"group": "service:web"})
    assert is_service_task({"startedBy": "ecs-svc/123"})
    assert not is_service_task({"group": "family:batch", "startedBy": "cron"})
    assert not is_service_task({})
