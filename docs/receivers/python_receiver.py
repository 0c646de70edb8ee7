#!/usr/bin/env python3
"""A Satdesk callback receiver using only Python's standard library. Run:

    SATDESK_TOKEN=<agent token> PORT=8080 python3 docs/receivers/python_receiver.py

It checks the HMAC header over the timestamp, the notification id, the delivery id, the test flag and the raw body
(constant time; timestamps more than 5 minutes off are rejected), the legacy bitcoinmonitor md5 for `bitcoinmonitor`
bodies (exactly as the original Django receiver did), and handles each NOTIFICATION once: a resend (same
notification, new delivery id) or a replay is answered 200 and changes nothing. Each accepted callback is printed as
one JSON line.
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
MAX_BODY = 1024 * 1024
ID = re.compile(r"(ntf|dlv)_[0-9a-f]{24}")

if not TOKEN:
    sys.stderr.write("Set SATDESK_TOKEN to the agent token.\n")
    sys.exit(2)

# Notification ids already handled; keep them in your database in real life (a unique column, written in the same
# transaction as the order update).
handled = set()
handled_lock = threading.Lock()


def log(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def verify_hmac(headers, raw):
    """HMAC-SHA256(token, "<t>.<notification id>.<delivery id>.<test 0|1>.<raw body>"), header "t=<t>,v2=<hex>"."""
    m = re.fullmatch(r"t=(\d{1,12}),v2=([0-9a-f]{64})", headers.get("X-Satdesk-Signature") or "")
    if not m:
        return "missing or malformed X-Satdesk-Signature"
    notification = headers.get("X-Satdesk-Notification") or ""
    delivery = headers.get("X-Satdesk-Delivery") or ""
    test = headers.get("X-Satdesk-Test")
    if not ID.fullmatch(notification) or not ID.fullmatch(delivery) or test not in ("0", "1"):
        return "missing or malformed X-Satdesk-* headers"
    if abs(time.time() - int(m.group(1))) > MAX_AGE_S:
        return "stale timestamp"
    signed = ("%s.%s.%s.%s." % (m.group(1), notification, delivery, test)).encode() + raw
    want = hmac.new(TOKEN.encode(), signed, hashlib.sha256).hexdigest()
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
        length = int(self.headers.get("Content-Length", "0"))
        if length > MAX_BODY:
            return self.reply(413, "too large")
        raw = self.rfile.read(length)
        bad = verify_hmac(self.headers, raw)
        if bad:
            log({"rejected": bad})
            return self.reply(401, bad)
        notification = self.headers["X-Satdesk-Notification"]
        delivery = self.headers["X-Satdesk-Delivery"]
        is_test = self.headers["X-Satdesk-Test"] == "1"
        with handled_lock:
            # The notification, not the delivery: "Resend" sends the same notification under a new delivery id.
            if notification in handled:
                log({"duplicate": notification, "delivery": delivery})
                return self.reply(200, "already handled")
            try:
                body = json.loads(raw.decode("utf-8"))
            except ValueError:
                return self.reply(400, "not JSON")
            if "signed_data" in body:
                bad = verify_md5(body)
                if bad:
                    log({"rejected": bad})
                    return self.reply(401, bad)
            if is_test:
                # A test callback names an address nobody can own and pays 0: never fulfil an order from it.
                log({"test_received": delivery, "notification": notification})
            elif "signed_data" in body:
                # Look the order up by userdata (or address), check amount, fulfil at the confirmations you need.
                log({"accepted": delivery, "notification": notification, "test": False, "signed_data": body["signed_data"]})
            else:
                log({"accepted": delivery, "notification": notification, "test": False, "event": body})
            handled.add(notification)
        self.reply(200, "ok")


if __name__ == "__main__":
    server = ThreadingHTTPServer((HOST, PORT), Handler)
    log({"listening": "http://%s:%d/" % (HOST, server.server_address[1])})
    server.serve_forever()
