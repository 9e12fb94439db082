#!/usr/bin/env python3
"""A small Azure Blob service fake for cloud-wal's tests (no Azure emulator installs here).

It speaks the path-style (emulator) form http://HOST:PORT/ACCOUNT/CONTAINER/BLOB and implements
exactly what cloud-wal and barman-cloud (azure-storage-blob) call: create/get/delete container,
Put Blob, Put Block, Put Block List, Get Blob (with ranges), Get Blob Properties, List Blobs,
Delete Blob, Set/Get Blob Tags. Like the service it:

* verifies Shared Key signatures (string-to-sign per "Authorize with Shared Key") and service /
  account SAS signatures, answering 403 AuthenticationFailed otherwise;
* enforces If-None-Match: * (409 BlobAlreadyExists) and If-Match, and checks Content-MD5
  (400 Md5Mismatch) on Put Blob and Put Block;
* rejects metadata names that are not C# identifiers (400 InvalidMetadata).

Test-only inspection routes under /__fake/ need no authorization: state, raw blob bytes,
container creation and a request log. State lives in memory.
"""
import argparse
import base64
import hashlib
import hmac
import json
import re
import sys
import threading
import time
import uuid
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, quote, unquote, urlsplit
from xml.sax.saxutils import escape

STANDARD_HEADERS = [
    "content-encoding", "content-language", "content-length", "content-md5", "content-type", "date",
    "if-modified-since", "if-match", "if-none-match", "if-unmodified-since", "range",
]
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class Blob:
    def __init__(self, data, metadata, tags, scope, content_type):
        self.data = data
        self.metadata = metadata
        self.tags = tags
        self.scope = scope
        self.content_type = content_type or "application/octet-stream"
        self.etag = '"0x%X"' % (uuid.uuid4().int >> 64)
        self.modified = formatdate(usegmt=True)
        self.md5 = base64.b64encode(hashlib.md5(data).digest()).decode()


class State:
    def __init__(self, account, key, page_size):
        self.account = account
        self.key = base64.b64decode(key)
        self.page_size = page_size
        self.lock = threading.Lock()
        self.containers = {}  # name -> {blob name -> Blob}
        self.blocks = {}  # (container, blob) -> {block id -> bytes}
        self.log = []


class ServiceError(Exception):
    def __init__(self, status, code, message):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "AzureBlobFake/1.0"
    state = None  # set in main

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (self.address_string(), fmt % args))

    # ---- plumbing ------------------------------------------------------------------------
    def do_GET(self): self.dispatch()
    def do_HEAD(self): self.dispatch()
    def do_PUT(self): self.dispatch()
    def do_DELETE(self): self.dispatch()
    def do_POST(self): self.dispatch()

    def dispatch(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.body = self.rfile.read(length) if length else b""
        split = urlsplit(self.path)
        self.raw_path, self.raw_query = split.path, split.query
        self.query = dict(parse_qsl(split.query, keep_blank_values=True))
        status = 500
        try:
            if self.raw_path.startswith("/__fake/"):
                status = self.fake_route()
            else:
                status = self.service_route()
        except ServiceError as error:
            status = error.status
            self.send_error_xml(error)
        except Exception as error:  # a bug in the fake: say so loudly
            status = 500
            self.send_error_xml(ServiceError(500, "InternalError", "fake bug: %r" % error))
        with self.state.lock:
            self.state.log.append({"method": self.command, "path": self.raw_path, "query": self.query,
                                   "status": status, "length": len(self.body)})

    def reply(self, status, body=b"", headers=None):
        self.send_response(status)
        headers = dict(headers or {})
        headers.setdefault("x-ms-request-id", str(uuid.uuid4()))
        headers.setdefault("x-ms-version", "2021-08-06")
        headers.setdefault("Date", formatdate(usegmt=True))
        for name, value in headers.items():
            self.send_header(name, value)
        if "Content-Length" not in headers:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD" and body:
            self.wfile.write(body)
        return status

    def send_error_xml(self, error):
        body = ('<?xml version="1.0" encoding="utf-8"?><Error><Code>%s</Code><Message>%s\nRequestId:%s\nTime:%s</Message></Error>'
                % (error.code, escape(error.message), uuid.uuid4(), time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))).encode()
        self.reply(error.status, body, {"x-ms-error-code": error.code, "Content-Type": "application/xml"})

    # ---- test inspection -----------------------------------------------------------------
    def fake_route(self):
        route = self.raw_path[len("/__fake/"):]
        st = self.state
        with st.lock:
            if route == "container" and self.command == "PUT":
                st.containers.setdefault(self.query["name"], {})
                return self.reply(201)
            if route == "blobs":
                blobs = st.containers.get(self.query["container"])
                if blobs is None:
                    return self.reply(404)
                out = {name: {"size": len(b.data), "metadata": b.metadata, "tags": b.tags, "scope": b.scope,
                              "md5": b.md5, "sha256": hashlib.sha256(b.data).hexdigest(), "etag": b.etag}
                       for name, b in blobs.items()}
                return self.reply(200, json.dumps(out).encode(), {"Content-Type": "application/json"})
            if route == "blob":
                blob = st.containers.get(self.query["container"], {}).get(self.query["name"])
                if blob is None:
                    return self.reply(404)
                return self.reply(200, blob.data)
            if route == "requests":
                return self.reply(200, json.dumps(st.log).encode(), {"Content-Type": "application/json"})
        return self.reply(404)

    # ---- authorization -------------------------------------------------------------------
    def authorize(self, container, blob):
        auth = self.headers.get("Authorization")
        if auth:
            return self.check_shared_key(auth)
        if "sig" in self.query:
            return self.check_sas(container, blob)
        raise ServiceError(403, "NoAuthenticationInformation", "Server failed to authenticate the request. Please refer to the information in the www-authenticate header.")

    def string_to_sign(self):
        values = []
        for name in STANDARD_HEADERS:
            value = self.headers.get(name) or ""
            if name == "content-length" and value == "0":
                value = ""
            values.append(value)
        ms = sorted((n.lower(), " ".join(v.split())) for n, v in self.headers.items() if n.lower().startswith("x-ms-"))
        canonical_headers = "".join("%s:%s\n" % (n, v) for n, v in ms)
        resource = "/" + self.state.account + self.raw_path
        params = {}
        for name, value in parse_qsl(self.raw_query, keep_blank_values=True):
            params.setdefault(name.lower(), []).append(value)
        for name in sorted(params):
            resource += "\n%s:%s" % (name, ",".join(sorted(params[name])))
        return self.command + "\n" + "\n".join(values) + "\n" + canonical_headers + resource

    def check_shared_key(self, auth):
        scheme, _, credential = auth.partition(" ")
        account, _, signature = credential.partition(":")
        if scheme != "SharedKey" or account != self.state.account:
            raise ServiceError(403, "AuthenticationFailed", "Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.")
        date = self.headers.get("x-ms-date") or self.headers.get("Date")
        if not date or abs(time.time() - parsedate_to_datetime(date).timestamp()) > 15 * 60:
            raise ServiceError(403, "AuthenticationFailed", "Request date header too old or missing.")
        expected = base64.b64encode(hmac.new(self.state.key, self.string_to_sign().encode(), hashlib.sha256).digest()).decode()
        if not hmac.compare_digest(expected, signature):
            raise ServiceError(403, "AuthenticationFailed", "Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.")
        return None  # the account key may do anything

    def check_sas(self, container, blob):
        q = self.query
        g = lambda name: q.get(name, "")
        if "ss" in q:  # account SAS
            sts = "\n".join([self.state.account, g("sp"), g("ss"), g("srt"), g("st"), g("se"), g("sip"), g("spr"), g("sv"), g("ses")]) + "\n"
            if "b" not in g("ss"):
                raise ServiceError(403, "AuthorizationServiceMismatch", "This request is not authorized to perform this operation using this service.")
        else:  # service SAS on a container or a blob
            path = "/" + container + ("/" + blob if g("sr") == "b" else "")
            resource = "/blob/" + self.state.account + path
            fields = [g("sp"), g("st"), g("se"), resource, g("si"), g("sip"), g("spr"), g("sv"), g("sr"), g("snapshot"), g("ses"),
                      g("rscc"), g("rscd"), g("rsce"), g("rscl"), g("rsct")]
            sts = "\n".join(fields)
        expected = base64.b64encode(hmac.new(self.state.key, sts.encode(), hashlib.sha256).digest()).decode()
        if not hmac.compare_digest(expected, g("sig")):
            raise ServiceError(403, "AuthenticationFailed", "Signature did not match. String to sign used was ...")
        expiry = g("se")
        if expiry:
            from datetime import datetime
            if datetime.fromisoformat(expiry.replace("Z", "+00:00")).timestamp() < time.time():
                raise ServiceError(403, "AuthenticationFailed", "Signed expiry time has to be after signed start time / is in the past.")
        return set(g("sp"))

    @staticmethod
    def need(permissions, letters):
        if permissions is not None and not (permissions & set(letters)):
            raise ServiceError(403, "AuthorizationPermissionMismatch", "This request is not authorized to perform this operation using this permission.")

    # ---- the Blob service ----------------------------------------------------------------
    def service_route(self):
        parts = self.raw_path.lstrip("/").split("/", 2)
        if len(parts) < 2 or parts[0] != self.state.account:
            raise ServiceError(400, "InvalidUri", "The requested URI does not represent any resource on the server.")
        container = unquote(parts[1])
        blob = unquote(parts[2]) if len(parts) > 2 else ""
        permissions = self.authorize(container, blob)
        st = self.state
        with st.lock:
            if not blob:
                return self.container_op(container, permissions)
            blobs = st.containers.get(container)
            if blobs is None:
                raise ServiceError(404, "ContainerNotFound", "The specified container does not exist.")
            comp = self.query.get("comp")
            if self.command == "PUT" and comp == "block":
                self.need(permissions, "wca")
                return self.put_block(container, blob)
            if self.command == "PUT" and comp == "blocklist":
                self.need(permissions, "wc")
                return self.put_block_list(container, blob, blobs)
            if comp == "tags":
                self.need(permissions, "t")
                return self.tags_op(blobs, blob)
            if self.command == "PUT" and comp is None:
                self.need(permissions, "wc")
                return self.put_blob(blobs, blob)
            if self.command in ("GET", "HEAD") and comp is None:
                self.need(permissions, "r")
                return self.get_blob(blobs, blob)
            if self.command == "DELETE" and comp is None:
                self.need(permissions, "d")
                if blobs.pop(blob, None) is None:
                    raise ServiceError(404, "BlobNotFound", "The specified blob does not exist.")
                return self.reply(202)
        raise ServiceError(400, "UnsupportedHttpVerb", "The fake does not implement %s %s" % (self.command, self.path))

    def container_op(self, container, permissions):
        st = self.state
        if self.query.get("restype") != "container":
            raise ServiceError(400, "InvalidQueryParameterValue", "restype=container is required.")
        comp = self.query.get("comp")
        if comp == "list" and self.command == "GET":
            self.need(permissions, "l")
            return self.list_blobs(container)
        if comp is None and self.command == "PUT":
            if permissions is not None:
                raise ServiceError(403, "AuthorizationPermissionMismatch", "Creating containers needs the account key.")
            if container in st.containers:
                raise ServiceError(409, "ContainerAlreadyExists", "The specified container already exists.")
            st.containers[container] = {}
            return self.reply(201, headers={"ETag": '"0x1"', "Last-Modified": formatdate(usegmt=True)})
        if comp is None and self.command in ("GET", "HEAD"):
            if container not in st.containers:
                raise ServiceError(404, "ContainerNotFound", "The specified container does not exist.")
            return self.reply(200, headers={"ETag": '"0x1"', "Last-Modified": formatdate(usegmt=True),
                                            "x-ms-lease-status": "unlocked", "x-ms-lease-state": "available",
                                            "x-ms-has-immutability-policy": "false", "x-ms-has-legal-hold": "false"})
        if comp is None and self.command == "DELETE":
            if st.containers.pop(container, None) is None:
                raise ServiceError(404, "ContainerNotFound", "The specified container does not exist.")
            return self.reply(202)
        raise ServiceError(400, "UnsupportedQueryParameter", "The fake does not implement this container call.")

    def check_md5(self, data):
        given = self.headers.get("Content-MD5")
        if given and base64.b64decode(given) != hashlib.md5(data).digest():
            raise ServiceError(400, "Md5Mismatch", "The MD5 value specified in the request did not match with the MD5 value calculated by the server.")

    def check_conditions(self, existing):
        if self.headers.get("If-None-Match") == "*" and existing is not None:
            raise ServiceError(409, "BlobAlreadyExists", "The specified blob already exists.")
        if_match = self.headers.get("If-Match")
        if if_match and (existing is None or (if_match != "*" and if_match != existing.etag)):
            raise ServiceError(412, "ConditionNotMet", "The condition specified using HTTP conditional header(s) is not met.")

    def write_properties(self):
        metadata = {}
        for name, value in self.headers.items():
            if name.lower().startswith("x-ms-meta-"):
                meta_name = name[len("x-ms-meta-"):]
                if not IDENTIFIER.match(meta_name):
                    raise ServiceError(400, "InvalidMetadata", "The metadata specified is invalid. It has characters that are not permitted.")
                metadata[meta_name.lower()] = value
        tags = dict(parse_qsl(self.headers.get("x-ms-tags", ""), keep_blank_values=True))
        return metadata, tags, self.headers.get("x-ms-encryption-scope")

    def created(self, blob, extra=None):
        headers = {"ETag": blob.etag, "Last-Modified": blob.modified, "Content-MD5": blob.md5,
                   "x-ms-request-server-encrypted": "true"}
        if blob.scope:
            headers["x-ms-encryption-scope"] = blob.scope
        headers.update(extra or {})
        return self.reply(201, headers=headers)

    def put_blob(self, blobs, name):
        if self.headers.get("x-ms-blob-type") != "BlockBlob":
            raise ServiceError(400, "MissingRequiredHeader", "x-ms-blob-type BlockBlob is required.")
        self.check_conditions(blobs.get(name))
        self.check_md5(self.body)
        metadata, tags, scope = self.write_properties()
        blob = Blob(self.body, metadata, tags, scope, self.headers.get("x-ms-blob-content-type") or self.headers.get("Content-Type"))
        blobs[name] = blob
        return self.created(blob)

    def put_block(self, container, name):
        block_id = self.query.get("blockid", "")
        if not block_id or len(base64.b64decode(block_id)) > 64:
            raise ServiceError(400, "InvalidQueryParameterValue", "blockid is invalid.")
        self.check_md5(self.body)
        staged = self.state.blocks.setdefault((container, name), {})
        if staged and len(next(iter(staged))) != len(block_id):
            raise ServiceError(400, "InvalidBlobOrBlock", "The specified blob or block content is invalid (block id lengths differ).")
        staged[block_id] = self.body
        return self.reply(201, headers={"Content-MD5": base64.b64encode(hashlib.md5(self.body).digest()).decode()})

    def put_block_list(self, container, name, blobs):
        self.check_conditions(blobs.get(name))
        self.check_md5(self.body)
        ids = re.findall(r"<(Latest|Uncommitted|Committed)>([^<]*)</\1>", self.body.decode())
        staged = self.state.blocks.get((container, name), {})
        data = b""
        for _, block_id in ids:
            if block_id not in staged:
                raise ServiceError(400, "InvalidBlockList", "The specified block list is invalid.")
            data += staged[block_id]
        metadata, tags, scope = self.write_properties()
        blob = Blob(data, metadata, tags, scope, self.headers.get("x-ms-blob-content-type"))
        blobs[name] = blob
        self.state.blocks.pop((container, name), None)
        return self.created(blob)

    def get_blob(self, blobs, name):
        blob = blobs.get(name)
        if blob is None:
            raise ServiceError(404, "BlobNotFound", "The specified blob does not exist.")
        headers = {"ETag": blob.etag, "Last-Modified": blob.modified, "x-ms-blob-type": "BlockBlob",
                   "Content-Type": blob.content_type, "x-ms-creation-time": blob.modified,
                   "x-ms-lease-status": "unlocked", "x-ms-lease-state": "available", "x-ms-server-encrypted": "true",
                   "Accept-Ranges": "bytes", "x-ms-tag-count": str(len(blob.tags))}
        for key, value in blob.metadata.items():
            headers["x-ms-meta-" + key] = value
        if blob.scope:
            headers["x-ms-encryption-scope"] = blob.scope
        data = blob.data
        status = 200
        wanted = self.headers.get("x-ms-range") or self.headers.get("Range")
        if wanted and self.command == "GET":
            match = re.match(r"bytes=(\d+)-(\d*)", wanted)
            if not match:
                raise ServiceError(416, "InvalidRange", "The range specified is invalid for the current size of the resource.")
            start = int(match.group(1))
            end = int(match.group(2)) if match.group(2) else len(data) - 1
            if start >= len(data):
                raise ServiceError(416, "InvalidRange", "The range specified is invalid for the current size of the resource.")
            end = min(end, len(data) - 1)
            headers["Content-Range"] = "bytes %d-%d/%d" % (start, end, len(data))
            data = data[start:end + 1]
            status = 206
        else:
            headers["Content-MD5"] = blob.md5
        headers["Content-Length"] = str(len(data))
        self.send_response(status)
        headers.setdefault("x-ms-request-id", str(uuid.uuid4()))
        headers.setdefault("x-ms-version", "2021-08-06")
        headers.setdefault("Date", formatdate(usegmt=True))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        if self.command == "GET":
            self.wfile.write(data)
        return status

    def tags_op(self, blobs, name):
        blob = blobs.get(name)
        if blob is None:
            raise ServiceError(404, "BlobNotFound", "The specified blob does not exist.")
        if self.command == "PUT":
            pairs = re.findall(r"<Tag>\s*<Key>([^<]*)</Key>\s*<Value>([^<]*)</Value>\s*</Tag>", self.body.decode())
            blob.tags = {k: v for k, v in pairs}
            return self.reply(204)
        tags = "".join("<Tag><Key>%s</Key><Value>%s</Value></Tag>" % (escape(k), escape(v)) for k, v in blob.tags.items())
        body = ('<?xml version="1.0" encoding="utf-8"?><Tags><TagSet>%s</TagSet></Tags>' % tags).encode()
        return self.reply(200, body, {"Content-Type": "application/xml"})

    def list_blobs(self, container):
        blobs = self.state.containers.get(container)
        if blobs is None:
            raise ServiceError(404, "ContainerNotFound", "The specified container does not exist.")
        prefix = self.query.get("prefix", "")
        delimiter = self.query.get("delimiter", "")
        marker = self.query.get("marker", "")
        limit = min(int(self.query.get("maxresults") or 5000), self.state.page_size)
        entries = []  # (sort name, xml)
        seen_prefixes = set()
        for name in sorted(blobs):
            if not name.startswith(prefix):
                continue
            rest = name[len(prefix):]
            if delimiter and delimiter in rest:
                rolled = prefix + rest[:rest.index(delimiter) + len(delimiter)]
                if rolled not in seen_prefixes:
                    seen_prefixes.add(rolled)
                    entries.append((rolled, "<BlobPrefix><Name>%s</Name></BlobPrefix>" % escape(rolled)))
                continue
            blob = blobs[name]
            meta = ""
            if "metadata" in self.query.get("include", ""):
                meta = "".join("<%s>%s</%s>" % (k, escape(v), k) for k, v in blob.metadata.items())
            entries.append((name, "<Blob><Name>%s</Name><Properties><Creation-Time>%s</Creation-Time><Last-Modified>%s</Last-Modified>"
                            "<Etag>%s</Etag><Content-Length>%d</Content-Length><Content-Type>%s</Content-Type><Content-MD5>%s</Content-MD5>"
                            "<BlobType>BlockBlob</BlobType><AccessTier>Hot</AccessTier><AccessTierInferred>true</AccessTierInferred>"
                            "<LeaseStatus>unlocked</LeaseStatus><LeaseState>available</LeaseState><ServerEncrypted>true</ServerEncrypted>"
                            "</Properties><Metadata>%s</Metadata></Blob>"
                            % (escape(name), blob.modified, blob.modified, escape(blob.etag), len(blob.data), blob.content_type,
                               blob.md5, meta)))
        entries = [e for e in entries if e[0] > marker] if marker else entries
        page, rest = entries[:limit], entries[limit:]
        next_marker = "<NextMarker>%s</NextMarker>" % escape(page[-1][0]) if rest else "<NextMarker />"
        endpoint = "http://%s/%s/" % (self.headers.get("Host", "127.0.0.1"), self.state.account)
        body = ('<?xml version="1.0" encoding="utf-8"?><EnumerationResults ServiceEndpoint="%s" ContainerName="%s">'
                "<Prefix>%s</Prefix><Marker>%s</Marker><MaxResults>%d</MaxResults><Delimiter>%s</Delimiter><Blobs>%s</Blobs>%s"
                "</EnumerationResults>"
                % (escape(endpoint), escape(container), escape(prefix), escape(marker), limit, escape(delimiter),
                   "".join(e[1] for e in page), next_marker)).encode()
        return self.reply(200, body, {"Content-Type": "application/xml"})


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--account", required=True)
    parser.add_argument("--key", required=True, help="base64 account key")
    parser.add_argument("--page-size", type=int, default=5000, help="List Blobs page limit (to exercise NextMarker)")
    args = parser.parse_args()
    Handler.state = State(args.account, args.key, args.page_size)
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    server.daemon_threads = True
    print("azure blob fake listening on %s:%d account %s" % (args.host, args.port, args.account), flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
