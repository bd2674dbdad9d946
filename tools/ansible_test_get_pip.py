"""Offline stand-in for the get-pip.py that `ansible-test --venv` downloads.

ansible-test bootstraps pip in each sanity venv from a script it fetches from a CI file host that
this network cannot reach. Pip itself ships with CPython (ensurepip), and PyPI is reachable, so this
script bootstraps from ensurepip and then installs the exact pip version ansible-test asked for.
The Makefile copies it into ansible-test's cache before `make sanity`.
"""
import ensurepip
import os
import subprocess
import sys

GET_PIP_ONLY_OPTIONS = ("--no-setuptools", "--no-wheel")


def main():
    ensurepip.bootstrap(upgrade=False)
    # ensurepip points PIP_CONFIG_FILE at /dev/null for its own run and leaves it set; the machine's
    # pip.conf (index, CA bundle) must apply to the real install.
    os.environ.pop("PIP_CONFIG_FILE", None)
    args = [a for a in sys.argv[1:] if a not in GET_PIP_ONLY_OPTIONS]
    subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet"] + args)


if __name__ == "__main__":
    main()
