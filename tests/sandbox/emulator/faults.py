"""Injected faults: throttling and latency on AWS calls (never on admin calls), reproducible with a seed."""
import random
import threading


class Faults:
    def __init__(self):
        self._lock = threading.Lock()
        self.configure({})

    def configure(self, settings):
        """`{}` clears everything. Raises ValueError on out-of-range values (the admin API says 400)."""
        unknown = set(settings) - {"throttle_rate", "latency_ms", "seed"}
        if unknown:
            raise ValueError("unknown fault settings: %s" % ", ".join(sorted(unknown)))
        rate = float(settings.get("throttle_rate", 0.0))
        latency = float(settings.get("latency_ms", 0.0))
        if not 0.0 <= rate <= 1.0:
            raise ValueError("throttle_rate must be between 0 and 1")
        if latency < 0:
            raise ValueError("latency_ms must be >= 0")
        with self._lock:
            self.throttle_rate = rate
            self.latency_ms = latency
            self.seed = settings.get("seed")
            self._random = random.Random(self.seed)

    def as_dict(self):
        with self._lock:
            return {"throttle_rate": self.throttle_rate, "latency_ms": self.latency_ms, "seed": self.seed}

    def latency_seconds(self):
        return self.latency_ms / 1000.0

    def should_throttle(self):
        with self._lock:
            # Draw even when the rate is 0 or 1 so a seeded sequence does not depend on earlier settings.
            return self._random.random() < self.throttle_rate
