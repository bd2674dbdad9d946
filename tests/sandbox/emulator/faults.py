"""Injected faults: throttling and latency on AWS calls (never on admin calls), reproducible with a seed."""
import random
import threading


class Faults:
    def __init__(self):
        self._lock = threading.Lock()
        self.configure({})

    def configure(self, settings):
        """`{}` clears everything. Raises ValueError on out-of-range values (the admin API says 400)."""
        unknown = set(settings) - {"throttle_rate", "latency_ms", "seed", "user_agent"}
        if unknown:
            raise ValueError("unknown fault settings: %s" % ", ".join(sorted(unknown)))
        rate = float(settings.get("throttle_rate", 0.0))
        latency = float(settings.get("latency_ms", 0.0))
        if not 0.0 <= rate <= 1.0:
            raise ValueError("throttle_rate must be between 0 and 1")
        if latency < 0:
            raise ValueError("latency_ms must be >= 0")
        user_agent = settings.get("user_agent") or ""
        if not isinstance(user_agent, str):
            raise ValueError("user_agent must be a string")
        with self._lock:
            self.throttle_rate = rate
            self.latency_ms = latency
            self.seed = settings.get("seed")
            # Only calls whose User-Agent contains this are faulted ("" = every call), e.g. "Botocore" for the
            # controller's modules but not the stand-in agents, which lack the AWS SDK's throttling retries.
            self.user_agent = user_agent
            self.throttled = 0
            self._random = random.Random(self.seed)

    def as_dict(self):
        with self._lock:
            shown = {"throttle_rate": self.throttle_rate, "latency_ms": self.latency_ms, "seed": self.seed}
            # Shown only when in use, so the shape of the default answer stays what clients know.
            if self.user_agent:
                shown["user_agent"] = self.user_agent
            if self.throttle_rate:
                shown["throttled"] = self.throttled  # refused calls since these faults were set
            return shown

    def applies_to(self, user_agent):
        return self.user_agent in (user_agent or "")

    def latency_seconds(self):
        return self.latency_ms / 1000.0

    def should_throttle(self):
        with self._lock:
            # Draw even when the rate is 0 or 1 so a seeded sequence does not depend on earlier settings.
            throttle = self._random.random() < self.throttle_rate
            self.throttled += throttle
            return throttle
