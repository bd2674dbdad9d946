"""Runtime-tunable behaviour. The CLI sets the startup values; POST /_emulator/config changes them until the
next POST /_emulator/reset, which restores the startup values so tests cannot leak settings into each other."""
import dataclasses


@dataclasses.dataclass
class Config:
    # Seconds without UpdateInstanceInformation before PingStatus turns ConnectionLost. The agent's default
    # HealthFrequencyMinutes is 5: allow two periods and a margin, or a host whose heartbeat is a second late
    # under load flips to ConnectionLost between two pings.
    heartbeat_timeout: float = 660.0
    # Seconds a container instance stays DRAINING before its service tasks are stopped and replaced.
    drain_delay: float = 5.0
    # Seconds after the last DiscoverPollEndpoint during which an instance reports agentConnected.
    agent_connected_window: float = 300.0
    # SSM agent version that DescribeInstanceInformation reports as IsLatestVersion.
    latest_ssm_agent_version: str = "3.3.1957.0"
    # CreateActivation rejects IAM roles that do not exist in the emulated IAM, as AWS does.
    validate_iam_role: bool = True
    # Authorise calls signed with IAM-issued access keys against their IAM policies (iam_enforce.py); off by default.
    enforce_iam: bool = False
    # Seconds an ec2messages GetMessages long poll waits for a message (the agent's client waits 20 s at most).
    message_long_poll: float = 10.0
    # Region for requests that carry none (unsigned raw calls without X-Emulator-Region or an AWS Host).
    default_region: str = "us-east-1"
    # Container images whose service tasks exit as soon as they start, as a crashing or unpullable image does: what
    # trips a deployment's circuit breaker (ecs_deployments.py).
    failing_images: list = dataclasses.field(default_factory=list)

    def update(self, values):
        """Apply a partial JSON object; unknown keys or wrong types raise ValueError (the admin API says 400)."""
        fields = {f.name: f for f in dataclasses.fields(self)}
        for key, value in values.items():
            if key not in fields:
                raise ValueError("unknown config key %r (known: %s)" % (key, ", ".join(sorted(fields))))
            kind = fields[key].type
            if kind is float and isinstance(value, (int, float)) and not isinstance(value, bool):
                value = float(value)
            elif not isinstance(value, kind):
                raise ValueError("config key %r must be a %s" % (key, kind.__name__))
            setattr(self, key, value)

    def as_dict(self):
        return dataclasses.asdict(self)

    def copy(self):
        return dataclasses.replace(self)
