#!/usr/bin/env python3
"""Writes the seed corpus of the parser fuzz targets (Tests/Fuzz/corpus/<target>/).

Seeds are real inputs: WAL names as PostgreSQL writes them, URLs as barman-cloud takes them,
tars made by GNU tar and by Python's tarfile (what barman-cloud writes), hostile tars that try
to leave the extraction root, and barman's backup.info. The tars our own writer makes are added
by `scripts/fuzz.sh --writer-seeds` (Tests/Fuzz/Harness/WriterSeeds.swift). Re-running this
rewrites the same files; inputs a fuzzer found (named found-*) are never touched.
"""
import io
import os
import subprocess
import sys
import tarfile
import tempfile

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fuzz", "corpus")


def put(target, name, data):
    folder = os.path.join(ROOT, target)
    os.makedirs(folder, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


WAL_NAMES = {
    "segment": "000000010000000000000001",
    "segment-upper": "00000001000000A2000000FF",
    "segment-lower": "0000000100000000000000ab",
    "segment-max": "FFFFFFFFFFFFFFFFFFFFFFFF",
    "partial": "000000020000000100000002.partial",
    "backup-label": "000000010000000000000002.00000028.backup",
    "history": "00000002.history",
    "short": "00000001000000000000001",
    "compressed-suffix": "000000010000000000000001.gz",
    "traversal": "../000000010000000000000001",
    "with-slash": "00000001/0000000000000001",
    "recoveryxlog": "RECOVERYXLOG",
    "history-bad": "0000000G.history",
    "lsn": "16/B374D848",
    "lsn-start": "0/1000028",
    "lsn-max": "FFFFFFFF/FFFFFFFF",
    "lsn-overflow": "100000000/0",
}

URLS = {
    "s3": "s3://bucket/path/to/dir",
    "s3-bare": "s3://my-bucket",
    "s3-dots": "s3://bucket.with.dots/prefix/",
    "s3-credentials": "s3://user:pw@bucket/x",
    "s3-no-bucket": "s3:///nobucket",
    "s3-upper": "S3://UPPER_CASE/x",
    "gs": "gs://bucket/path/",
    "gs-console": "https://console.cloud.google.com/storage/browser/bucket/path/to",
    "azure": "https://account.blob.core.windows.net/container/path",
    "azure-no-container": "https://account.blob.core.windows.net/",
    "azurite": "http://127.0.0.1:10000/devstoreaccount1/container/path",
    "file": "file:///var/lib/wal",
    "file-localhost-escaped": "file://localhost/srv/wal%20archive/",
    "file-bad-escape": "file:///srv/%zz",
    "file-relative": "file://relative/path",
    "no-scheme": "bucket/path",
    "connection-string": "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=c2VjcmV0a2V5c2VjcmV0a2V5;EndpointSuffix=core.windows.net",
    "connection-string-dev": "UseDevelopmentStorage=true",
    "connection-string-sas": "BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1/;SharedAccessSignature=?sv=2021-08-06&ss=b&sig=abcdefghijklmnop",
    "connection-string-key-only": "AccountKey=c2VjcmV0a2V5c2VjcmV0a2V5;BlobEndpoint=https://x.blob.core.windows.net",
}

TAGS = {
    "pair": "env,prod",
    "pair-spaces": " key with spaces , value ",
    "pair-symbols": "a:b/c=d+e-f@g,h_i.j",
    "reserved": "aws:reserved,x",
    "csv-quoted": '"b,az",qux',
    "csv-quote-doubled": '"say ""hi""",there',
    "csv-three": "a,b,c",
    "csv-unterminated": '"unterminated,x',
    "empty-value": "k,",
    "empty-key": ",v",
    "newline": "k,v\nw",
    "long-key": "k" * 129 + ",v",
    "unicode": "clé,valeur",
}

SIZES = {
    "mb": "4MB",
    "bytes": "1024",
    "mib": "64 MiB",
    "gib": "2GiB",
    "terabyte": "1T",
    "zero": "0",
    "negative": "-1",
    "int-max": "9223372036854775807",
    "overflow": "9999999999999TB",
    "blanks": " 8 kb ",
    "fraction": "1.5MB",
    "unknown-unit": "3 parsecs",
}

LITERALS = {
    "none": "None",
    "tablespaces": "[('pg_default', 1663, '/var/lib/pg'), (\"it's\", 16386, '/srv/q')]",
    "copy-stats": "{'total_time': 1.5, 'number_of_workers': 2, 'analysis_time': 0.0}",
    "mixed": "{'a': [1, -2, 2.5e-05, None, True, False], ('t',): (1,), 'b': {}}",
    "label": "'START WAL LOCATION: 0/5000028 (file 000000010000000000000005)\\nCHECKPOINT LOCATION: 0/5000060\\nLABEL: x\\n'",
    "escapes": "'\\x00\\t\\r\\\\\\'\\u00e9\\U0001F600\\q'",
    "unclosed": "[1, 2",
    "nested": "[[[[[[[[[[1]]]]]]]]]]",
    "trailing": "1 2",
    "float-forms": "[1e16, -0.0, 3.141592653589793, 1.7976931348623157e+308]",
}

BARMAN_INFO = """backup_label='START WAL LOCATION: 0/5000028 (file 000000010000000000000005)\\nCHECKPOINT LOCATION: 0/5000060\\nBACKUP METHOD: streamed\\nBACKUP FROM: primary\\nSTART TIME: 2026-11-22 04:03:02 UTC\\nLABEL: Barman backup cloud 20261122T040302\\nSTART TIMELINE: 1\\n'
backup_name=nightly
begin_offset=40
begin_time=2026-11-22 04:03:02.468183+00:00
begin_wal=000000010000000000000005
begin_xlog=0/5000028
children_backup_ids=None
cluster_size=26787529
compression=None
config_file=/var/lib/postgresql/15/main/postgresql.conf
copy_stats={'total_time': 1.5, 'number_of_workers': 2}
data_checksums=on
deduplicated_size=3500503
encryption=None
end_offset=256
end_time=2026-11-22 04:03:02.906322+00:00
end_wal=000000010000000000000005
end_xlog=0/5000100
error=None
hba_file=/etc/postgresql/15/main/pg_hba.conf
ident_file=/etc/postgresql/15/main/pg_ident.conf
included_files=None
mode=concurrent
parent_backup_id=None
pgdata=/var/lib/postgresql/15/main
server_name=cloud
size=3500503
status=DONE
summarize_wal=None
systemid=7710841060650207690
tablespaces=[('tbs1', 16385, '/srv/tbs1'), ("it's", 16386, '/srv/q')]
timeline=1
version=150018
xlog_segment_size=16777216
"""

BACKUP_INFOS = {
    "barman-done": BARMAN_INFO,
    "barman-failed": BARMAN_INFO.replace("status=DONE", "status=FAILED").replace("error=None", "error=failure uploading data (connection reset)"),
    "started-minimal": "# written by cloud-wal\nstatus=STARTED\nbegin_time=2026-01-01 00:00:00+02:00\n",
    "keep": "status=DONE\nbackup-keep=full\nbackup_label=None\ntablespaces=None\n",
    "unknown-status": "status=WEIRD\n",
    "no-equals": "status=DONE\njust text\n",
    "crlf": "status=DONE\r\ntimeline=2\r\n",
}


def gnu_tar_seeds():
    """Tars from GNU tar itself, in each of its formats, one record per block (-b1)."""
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "pgdata")
        os.makedirs(os.path.join(src, "base", "1"))
        with open(os.path.join(src, "PG_VERSION"), "w") as f:
            f.write("15\n")
        with open(os.path.join(src, "base", "1", "1259"), "wb") as f:
            f.write(bytes(range(256)) * 2 + b"x")  # 513 bytes: content padding
        open(os.path.join(src, "empty"), "w").close()
        long_dir = os.path.join(src, "d" * 60, "e" * 60)
        os.makedirs(long_dir)
        with open(os.path.join(long_dir, "f" * 90), "w") as f:
            f.write("long name\n")
        os.symlink("/srv/tbs1", os.path.join(src, "tbs-link"))
        os.link(os.path.join(src, "PG_VERSION"), os.path.join(src, "hardlink"))
        for fmt in ["ustar", "gnu", "oldgnu", "pax", "v7"]:
            out = os.path.join(tmp, fmt + ".tar")
            args = ["tar", "--format=" + fmt, "-b1", "--owner=postgres:101", "--group=postgres:102",
                    "--mtime=@1700000000", "--sort=name", "-cf", out, "-C", src, "."]
            if subprocess.run(args, capture_output=True).returncode != 0:
                continue  # v7 and ustar refuse the 210-byte name; they still seed the fuzzer below
            with open(out, "rb") as f:
                put("tar", "gnu-tar-" + fmt, f.read())
        # A short name in every format, so v7 and ustar are represented too.
        for fmt in ["ustar", "v7"]:
            out = os.path.join(tmp, fmt + "-short.tar")
            subprocess.run(["tar", "--format=" + fmt, "-b1", "--mtime=@1700000000", "-cf", out, "-C", src,
                            "PG_VERSION", "base", "tbs-link", "hardlink"], check=True, capture_output=True)
            with open(out, "rb") as f:
                put("tar", "gnu-tar-" + fmt + "-short", f.read())


def tarfile_bytes(members, fmt=tarfile.PAX_FORMAT, pax_headers=None):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=fmt, pax_headers=pax_headers or {}) as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return buffer.getvalue()


def member(name, kind=tarfile.REGTYPE, data=None, link="", mode=0o644):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.mode = mode
    info.mtime = 1700000000
    info.linkname = link
    if data is not None:
        info.size = len(data)
    return info, data


def python_tar_seeds():
    """What barman-cloud's tarfile writes, and hostile archives aimed at the extraction root."""
    put("tar", "tarfile-pax-global", tarfile_bytes(
        [member("./", tarfile.DIRTYPE, mode=0o700), member("global/pg_control", data=b"\x01" * 600),
         member("p" * 150 + "/x", data=b"long")], pax_headers={"comment": "barman"}))
    put("tar", "tarfile-gnu-longlink", tarfile_bytes(
        [member("l" * 120, tarfile.SYMTYPE, link="t" * 130), member("n" * 120, data=b"n")], fmt=tarfile.GNU_FORMAT))
    hostile = {
        "hostile-dotdot": [member("../outside/victim", data=b"owned\n")],
        "hostile-absolute": [member("/tmp/cloud-wal-fuzz-absolute", data=b"owned\n")],
        "hostile-symlink-then-file": [member("link", tarfile.SYMTYPE, link="../outside"),
                                      member("link/victim", data=b"owned\n")],
        "hostile-preexisting-symlink": [member("preexisting/victim", data=b"owned\n"),
                                        member("planted", data=b"owned\n")],
        "hostile-hardlink-out": [member("h", tarfile.LNKTYPE, link="../outside/victim")],
        "hostile-hardlink-through-symlink": [member("h", tarfile.LNKTYPE, link="preexisting/victim")],
        "hostile-dir-then-symlink": [member("d", tarfile.DIRTYPE), member("d", tarfile.SYMTYPE, link="../outside"),
                                     member("d/victim", data=b"owned\n")],
        "hostile-dot-components": [member("./a/./../../outside/victim", data=b"owned\n")],
        "hostile-pax-path": [member("x", data=b"owned\n")],
    }
    for name, members in hostile.items():
        if name == "hostile-pax-path":
            # A harmless ustar name, overridden by a pax `path` that climbs out.
            info, payload = member("ok", data=b"owned\n")
            info.pax_headers = {"path": "../outside/victim"}
            members = [(info, payload)]
        data = tarfile_bytes(members)
        put("tar", name, data)
    # The root directory member barman writes first, with its mode.
    put("tar", "tarfile-root-dir", tarfile_bytes([member(".", tarfile.DIRTYPE, mode=0o700),
                                                  member("./sub", tarfile.DIRTYPE, mode=0o500)]))


def main():
    for name, text in WAL_NAMES.items():
        put("wal-name", name, text)
    for name, text in URLS.items():
        put("storage-url", name, text)
    for name, text in TAGS.items():
        put("tag", name, text)
    for name, text in SIZES.items():
        put("size", name, text)
    for name, text in LITERALS.items():
        put("python-literal", name, text)
    for name, text in BACKUP_INFOS.items():
        put("backup-info", name, text)
    gnu_tar_seeds()
    python_tar_seeds()


if __name__ == "__main__":
    sys.exit(main())
