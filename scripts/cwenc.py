#!/usr/bin/env python3
"""A second, independent implementation of cloud-wal's encrypted object format, version 1
(docs/encryption-format.md), with Python's `cryptography` package.

    cwenc.py decrypt KEYRING IDENTITY < object > plain     # keyring-mode objects
    cwenc.py vector                                        # prints the documented known-answer vector

For disaster recovery without cloud-wal, and to check the format's description: the unit tests'
known-answer vectors were computed with this file.
"""
import base64
import hashlib
import struct
import sys

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MAGIC = b"CWENC\r\n\x1a"
TAG = 16
TRAILER = 40


def nonce(index, final):
    return struct.pack(">Q", index) + b"\x00\x00\x00" + (b"\x01" if final else b"\x00")


def header_bytes(key_name, salt, chunk_size):
    name = key_name.encode()
    return MAGIC + bytes([1, 1, len(name)]) + name + salt + struct.pack(">I", chunk_size)


def object_key(keyring_key, salt, identity):
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt,
                info=b"cloud-wal v1" + identity.encode()).derive(keyring_key)


def encrypt(keyring_key, key_name, salt, identity, content, chunk_size=65536):
    header = header_bytes(key_name, salt, chunk_size)
    aead = AESGCM(object_key(keyring_key, salt, identity))
    ad = hashlib.sha256(header).digest() + identity.encode()
    out = bytearray(header)
    full = len(content) // chunk_size
    for index in range(full):
        out += aead.encrypt(nonce(index, False), content[index * chunk_size:(index + 1) * chunk_size], ad)
    last = content[full * chunk_size:] + hashlib.sha256(content).digest() + struct.pack(">Q", len(content))
    out += aead.encrypt(nonce(full, True), last, ad)
    return bytes(out)


def parse_header(data):
    if data[:8] != MAGIC:
        raise ValueError("not an encrypted object")
    if data[8] != 1:
        raise ValueError("unsupported encryption format version %d" % data[8])
    if data[9] != 1:
        raise ValueError("only keyring-mode objects are supported here")
    name_length = data[10]
    name = data[11:11 + name_length].decode()
    offset = 11 + name_length
    salt = data[offset:offset + 32]
    (chunk_size,) = struct.unpack(">I", data[offset + 32:offset + 36])
    return name, salt, chunk_size, offset + 36


def decrypt(keyring, identity, data):
    """Returns the stream's plaintext and the trailer (SHA-256, size) of the content."""
    name, salt, chunk_size, length = parse_header(data)
    aead = AESGCM(object_key(keyring[name], salt, identity))
    ad = hashlib.sha256(data[:length]).digest() + identity.encode()
    body = data[length:]
    record = chunk_size + TAG
    max_final = chunk_size - 1 + TRAILER + TAG
    plain = bytearray()
    index = 0
    while len(body) > max_final:
        plain += aead.decrypt(nonce(index, False), body[:record], ad)
        body = body[record:]
        index += 1
    if len(body) < TRAILER + TAG:
        raise ValueError("truncated")
    last = aead.decrypt(nonce(index, True), body, ad)
    plain += last[:-TRAILER]
    return bytes(plain), last[-TRAILER:-8], struct.unpack(">Q", last[-8:])[0]


def read_keyring(path):
    keys = {}
    lines = [l.split() for l in open(path) if l.strip() and not l.startswith("#")]
    assert lines[0] == ["cloud-wal-keyring", "1"], "not a version 1 keyring"
    for name, key in lines[1:]:
        keys[name] = base64.b64decode(key, validate=True)
    return keys


VECTOR = dict(keyring_key=bytes(range(32)), key_name="k1", salt=bytes(range(32, 64)),
              identity="wal/pg1/000000010000000000000001", content=b"cloud-wal known answer",
              chunk_size=4096)


def main():
    if sys.argv[1:2] == ["vector"]:
        print(encrypt(**VECTOR).hex())
        big = bytes((i * 7 + 3) % 251 for i in range(4096 * 2 + 100))
        print(hashlib.sha256(encrypt(**dict(VECTOR, content=big))).hexdigest())
    elif sys.argv[1:2] == ["decrypt"] and len(sys.argv) == 4:
        plain, sha256, size = decrypt(read_keyring(sys.argv[2]), sys.argv[3], sys.stdin.buffer.read())
        sys.stdout.buffer.write(plain)
        print("content SHA-256 %s, %d bytes (before decompression)" % (sha256.hex(), size), file=sys.stderr)
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(3)


if __name__ == "__main__":
    main()
