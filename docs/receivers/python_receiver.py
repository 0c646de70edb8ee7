#!/usr/bin/env python3
"""A Satdesk callback receiver using only Python's standard library. Run:

    SATDESK_TOKEN=<agent token> PORT=8080 python3 docs/receivers/python_receiver.py

It checks the HMAC header (constant time, timestamps older than 5 minutes rejected), the legacy bitcoinmonitor md5
for `bitcoinmonitor` bodies (exactly as the original Django receiver did), drops repeated delivery ids and answers
2xx to what it accepted. Each accepted callback is printed as one JSON line.
"""
import hashlib
import hmac
import json
import os
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOKEN = os.environ.get("SATDESK_TOKEN", "")
PORT = int(os.environ.get("PORT", "8080"))
HOST = os.environ.get("HOST", "127.0.0.1")
MAX_AGE_S = 300

if not TOKEN:
    sys.stderr.write("Set SATDESK_TOKEN to the agent token.\n")
    sys.exit(2)

# Delivery ids already handled; keep them in your database in real life.
seen = set()
seen_lock = threading.Lock()


def log(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def verify_hmac(header, raw):
    m = re.fullmatch(r"t=(\d+),v1=([0-9a-f]{64})", header or "")
    if not m:
        return "missing or malformed X-Satdesk-Signature"
    t = int(m.group(1))
    if abs(time.time() - t) > MAX_AGE_S:
        return "stale timestamp"
    want = hmac.new(TOKEN.encode(), m.group(1).encode() + b"." + raw, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(want, m.group(2)):
        return "bad HMAC"
    return None


def verify_md5(body):
    # The seed's Django receiver, unchanged in substance.
    d = body["signed_data"]
    sigstring = (d["address"] + d["agent"] + str(d["amount"]) + str(d["amount_btc"]) + str(d["confirmations"])
                 + d["created"] + str(d["userdata"]) + str(d["txhash"]) + TOKEN)
    my_signature = hashlib.md5(sigstring.encode("utf-8")).hexdigest()
    return None if hmac.compare_digest(my_signature, str(body["signature"])) else "bad md5 signature"


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, status, text):
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        bad = verify_hmac(self.headers.get("X-Satdesk-Signature"), raw)
        if bad:
            log({"rejected": bad})
            return self.reply(401, bad)
        try:
            body = json.loads(raw.decode("utf-8"))
        except ValueError:
            return self.reply(400, "not JSON")
        delivery = self.headers.get("X-Satdesk-Delivery", "")
        is_test = self.headers.get("X-Satdesk-Test") == "1"
        with seen_lock:
            if delivery in seen:
                log({"duplicate": delivery})
                return self.reply(200, "already handled")
            if "signed_data" in body:
                bad = verify_md5(body)
                if bad:
                    log({"rejected": bad})
                    return self.reply(401, bad)
                # Look the order up by userdata (or address), check amount, fulfil at the confirmations you need.
                log({"accepted": delivery, "test": is_test, "signed_data": body["signed_data"]})
            else:
                log({"accepted": delivery, "test": is_test, "event": body})
            seen.add(delivery)
        self.reply(200, "ok")


if __name__ == "__main__":
    server = ThreadingHTTPServer((HOST, PORT), Handler)
    log({"listening": "http://%s:%d/" % (HOST, server.server_address[1])})
    server.serve_forever()
