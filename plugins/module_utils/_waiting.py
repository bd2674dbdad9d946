# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Polling with an injectable clock, so wait logic is tested without sleeping."""

import time


class Clock:
    """Real time. Tests pass a fake with the same two methods."""

    def now(self):
        return time.monotonic()

    def sleep(self, seconds):
        time.sleep(seconds)


class WaitResult:
    def __init__(self, done, value, rounds, elapsed):
        self.done = done
        self.value = value
        self.rounds = rounds
        self.elapsed = elapsed


def poll_until(fetch, is_done, timeout, interval, clock=None):
    """Call fetch() every `interval` s until is_done(value) or `timeout` s have passed.

    Always fetches at least once; never sleeps past the deadline, and fetches once more at it, so a
    state reached during the last sleep is not reported as a timeout.
    """
    clock = clock or Clock()
    start = clock.now()
    deadline = start + timeout
    rounds = 0
    while True:
        value = fetch()
        rounds += 1
        if is_done(value):
            return WaitResult(True, value, rounds, clock.now() - start)
        remaining = deadline - clock.now()
        if remaining <= 0:
            return WaitResult(False, value, rounds, clock.now() - start)
        clock.sleep(min(interval, remaining))


def still_busy(instances):
    """Raw container instances that still have running or pending tasks."""
    return [ci for ci in instances if ci.get("runningTasksCount", 0) or ci.get("pendingTasksCount", 0)]


def is_service_task(task):
    """Draining stops service tasks; a task started any other way stays until someone stops it."""
    return str(task.get("group", "")).startswith("service:") or str(task.get("startedBy", "")).startswith("ecs-svc/")
