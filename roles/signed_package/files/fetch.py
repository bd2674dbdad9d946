# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Download one URL to a file on the host, through the proxy named in a root-only environment file.

    fetch.py [--env-file FILE] [--force] URL DEST

Why not get_url: ansible passes a task's `environment:` on the module's command line, which `ps`
shows to every local user while the task runs and `-vvv` prints; proxy credentials must stay in the
0600 file. The file holds KEY="value" lines (what systemd's EnvironmentFile= and sh both read);
http_proxy, https_proxy and no_proxy (either case) are used as urllib uses them.

Prints one JSON object: changed, status (HTTP status, or -1 when no answer came) and msg. Exits 0
also when the server refused: the caller names what was missing and what to do.
"""
import argparse
import hashlib
import json
import os
import sys
import tempfile
import urllib.error
import urllib.request

PROXY_KEYS = ("http_proxy", "https_proxy", "no_proxy")
ESCAPED = '\\"`$'


def read_env_file(path):
    """KEY="value" lines with \\ \" \\` \\$ escaped, as the roles write them; other lines are ignored."""
    result = {}
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            line = line.strip()
            if not line or line.startswith("#") or "=" not in line:
                continue
            key, raw = line.split("=", 1)
            if len(raw) >= 2 and raw[0] == raw[-1] == '"':
                raw, value, i = raw[1:-1], [], 0
                while i < len(raw):
                    if raw[i] == "\\" and i + 1 < len(raw) and raw[i + 1] in ESCAPED:
                        i += 1
                    value.append(raw[i])
                    i += 1
                raw = "".join(value)
            result[key.strip()] = raw
    return result


def use_proxy_env(env):
    """Only the proxy settings of the file, in both spellings urllib reads."""
    for key in PROXY_KEYS:
        value = env.get(key, env.get(key.upper()))
        if value:
            os.environ[key] = os.environ[key.upper()] = value


def digest(path):
    sha = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def fetch(url, dest, force):
    if not force and os.path.exists(dest):
        return {"changed": False, "status": 200, "msg": "already there"}
    directory = os.path.dirname(dest) or "."
    handle, partial = tempfile.mkstemp(dir=directory, prefix=".fetch-")
    try:
        with os.fdopen(handle, "wb") as out:
            try:
                with urllib.request.urlopen(url, timeout=60) as answer:
                    status = answer.status
                    for block in iter(lambda: answer.read(1 << 20), b""):
                        out.write(block)
            except urllib.error.HTTPError as err:
                return {"changed": False, "status": err.code, "msg": "HTTP Error %d: %s" % (err.code, err.reason)}
            except (urllib.error.URLError, OSError) as err:
                # The reason names the host and the proxy's answer, never the proxy URL itself.
                return {"changed": False, "status": -1, "msg": "no answer: %s" % getattr(err, "reason", err)}
        if os.path.exists(dest) and digest(dest) == digest(partial):
            return {"changed": False, "status": status, "msg": "unchanged"}
        os.chmod(partial, 0o644)
        os.replace(partial, dest)
        partial = None
        return {"changed": True, "status": status, "msg": "downloaded"}
    finally:
        if partial and os.path.exists(partial):
            os.unlink(partial)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env-file", default="")
    parser.add_argument("--force", action="store_true")
    parser.add_argument("url")
    parser.add_argument("dest")
    args = parser.parse_args(argv)
    if args.env_file:
        use_proxy_env(read_env_file(args.env_file))
    print(json.dumps(fetch(args.url, args.dest, args.force)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
