#!/usr/bin/env python3
"""bench/storm_store.py — what a storm run left in a store: every segment from FIRST to LAST there, once?

    storm_store.py file DIR FIRST LAST [--delete]
    storm_store.py s3 ENDPOINT BUCKET PREFIX FIRST LAST [--delete]

Lists every object (or file) below the store, takes the WAL segment name each one starts with
(cp: `SEG`, ours/barman-cloud: `SEG[.ext]`, pgBackRest: `SEG-<sha1>[.ext]`), and prints one line:
`stored=N missing=N dups=N` where missing counts the names in [FIRST, LAST] (16 MiB segments) that
are absent and dups the names stored more than once. --delete then removes what was listed, so a
long run does not fill the disk (moto spools bodies to /tmp). Exit 0 whatever it found; the caller
judges. S3 credentials come from the environment (AWS_ACCESS_KEY_ID/SECRET).
"""
import collections
import os
import re
import shutil
import sys

SEG = re.compile(r"^([0-9A-F]{24})(?:$|[-.])")


def seg_range(first: str, last: str):
    tli = first[:8]
    a = int(first[8:16], 16) * 256 + int(first[16:24], 16)
    b = int(last[8:16], 16) * 256 + int(last[16:24], 16)
    return {f"{tli}{n // 256:08X}{n % 256:08X}" for n in range(a, b + 1)}


def names_file(root: str):
    out = []
    for d, _, files in os.walk(root):
        out += files
    return out


def names_s3(endpoint: str, bucket: str, prefix: str, delete: bool):
    import boto3
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"))
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys += [o["Key"] for o in page.get("Contents", [])]
    if delete:
        for i in range(0, len(keys), 1000):
            s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys[i:i + 1000]], "Quiet": True})
    return [k.rsplit("/", 1)[-1] for k in keys]


def main() -> None:
    args = [a for a in sys.argv[1:] if a != "--delete"]
    delete = "--delete" in sys.argv
    if args[0] == "file":
        _, root, first, last = args
        names = names_file(root) if os.path.isdir(root) else []
        if delete:
            shutil.rmtree(root, ignore_errors=True)
    else:
        _, endpoint, bucket, prefix, first, last = args
        names = names_s3(endpoint, bucket, prefix, delete)
    count = collections.Counter(m.group(1) for m in map(SEG.match, names) if m)
    want = seg_range(first, last) if first and last and first <= last else set()
    missing = len(want - set(count))
    dups = sum(1 for n in count.values() if n > 1)
    print(f"stored={len(count)} missing={missing} dups={dups}")


if __name__ == "__main__":
    main()
