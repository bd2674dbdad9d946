"""Injected faults on AWS calls (never on admin calls): throttling and latency, reproducible with a seed, and lost
responses (the call is performed, its answer never arrives, so the client retries a write that already happened)."""
import random
import threading


class Faults:
    def __init__(self):
        self._lock = threading.Lock()
        self.configure({})

    def configure(self, settings):
        """`{}` clears everything. Raises ValueError on out-of-range values (the admin API says 400)."""
        unknown = set(settings) - {"throttle_rate", "latency_ms", "seed", "user_agent", "lose_response"}
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
        lose = _lose_response(settings.get("lose_response"))
        with self._lock:
            self.lose = lose
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
            if self.lose:
                shown["lose_response"] = dict(self.lose)
            return shown

    def applies_to(self, user_agent):
        return self.user_agent in (user_agent or "")

    def latency_seconds(self):
        return self.latency_ms / 1000.0

    def take_lost_response(self, operation):
        """None to answer normally; else the seconds to hold the answer (0: drop the connection). Counts one loss."""
        with self._lock:
            lose = self.lose
            if not lose or lose["operation"] != operation or lose["lost"] >= lose["times"]:
                return None
            lose["lost"] += 1
            return lose["delay"]

    def should_throttle(self):
        with self._lock:
            # Draw even when the rate is 0 or 1 so a seeded sequence does not depend on earlier settings.
            throttle = self._random.random() < self.throttle_rate
            self.throttled += throttle
            return throttle


def _lose_response(value):
    """{"operation": "ssm:CreateActivation", "times": 1, "delay": 0} checked; None when not asked for."""
    if not value:
        return None
    if not isinstance(value, dict) or set(value) - {"operation", "times", "delay"}:
        raise ValueError("lose_response takes {operation, times, delay}")
    operation = value.get("operation")
    if not isinstance(operation, str) or ":" not in operation:
        raise ValueError("lose_response.operation must name SERVICE:Operation, e.g. ssm:CreateActivation")
    times = value.get("times", 1)
    if not isinstance(times, int) or isinstance(times, bool) or times < 1:
        raise ValueError("lose_response.times must be an integer >= 1")
    delay = value.get("delay", 0)
    if not isinstance(delay, (int, float)) or isinstance(delay, bool) or delay < 0:
        raise ValueError("lose_response.delay must be a number of seconds >= 0 (0 drops the connection)")
    return {"operation": operation, "times": times, "delay": float(delay), "lost": 0}
