"""The /_emulator/* admin API (JSON) for tests and benchmarks. Admin calls are never counted or faulted."""
import json
import logging

from . import seed

log = logging.getLogger("emulator.admin")


def _ok(payload, status=200):
    return status, {"Content-Type": "application/json"}, json.dumps(payload)


def _bad(message, status=400):
    return _ok({"error": message}, status)


def _health(emu, body):
    return _ok({"status": "ok"})


def _stats(emu, body):
    return _ok(emu.stats.snapshot())


def _stats_reset(emu, body):
    emu.stats.reset()
    return _ok(emu.stats.snapshot())


def _faults_get(emu, body):
    return _ok(emu.faults.as_dict())


def _faults_set(emu, body):
    emu.faults.configure(body)
    log.info("faults now %s", emu.faults.as_dict())
    return _ok(emu.faults.as_dict())


def _reset(emu, body):
    emu.reset()
    return _ok({"status": "reset"})


def _activations(emu, body):
    with emu.lock:
        return _ok({"activations": emu.ssm.activation_log()})


def _seed(emu, body):
    if not isinstance(body.get("cluster"), str) or not body["cluster"]:
        raise ValueError("cluster (string) is required")
    count = body.get("count", 1)
    if not isinstance(count, int) or isinstance(count, bool) or not 0 <= count <= 100000:
        raise ValueError("count must be an integer between 0 and 100000")
    with emu.lock:
        result = seed.seed(emu, body["cluster"], count, body.get("region") or emu.config.default_region)
    log.info("seeded %d instances into %s", count, body["cluster"])
    return _ok(result)


def _task_exit(emu, body):
    """A task ends on its own (its essential container exited), as no AWS call can make it do."""
    for key in ("cluster", "task"):
        if not isinstance(body.get(key), str) or not body[key]:
            raise ValueError("%s (string) is required" % key)
    with emu.lock:
        task = emu.ecs.scheduler.exit_task(emu.ecs.region(body.get("region") or emu.config.default_region),
                                           body["cluster"], body["task"],
                                           body.get("reason") or "Essential container in task exited")
    return _ok({"task": task})


def _config_get(emu, body):
    return _ok(emu.config.as_dict())


def _config_set(emu, body):
    with emu.lock:
        emu.config.update(body)
    log.info("config now %s", emu.config.as_dict())
    return _ok(emu.config.as_dict())


ROUTES = {
    ("GET", "/_emulator/health"): _health,
    ("GET", "/_emulator/stats"): _stats,
    ("POST", "/_emulator/stats/reset"): _stats_reset,
    ("GET", "/_emulator/faults"): _faults_get,
    ("POST", "/_emulator/faults"): _faults_set,
    ("POST", "/_emulator/reset"): _reset,
    ("GET", "/_emulator/activations"): _activations,
    ("POST", "/_emulator/seed"): _seed,
    ("POST", "/_emulator/tasks/exit"): _task_exit,
    ("GET", "/_emulator/config"): _config_get,
    ("POST", "/_emulator/config"): _config_set,
}


def handle(emu, environ):
    method = environ.get("REQUEST_METHOD", "GET")
    path = environ.get("PATH_INFO", "").rstrip("/")
    route = ROUTES.get((method, path))
    if route is None:
        if any(p == path for _, p in ROUTES):
            return _bad("method %s not allowed on %s" % (method, path), 405)
        return _bad("no admin endpoint %s" % path, 404)
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length > 0 else b""
        body = json.loads(raw) if raw.strip() else {}
        if not isinstance(body, dict):
            raise ValueError("body must be a JSON object")
        return route(emu, body)
    except (ValueError, TypeError, KeyError) as exc:  # malformed admin input is the caller's bug: say so
        return _bad("%s: %s" % (type(exc).__name__, exc))
