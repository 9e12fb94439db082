#!/usr/bin/env python3
"""Looks into an S3 server (moto, SeaweedFS) with boto3, for the tests: what is stored, independent of cloud-wal.

Usage: s3_inspect.py COMMAND ARGS... with S3_ENDPOINT and the AWS_* credentials in the environment.
  wait SECONDS           until a signed ListBuckets succeeds (exit 1 when it never does)
  create-bucket NAME
  iam-setup              (moto) an IAM user allowed s3:*; prints its key id and secret
  keys BUCKET [PREFIX]   every key (under PREFIX), sorted, as a JSON list
  get BUCKET KEY FILE    exit 10 when there is no such object
  put BUCKET KEY FILE    replaces the object (a test's tampering, never cloud-wal's way)
  head BUCKET KEY        {"metadata", "etag", "size", "contentLength", "serverSideEncryption",
                         "kmsKeyID", "headers"} as JSON (names and metadata keys lower-case);
                         exit 10 when absent
  tags BUCKET KEY        the object's tag set as a JSON object
  uploads BUCKET         keys of multipart uploads in progress, as a JSON list
Exit 10 means "no such object"; anything else non-zero is an error (message on stderr).
"""
import json
import os
import sys
import time

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError, EndpointConnectionError, ConnectionClosedError

cfg = Config(s3={"addressing_style": "path"}, retries={"max_attempts": 2}, connect_timeout=10, read_timeout=30)
s3 = boto3.client("s3", endpoint_url=os.environ["S3_ENDPOINT"], config=cfg)
cmd, args = sys.argv[1], sys.argv[2:]
try:
    if cmd == "wait":
        deadline = time.time() + float(args[0])
        while True:
            try:
                s3.list_buckets()
                break
            except (ClientError, EndpointConnectionError, ConnectionClosedError) as e:
                if time.time() > deadline:
                    sys.exit("not ready: %s" % e)
                time.sleep(0.3)
    elif cmd == "iam-setup":
        iam = boto3.client("iam", endpoint_url=os.environ["S3_ENDPOINT"])
        iam.create_user(UserName="cloudwal-test")
        key = iam.create_access_key(UserName="cloudwal-test")["AccessKey"]
        iam.put_user_policy(UserName="cloudwal-test", PolicyName="s3-all", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
        print(key["AccessKeyId"], key["SecretAccessKey"])
    elif cmd == "create-bucket":
        s3.create_bucket(Bucket=args[0])
    elif cmd == "keys":
        out = []
        prefix = args[1] if len(args) > 1 else ""
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=args[0], Prefix=prefix):
            out += [o["Key"] for o in page.get("Contents", [])]
        print(json.dumps(sorted(out)))
    elif cmd == "get":
        body = s3.get_object(Bucket=args[0], Key=args[1])["Body"].read()
        with open(args[2], "wb") as f:
            f.write(body)
    elif cmd == "put":
        with open(args[2], "rb") as f:
            s3.put_object(Bucket=args[0], Key=args[1], Body=f.read())
    elif cmd == "delete":
        s3.delete_object(Bucket=args[0], Key=args[1])
    elif cmd == "head":
        h = s3.head_object(Bucket=args[0], Key=args[1])
        print(json.dumps({
            "metadata": {k.lower(): v for k, v in h.get("Metadata", {}).items()},
            "etag": h.get("ETag"), "size": h["ContentLength"], "contentLength": h["ContentLength"],
            "serverSideEncryption": h.get("ServerSideEncryption"), "kmsKeyID": h.get("SSEKMSKeyId"),
            "headers": {k.lower(): v for k, v in h["ResponseMetadata"]["HTTPHeaders"].items()},
        }))
    elif cmd == "tags":
        tags = s3.get_object_tagging(Bucket=args[0], Key=args[1])["TagSet"]
        print(json.dumps({t["Key"]: t["Value"] for t in tags}))
    elif cmd == "uploads":
        print(json.dumps(sorted(u["Key"] for u in s3.list_multipart_uploads(Bucket=args[0]).get("Uploads", []))))
    else:
        sys.exit("unknown command " + cmd)
except ClientError as e:
    if e.response.get("Error", {}).get("Code", "") in ("404", "NoSuchKey", "NotFound"):
        sys.exit(10)
    sys.exit("%s: %s" % (cmd, e.response.get("Error", {}).get("Code", e)))
