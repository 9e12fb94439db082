#!/usr/bin/env python3
"""Proves azure_blob_fake.py right with Microsoft's own azure-storage-blob SDK.

Usage: azure_sdk_check.py ENDPOINT ACCOUNT KEY   (ENDPOINT = http://127.0.0.1:PORT/ACCOUNT)
Each check prints "ok NAME"; the first failure raises and exits non-zero.
"""
import hashlib
import os
import sys
from datetime import datetime, timedelta, timezone

from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.storage.blob import (AccountSasPermissions, BlobServiceClient, ContainerClient, ContainerSasPermissions,
                                ResourceTypes, generate_account_sas, generate_container_sas)

endpoint, account, key = sys.argv[1:4]
conn = "DefaultEndpointsProtocol=http;AccountName=%s;AccountKey=%s;BlobEndpoint=%s;" % (account, key, endpoint)
service = BlobServiceClient.from_connection_string(conn)
name = "sdk-check-" + os.urandom(4).hex()


def ok(check):
    print("ok", check, flush=True)


container = service.create_container(name)
ok("create container")
try:
    service.create_container(name)
    raise AssertionError("second create_container succeeded")
except ResourceExistsError:
    ok("create container twice refused")
assert container.exists()
assert not service.get_container_client(name + "-absent").exists()
ok("container exists / absent")

small = os.urandom(1000)
container.upload_blob("a/b/small", small, metadata={"cloudwal_sha256": hashlib.sha256(small).hexdigest()},
                      tags={"env": "ci", "team": "db ops"})
assert container.download_blob("a/b/small").readall() == small
props = container.get_blob_client("a/b/small").get_blob_properties()
assert props.size == 1000 and props.metadata == {"cloudwal_sha256": hashlib.sha256(small).hexdigest()}, props
assert container.get_blob_client("a/b/small").get_blob_tags() == {"env": "ci", "team": "db ops"}
ok("put/get small blob with metadata and tags")

try:
    container.upload_blob("a/b/small", b"other")
    raise AssertionError("upload without overwrite replaced a blob")
except ResourceExistsError:
    ok("If-None-Match refuses an existing blob")
container.upload_blob("a/b/small", b"other", overwrite=True)
assert container.download_blob("a/b/small").readall() == b"other"
ok("overwrite=True replaces")

# Blocks: a client whose single-put limit is tiny, several blocks in parallel, and a
# download split into ranged GETs.
big = os.urandom(3 * 1024 * 1024 + 17)
chunked = ContainerClient.from_connection_string(conn, name, max_single_put_size=1024 * 1024,
                                                 max_block_size=512 * 1024, max_single_get_size=1024 * 1024,
                                                 max_chunk_get_size=1024 * 1024)
chunked.upload_blob("big/blob", big, max_concurrency=4)
assert chunked.download_blob("big/blob", max_concurrency=3).readall() == big
ok("block upload and ranged download")
container.upload_blob("empty", b"")
assert container.download_blob("empty").readall() == b""
ok("empty blob")

names = sorted(b.name for b in container.list_blobs())
assert names == ["a/b/small", "big/blob", "empty"], names
walked = sorted(item.name for item in container.walk_blobs(name_starts_with="a/", delimiter="/"))
assert walked == ["a/b/"], walked
ok("list and walk")

container.delete_blob("empty")
try:
    container.download_blob("empty").readall()
    raise AssertionError("deleted blob still readable")
except ResourceNotFoundError:
    ok("delete")

# SAS tokens: a container SAS and an account SAS are honoured, a tampered one is not.
expiry = datetime.now(timezone.utc) + timedelta(hours=1)
sas = generate_container_sas(account, name, account_key=key, permission=ContainerSasPermissions(read=True, list=True),
                             expiry=expiry)
sas_client = ContainerClient(endpoint, name, credential=sas)
assert sorted(b.name for b in sas_client.list_blobs()) == ["a/b/small", "big/blob"]
assert sas_client.download_blob("a/b/small").readall() == b"other"
try:
    sas_client.upload_blob("x", b"no write permission")
    raise AssertionError("read-only SAS wrote")
except HttpResponseError as error:
    assert error.status_code == 403, error
account_sas = generate_account_sas(account, key, ResourceTypes(container=True, object=True),
                                   AccountSasPermissions(read=True, write=True, list=True), expiry)
ContainerClient(endpoint, name, credential=account_sas).upload_blob("via-account-sas", b"x")
ok("container and account SAS")
tampered = sas.replace("sig=", "sig=A")
try:
    list(ContainerClient(endpoint, name, credential=tampered).list_blobs())
    raise AssertionError("tampered SAS accepted")
except (ClientAuthenticationError, HttpResponseError) as error:
    assert error.status_code == 403, error
    ok("tampered SAS refused")

# A wrong account key is refused with 403 AuthenticationFailed.
wrong = conn.replace(key, "d3Jvbmcta2V5LXdyb25nLWtleS13cm9uZy1rZXk=")
try:
    BlobServiceClient.from_connection_string(wrong).get_container_client(name).download_blob("a/b/small").readall()
    raise AssertionError("wrong key accepted")
except (ClientAuthenticationError, HttpResponseError) as error:
    assert error.status_code == 403 and error.error_code == "AuthenticationFailed", (error.status_code, error.error_code)
    ok("wrong key refused")

service.delete_container(name)
assert not container.exists()
ok("delete container")
print("all ok")
