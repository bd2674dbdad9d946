"""Run the collection's modules for real: write a playbook, run ansible-playbook against the emulator, read results.

Every task registers its result and ignores errors, so one playbook can hold several module calls
(including ones expected to fail); `play()` returns the results in task order and fails the test on
an unexpected failure.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tools.integration_order import heaviest_first

REPO = Path(__file__).resolve().parents[2]

# The fixtures of the host tests (sandbox hosts, emulator and mirror for them, the playbook and fault fleets) are
# registered once here for every integration module, not imported by name into each (an import a linter sees as
# unused and a parameter that redefines it). pytest only takes pytest_plugins from the conftest files it loads
# first: run these tests as `pytest tests/integration[/...]` (as make does), not `pytest tests`.
sys.path.insert(0, str(Path(__file__).resolve().parent / "reliability"))  # fault_fixtures sits there
pytest_plugins = ["sandbox_fixtures", "test_playbooks_harness", "fault_fixtures"]
ANSIBLE_PLAYBOOK = str(Path(sys.executable).parent / "ansible-playbook")
ANSIBLE_DOC = str(Path(sys.executable).parent / "ansible-doc")
FQCN = "hybridfleet.ecs_anywhere."


class PlaybookRun:
    def __init__(self, emulator, tmp_path):
        self.emulator = emulator
        self.tmp_path = tmp_path
        self.count = 0
        self.last_stdout = ""
        self.report = None

    def task_output(self, index):
        """What the json callback showed for task `index` of the last run (what a log would keep)."""
        return json.dumps(self.report["plays"][0]["tasks"][index])

    def __call__(self, *tasks, check=False, diff=False, env=None, drop_env=(), module_defaults=None, vars=None, timeout=300):
        """Run tasks ({module: args} dicts, short module names get the collection prefix); return their results.

        A task may carry `expect_failure: True` (removed before running); any other failure fails the test.
        """
        self.count += 1
        expected = []
        play_tasks = []
        for index, task in enumerate(tasks):
            task = dict(task)
            expected.append(task.pop("expect_failure", False))
            for key in list(task):
                if key.split(".")[0] in MODULES:
                    task[FQCN + key] = task.pop(key)
            task.setdefault("name", f"task {index}")
            task.update(register=f"r{index}", ignore_errors=True)
            play_tasks.append(task)
        names = ", ".join(f"r{i}" for i in range(len(tasks)))
        # debug runs on the controller (no module process), so collecting results costs nothing.
        play_tasks.append({"name": "dump results", "ansible.builtin.debug": {"msg": "{{ [" + names + "] | to_json }}"}})
        play = {"hosts": "localhost", "connection": "local", "gather_facts": False, "tasks": play_tasks,
                "vars": dict(vars or {}, ansible_python_interpreter=sys.executable)}
        if module_defaults:
            play["module_defaults"] = module_defaults
        book = self.tmp_path / f"play-{self.count}.yml"
        book.write_text(yaml.safe_dump([play], sort_keys=False))
        run_env = self.emulator.env()
        for key in drop_env:
            run_env.pop(key, None)
        run_env.update(env or {})
        run_env.update(ANSIBLE_NOCOLOR="1", ANSIBLE_RETRY_FILES_ENABLED="0", ANSIBLE_LOCALHOST_WARNING="0",
                       ANSIBLE_INVENTORY_UNPARSED_WARNING="0", ANSIBLE_STDOUT_CALLBACK="ansible.posix.json", ANSIBLE_PIPELINING="1")
        cmd = [ANSIBLE_PLAYBOOK, "-i", "localhost,", str(book)]
        if check:
            cmd.append("--check")
        if diff:
            cmd.append("--diff")
        proc = subprocess.run(cmd, env=run_env, cwd=self.tmp_path, capture_output=True, text=True, timeout=timeout, check=False)
        self.last_stdout = proc.stdout
        try:
            self.report = json.loads(proc.stdout)
            dump = self.report["plays"][0]["tasks"][-1]
            assert dump["task"]["name"] == "dump results"
            results = json.loads(dump["hosts"]["localhost"]["msg"])
        except (ValueError, KeyError, IndexError, AssertionError):
            pytest.fail(f"ansible-playbook did not finish (rc={proc.returncode}):\n{proc.stdout[-6000:]}\n{proc.stderr[-3000:]}")
        for index, (result, should_fail) in enumerate(zip(results, expected)):
            failed = bool(result.get("failed"))
            if failed != should_fail:
                pytest.fail(f"task {index} {'failed' if failed else 'succeeded'} unexpectedly: {json.dumps(result, indent=1)[:4000]}")
        return results


# Every module of the collection, so a task may name one by its short name.
MODULES = {path.stem for path in (REPO / "plugins" / "modules").glob("*.py")}


@pytest.fixture
def play(emulator, tmp_path):
    return PlaybookRun(emulator, tmp_path)


@pytest.fixture
def iam_role(emulator):
    """The IAM service role activations name (the emulator checks that it exists, as AWS does)."""
    iam = emulator.client("iam")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ssm.amazonaws.com"},
                                                     "Action": "sts:AssumeRole"}]}
    iam.create_role(RoleName="ecsAnywhereRole", AssumeRolePolicyDocument=json.dumps(trust))
    return "ecsAnywhereRole"


@pytest.fixture
def ansible_doc(emulator):
    """Render a module's docs as ansible-doc does for users; returns the parsed JSON entry."""
    def render(*names):
        proc = subprocess.run([ANSIBLE_DOC, "--json"] + [FQCN + n for n in names], env=emulator.env(), capture_output=True, text=True, check=False,
                              timeout=120)
        assert proc.returncode == 0, proc.stderr
        docs = json.loads(proc.stdout)
        return {n: docs[FQCN + n] for n in names}
    return render


FILE_SECONDS = Path(__file__).with_name("file_seconds.json")


def pytest_collection_modifyitems(items):
    """Files heaviest first (tools/integration_order.py); tests keep their order within a file."""
    seconds = json.loads(FILE_SECONDS.read_text()) if FILE_SECONDS.exists() else {}
    files = list(dict.fromkeys(item.nodeid.split("::")[0] for item in items))
    rank = {path: index for index, path in enumerate(heaviest_first(files, seconds))}
    items.sort(key=lambda item: rank[item.nodeid.split("::")[0]])


os.environ.setdefault("ANSIBLE_NOCOLOR", "1")
