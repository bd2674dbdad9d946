"""python -m tests.sandbox.mirror --port P [--listen ADDR ...] [--packages DIR] [--access-log FILE]

Serves the stand-in packages in the S3 layout (see layout.py) on each listen address, and records
every request as a JSON line {time, client, method, path, status, bytes} so benchmarks can count
the bytes each enrollment downloads.
"""
import argparse
import hashlib
import json
import signal
import sys
import threading
import time
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tests.sandbox import settings
from tests.sandbox.mirror.layout import listing, resolve

NO_SUCH_KEY = ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchKey</Code>'
               '<Message>The specified key does not exist.</Message><Key>%s</Key></Error>')


def make_handler(packages, access_log):
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def version_string(self):
            return "AmazonS3"

        def do_HEAD(self):
            self.serve(body=False)

        def do_GET(self):
            self.serve(body=True)

        def serve(self, body):
            path = self.path.split("?")[0]
            if path == "/_mirror/health":
                return self.reply(200, b"ok\n", "text/plain", body)
            if path == "/_mirror/index":
                data = json.dumps(listing(packages, settings.REGION), indent=1).encode()
                return self.reply(200, data, "application/json", body)
            target = resolve(packages, path)
            if target is None:
                return self.reply(404, (NO_SUCH_KEY % path.lstrip("/")).encode(), "application/xml", body)
            data = target.read_bytes()
            headers = {"ETag": '"%s"' % hashlib.md5(data).hexdigest(),
                       "Last-Modified": formatdate(target.stat().st_mtime, usegmt=True)}
            # As S3 does: get_url re-checks a cached file with If-Modified-Since, and bytes served
            # per enrollment must show what a real bucket would send, not a full copy each time.
            if self.not_modified_since(target):
                return self.reply(304, b"", None, False, headers)
            self.reply(200, data, "application/octet-stream", body, headers)

        def not_modified_since(self, target):
            try:
                since = parsedate_to_datetime(self.headers.get("If-Modified-Since", ""))
            except (TypeError, ValueError):
                return False
            return since is not None and int(target.stat().st_mtime) <= since.timestamp()

        def reply(self, status, data, content_type, body, extra=None):
            self.send_response(status)
            if content_type:
                self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            for key, value in (extra or {}).items():
                self.send_header(key, value)
            self.end_headers()
            sent = 0
            if body:
                self.wfile.write(data)
                sent = len(data)
            record = {"time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "client": self.client_address[0],
                      "method": self.command, "path": self.path, "status": status, "bytes": sent}
            with lock, open(access_log, "a") as handle:
                handle.write(json.dumps(record) + "\n")

        def log_message(self, *args):
            pass

    return Handler


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tests.sandbox.mirror", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=settings.MIRROR_PORT)
    parser.add_argument("--listen", action="append", default=[], metavar="ADDR",
                        help="address to listen on (repeatable; default 127.0.0.1)")
    parser.add_argument("--packages", type=Path, default=settings.PACKAGES)
    parser.add_argument("--access-log", type=Path, default=settings.STATE / "mirror-access.log")
    args = parser.parse_args(argv)
    args.access_log.parent.mkdir(parents=True, exist_ok=True)
    handler = make_handler(args.packages, args.access_log)
    servers = [ThreadingHTTPServer((addr, args.port), handler) for addr in (args.listen or ["127.0.0.1"])]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    print("mirror: serving %s on %s (access log %s)" % (
        args.packages, ", ".join("http://%s:%d" % s.server_address[:2] for s in servers), args.access_log), flush=True)
    stopped = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopped.set())
    stopped.wait()
    for server in servers:
        server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
