"""Opt-in persistence (`--state-file PATH`): the account's state survives a restart of the emulator, as the real
control plane's does when a client loses its connection to it for a moment.

What is kept: every moto backend in use (IAM roles, ECS clusters and task definitions, SSM parameters, ...) and the
project layer's SSM (activations, managed instances, the activation log of `/_emulator/activations`) and ECS state
(container instances, services, tasks). What is not: faults, stats and runtime config, which belong to the test
driving the emulator and start again from the CLI values.

The file is written on a clean shutdown (SIGTERM / SIGINT) and read on start when it exists; a process killed with
SIGKILL keeps whatever the last clean shutdown wrote. It is a pickle of this code's own objects: only for files this
emulator wrote itself, never for files from elsewhere.
"""
import logging
import os
import pickle
from pathlib import Path

from moto.backends import get_backend
from moto.core.base_backend import BackendDict, backend_lock

log = logging.getLogger("emulator.persist")
FORMAT = 1


def save(emu, path):
    """Write the state atomically (a crash mid-write leaves the previous file intact)."""
    path = Path(path)
    with emu.lock, backend_lock:
        moto = {bd.service_name: [(account, region, backend) for account, region, backend in bd.iter_backends()]
                for bd in BackendDict._instances}
        state = {"format": FORMAT, "moto": moto, "ssm": (emu.ssm.regions, emu.ssm._log), "ecs": emu.ecs.regions}
        data = pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    log.info("state saved to %s (%d bytes)", path, len(data))


def load(emu, path):
    """Restore what `save` wrote; returns False when there is no file yet (a new account)."""
    path = Path(path)
    if not path.exists():
        return False
    state = pickle.loads(path.read_bytes())
    if state.get("format") != FORMAT:
        raise ValueError("%s has state format %r, this emulator reads %r" % (path, state.get("format"), FORMAT))
    with emu.lock, backend_lock:
        for service, backends in state["moto"].items():
            backend_dict = get_backend(service)
            for account, region, backend in backends:
                # Indexing creates the account's (empty) container and registers the BackendDict for reset().
                backend_dict[account][region] = backend
        emu.ssm.regions, emu.ssm._log = state["ssm"]
        emu.ecs.regions = state["ecs"]
    log.info("state loaded from %s", path)
    return True
