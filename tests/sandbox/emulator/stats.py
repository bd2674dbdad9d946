"""Per-operation call counters, so tests and benchmarks can assert how many API calls a module made."""
import collections
import threading


class Stats:
    def __init__(self):
        self._lock = threading.Lock()
        self._calls = collections.Counter()

    def count(self, name):
        with self._lock:
            self._calls[name] += 1

    def snapshot(self):
        with self._lock:
            calls = dict(sorted(self._calls.items()))
        return {"calls": calls, "total": sum(calls.values())}

    def reset(self):
        with self._lock:
            self._calls.clear()
