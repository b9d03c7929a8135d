#!/usr/bin/env python3
"""A webhook receiver for tests/delivery_test.cpp: listens on 127.0.0.1, saves
each POST as OUT/N.json ({"path", "headers", "body"}) and answers 200, or 503
for the first --fail-first requests. Writes its port to --port-file once it
listens. Standard library only."""
import argparse
import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, default=0)
parser.add_argument("--port-file", required=True)
parser.add_argument("--out", required=True)
parser.add_argument("--fail-first", type=int, default=0)
args = parser.parse_args()

lock = threading.Lock()
count = {"requests": 0, "saved": 0}


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length).decode("utf-8")
        with lock:
            count["requests"] += 1
            fail = count["requests"] <= args.fail_first
            if not fail:
                count["saved"] += 1
                path = os.path.join(args.out, "%d.json" % count["saved"])
                with open(path + ".tmp", "w") as f:
                    json.dump({"path": self.path, "headers": dict(self.headers), "body": body}, f)
                os.rename(path + ".tmp", path)
        self.send_response(503 if fail else 200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *a):
        pass


server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
with open(args.port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(args.port_file + ".tmp", args.port_file)
server.serve_forever()
