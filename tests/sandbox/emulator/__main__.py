"""python -m tests.sandbox.emulator --host H --port P [--listen HOST:PORT ...] [...]"""
import argparse
import json
import logging
import os
import signal
import sys
import threading
from pathlib import Path

from .config import Config


def _address(text):
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise argparse.ArgumentTypeError("expected HOST:PORT, got %r" % text)
    return host.strip("[]"), int(port)


def parse_args(argv=None):
    defaults = Config()
    parser = argparse.ArgumentParser(
        prog="python -m tests.sandbox.emulator",
        description="Emulated AWS control plane (moto plus an ECS Anywhere layer); "
                    "see tests/sandbox/emulator/README.md")
    parser.add_argument("--host", default="127.0.0.1", help="primary listen address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=4566, help="primary listen port (default 4566)")
    parser.add_argument("--listen", type=_address, action="append", default=[], metavar="HOST:PORT",
                        help="extra address to serve the same emulator on, e.g. the Docker bridge gateway; repeatable")
    parser.add_argument("--heartbeat-timeout", type=float, default=defaults.heartbeat_timeout, metavar="SECONDS",
                        help="seconds without an SSM heartbeat before PingStatus is ConnectionLost")
    parser.add_argument("--drain-delay", type=float, default=defaults.drain_delay, metavar="SECONDS",
                        help="seconds a DRAINING instance keeps its service tasks before they are replaced")
    parser.add_argument("--agent-connected-window", type=float, default=defaults.agent_connected_window,
                        metavar="SECONDS", help="seconds after DiscoverPollEndpoint an instance counts as connected")
    parser.add_argument("--default-region", default=defaults.default_region,
                        help="region for unsigned calls that name none")
    parser.add_argument("--enforce-iam", action="store_true",
                        help="authorise calls signed with IAM-issued access keys against their IAM policies")
    parser.add_argument("--state-dir", type=Path, help="directory for emulator.json (pid, urls) while running")
    parser.add_argument("--state-file", type=Path, metavar="PATH",
                        help="keep the account's state across restarts: read on start when present, written on shutdown")
    parser.add_argument("--log-level", default="INFO", help="stderr log level (DEBUG logs every request)")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    logging.basicConfig(stream=sys.stderr, level=args.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if logging.getLogger().level > logging.DEBUG:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request drowns benchmarks
    from .server import Emulator, Listeners  # moto is slow to import: not before the arguments are known good

    config = Config(heartbeat_timeout=args.heartbeat_timeout, drain_delay=args.drain_delay,
                    agent_connected_window=args.agent_connected_window, default_region=args.default_region,
                    enforce_iam=args.enforce_iam)
    emulator = Emulator(config)
    if args.state_file:
        from . import persist
        persist.load(emulator, args.state_file)
    listeners = Listeners(emulator, [(args.host, args.port)] + args.listen)
    stopped = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopped.set())
    listeners.start()
    info = None
    if args.state_dir:
        args.state_dir.mkdir(parents=True, exist_ok=True)
        info = args.state_dir / "emulator.json"
        info.write_text(json.dumps({"pid": os.getpid(), "urls": listeners.urls}))
    logging.getLogger("emulator").info("listening on %s", ", ".join(listeners.urls))
    stopped.wait()
    logging.getLogger("emulator").info("shutting down")
    listeners.stop()
    if args.state_file:
        persist.save(emulator, args.state_file)
    if info is not None:
        info.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
