#!/usr/bin/env python3
"""A scripted fault-injecting HTTP/1.1 proxy for cloud-wal's fault suites (stdlib only).

It sits on loopback between cloud-wal and a real server (moto, SeaweedFS, fake-gcs-server, the
Azure fake) and forwards every request byte for byte, the Host header included, so SigV4 and
Shared Key signatures still verify upstream. Faults are scripted per test through the proxy's own
routes under /__fault/ (never forwarded):

  POST /__fault/rules       a JSON rule or list of rules, appended (see Rule below)
  GET  /__fault/events      what the proxy did, as JSON: every request it saw, the rule that fired
                            on it (if any) and how the fault ended (e.g. when the client gave up)
  GET  /__fault/health      "ok"

A rule matches a request by method (regex, full match) and path (regex, searched in the request
target with its query). Each rule counts the requests it matches; it fires on matches number
skip+1 .. skip+times (times 0 = every match from skip+1 on). The first firing rule wins.

Actions (request forwarded upstream = the store sees it):
  respond            not forwarded; answers `status` with `body` (+ `headers`)
  reset_before_head  not forwarded (or forwarded first with "forward": true); TCP reset, no answer
  reset_request_body reads the head and `after` bytes of the request body, then resets
  reset_mid_body     forwarded; sends the head and `after` body bytes, then resets
  reset_after_body   forwarded; sends the whole answer, then resets the connection
  stall_head         not forwarded (or forwarded with "forward": true: the store accepted it);
                     never answers; holds the connection until the client closes it
  stall_mid_body     forwarded; sends the head and `after` body bytes, then holds
  truncate           forwarded; sends the head (full Content-Length) and `after` bytes, then FIN
  corrupt            forwarded; flips one byte (at `offset`, modulo the length) of the answer body
  corrupt_request    flips one byte of the request body (at `offset`) before forwarding it
  drop_reply         forwarded; the store's answer is discarded and the connection closed (FIN)
  delay              forwarded after `seconds` (default 5); answered normally (a slow link, not a fault)

Usage: fault_proxy.py --port P --upstream HOST:PORT [--log FILE]
"""
import argparse
import json
import re
import select
import socket
import socketserver
import struct
import sys
import threading
import time

MAX_HOLD_SECONDS = 300.0


class Rule:
    def __init__(self, spec):
        self.id = str(spec["id"])
        self.action = spec["action"]
        self.method = re.compile(spec.get("method", ".*"))
        self.path = re.compile(spec.get("path", ""))
        self.skip = int(spec.get("skip", 0))
        self.times = int(spec.get("times", 1))
        self.spec = spec
        self.seen = 0
        self.fired = 0

    def param(self, name, default=None):
        return self.spec.get(name, default)


class State:
    def __init__(self, log_path):
        self.lock = threading.Lock()
        self.rules = []
        self.events = []
        self.log_path = log_path

    def add_rules(self, specs):
        rules = [Rule(s) for s in (specs if isinstance(specs, list) else [specs])]
        with self.lock:
            self.rules.extend(rules)
        return [r.id for r in rules]

    def pick(self, method, target):
        """Counts the request against every matching rule; returns the first that fires."""
        chosen = None
        with self.lock:
            for rule in self.rules:
                if not rule.method.fullmatch(method) or not rule.path.search(target):
                    continue
                rule.seen += 1
                eligible = rule.seen > rule.skip and (rule.times == 0 or rule.fired < rule.times)
                if chosen is None and eligible:
                    rule.fired += 1
                    chosen = rule
        return chosen

    def record(self, event):
        event["time"] = time.time()
        with self.lock:
            self.events.append(event)
            if self.log_path:
                with open(self.log_path, "a") as f:
                    f.write(json.dumps(event) + "\n")
        return event


STATE = None
UPSTREAM = None


class Closed(Exception):
    pass


class Reader:
    """Buffered reads from a socket, keeping the raw bytes of what it parsed."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise Closed()
        self.buf += data

    def until(self, marker):
        while marker not in self.buf:
            self.fill()
        i = self.buf.index(marker) + len(marker)
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def exactly(self, n):
        while len(self.buf) < n:
            self.fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def rest(self):
        chunks = [self.buf]
        self.buf = b""
        while True:
            data = self.sock.recv(65536)
            if not data:
                return b"".join(chunks)
            chunks.append(data)


def parse_head(raw):
    lines = raw.decode("latin-1").split("\r\n")
    headers = []
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers.append((name.strip(), value.strip()))
    return lines[0], headers


def header(headers, name):
    for k, v in headers:
        if k.lower() == name.lower():
            return v
    return None


def read_chunked(reader):
    """Decodes a chunked body; returns (raw bytes as sent, decoded body)."""
    raw, body = [], []
    while True:
        size_line = reader.until(b"\r\n")
        raw.append(size_line)
        size = int(size_line.split(b";")[0].strip(), 16)
        if size == 0:
            while True:
                trailer = reader.until(b"\r\n")
                raw.append(trailer)
                if trailer == b"\r\n":
                    return b"".join(raw), b"".join(body)
        data = reader.exactly(size + 2)
        raw.append(data)
        body.append(data[:-2])


def reset(sock):
    """Closes with a TCP RST rather than a FIN."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    sock.close()


def hold(sock):
    """Never answers; returns how long the client waited before closing (None: it never did)."""
    start = time.time()
    while time.time() - start < MAX_HOLD_SECONDS:
        ready, _, _ = select.select([sock], [], [], 0.2)
        if ready:
            try:
                if not sock.recv(65536):
                    return round(time.time() - start, 2)
            except OSError:
                return round(time.time() - start, 2)
    return None


def forward(head_raw, body_raw, method):
    """Sends the request upstream on a fresh connection; returns (status line, headers, body)."""
    up = socket.create_connection(UPSTREAM, timeout=120)
    try:
        up.sendall(head_raw + body_raw)
        reader = Reader(up)
        while True:
            status_line, headers = parse_head(reader.until(b"\r\n\r\n"))
            code = int(status_line.split()[1])
            if code >= 200 or code == 101:
                break  # 1xx interim answers (100 Continue) are the proxy's business, not the client's
        if method == "HEAD" or code in (204, 304):
            body = b""
        elif header(headers, "Transfer-Encoding") and "chunked" in header(headers, "Transfer-Encoding").lower():
            _, body = read_chunked(reader)
        elif header(headers, "Content-Length") is not None:
            body = reader.exactly(int(header(headers, "Content-Length")))
        else:
            body = reader.rest()
        return status_line, headers, body, code
    finally:
        up.close()


def response_head(status_line, headers, body_length, method):
    out = [status_line]
    for k, v in headers:
        if k.lower() in ("transfer-encoding", "content-length"):
            continue
        out.append("%s: %s" % (k, v))
    if method == "HEAD":
        length = header(headers, "Content-Length")
        if length is not None:
            out.append("Content-Length: %s" % length)
    else:
        out.append("Content-Length: %d" % body_length)
    return ("\r\n".join(out) + "\r\n\r\n").encode("latin-1")


def control(sock, method, target, body):
    path = target.split("?")[0]
    status, payload = 200, b""
    try:
        if method == "POST" and path == "/__fault/rules":
            payload = json.dumps({"added": STATE.add_rules(json.loads(body or b"[]"))}).encode()
        elif method == "GET" and path == "/__fault/events":
            with STATE.lock:
                payload = json.dumps(STATE.events).encode()
        elif method == "GET" and path == "/__fault/health":
            payload = b"ok"
        else:
            status, payload = 404, b"no such control route"
    except (ValueError, KeyError, re.error) as e:
        status, payload = 400, ("bad rule: %s" % e).encode()
    reason = {200: "OK", 400: "Bad Request", 404: "Not Found"}[status]
    sock.sendall(b"HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
                 % (status, reason.encode(), len(payload)) + payload)


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        sock = self.request
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        reader = Reader(sock)
        try:
            while self.one(sock, reader):
                pass
        except (Closed, ConnectionError, OSError):
            pass
        finally:
            try:
                sock.close()
            except OSError:
                pass

    def one(self, sock, reader):
        """Serves one request; False when the connection is done."""
        head_raw = reader.until(b"\r\n\r\n")
        request_line, headers = parse_head(head_raw)
        method, target = request_line.split(" ")[0], request_line.split(" ")[1]
        if target.startswith("/__fault/"):
            length = int(header(headers, "Content-Length") or 0)
            control(sock, method, target, reader.exactly(length))
            return True
        rule = STATE.pick(method, target)
        action = rule.action if rule else None
        event = {"method": method, "path": target, "rule": rule.id if rule else None, "action": action}
        length = header(headers, "Content-Length")
        chunked = "chunked" in (header(headers, "Transfer-Encoding") or "").lower()
        if header(headers, "Expect") and "100-continue" in header(headers, "Expect").lower():
            sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")

        if action == "reset_request_body":
            after = int(rule.param("after", 1024))
            total = int(length) if length is not None else None
            taken = reader.exactly(min(after, total) if total is not None else after)
            event["request_bytes_read"] = len(taken)
            STATE.record(event)
            reset(sock)
            return False

        if chunked:
            body_raw, _ = read_chunked(reader)
        else:
            body_raw = reader.exactly(int(length or 0))
        event["request_bytes"] = len(body_raw)

        if action == "respond":
            status = int(rule.param("status", 503))
            body = rule.param("body", "").encode()
            extra = "".join("%s: %s\r\n" % kv for kv in rule.param("headers", {}).items())
            sock.sendall(("HTTP/1.1 %d Fault\r\n%sContent-Type: application/xml\r\nContent-Length: %d\r\n\r\n"
                          % (status, extra, len(body))).encode() + body)
            event["status"] = status
            STATE.record(event)
            return True
        if action in ("reset_before_head", "stall_head") and not rule.param("forward", False):
            if action == "reset_before_head":
                STATE.record(event)
                reset(sock)
            else:
                STATE.record(event)
                event["client_closed_after"] = hold(sock)
                STATE.record({"rule": rule.id, "action": "stall_ended", "client_closed_after": event["client_closed_after"]})
            return False

        if action == "corrupt_request" and body_raw and not chunked:
            i = int(rule.param("offset", 0)) % len(body_raw)
            body_raw = body_raw[:i] + bytes([body_raw[i] ^ 0xFF]) + body_raw[i + 1:]
        if action == "delay":
            time.sleep(min(float(rule.param("seconds", 5)), MAX_HOLD_SECONDS))
        status_line, up_headers, body, code = forward(head_raw, body_raw, method)
        event["status"] = code
        event["response_bytes"] = len(body)

        if action == "reset_before_head":
            STATE.record(event)
            reset(sock)
            return False
        if action == "drop_reply":
            STATE.record(event)
            sock.close()
            return False
        if action == "stall_head":
            STATE.record(event)
            waited = hold(sock)
            STATE.record({"rule": rule.id, "action": "stall_ended", "client_closed_after": waited})
            return False
        if action == "corrupt" and body:
            i = int(rule.param("offset", 0)) % len(body)
            body = body[:i] + bytes([body[i] ^ 0xFF]) + body[i + 1:]
            event["corrupted_offset"] = i
        head = response_head(status_line, up_headers, len(body), method)
        if action in ("reset_mid_body", "stall_mid_body", "truncate"):
            after = min(int(rule.param("after", len(body) // 2)), max(len(body) - 1, 0))
            sock.sendall(head + body[:after])
            event["response_bytes_sent"] = after
            STATE.record(event)
            if action == "reset_mid_body":
                reset(sock)
            elif action == "truncate":
                sock.shutdown(socket.SHUT_WR)
                sock.close()
            else:
                waited = hold(sock)
                STATE.record({"rule": rule.id, "action": "stall_ended", "client_closed_after": waited})
            return False
        sock.sendall(head + body)
        STATE.record(event)
        if action == "reset_after_body":
            reset(sock)
            return False
        close = (header(up_headers, "Connection") or "").lower() == "close" or \
            (header(headers, "Connection") or "").lower() == "close"
        return not close


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


def main():
    global STATE, UPSTREAM
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--log")
    args = parser.parse_args()
    host, _, port = args.upstream.rpartition(":")
    UPSTREAM = (host, int(port))
    STATE = State(args.log)
    server = Server(("127.0.0.1", args.port), Handler)
    print("fault proxy listening on 127.0.0.1:%d -> %s" % (args.port, args.upstream), flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
