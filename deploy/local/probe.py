#!/usr/bin/env python3
"""Readiness probes for the local engines, using only the standard library.

    probe.py kafka HOST:PORT    Kafka Metadata v4 request; ready when a broker is listed
    probe.py mongo HOST:PORT    OP_MSG {ping: 1} on admin; ready when ok == 1
    probe.py http  URL          HTTP GET; ready on a 2xx answer
    probe.py http-any URL       HTTP GET; ready on any HTTP answer (s3proxy: 403 for GET /)

Exit status 0 when the engine answered as expected, 1 otherwise (reason on stderr).
"""

from __future__ import annotations

import socket
import struct
import sys
import urllib.error
import urllib.request

TIMEOUT = 3.0


def _split(addr: str) -> tuple[str, int]:
    host, _, port = addr.rpartition(":")
    return host, int(port)


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("connection closed")
        buf += chunk
    return bytes(buf)


def kafka(addr: str) -> str:
    # Request header v1 (api_key, api_version, correlation_id, client_id) + Metadata v4 body
    # (topics = null -> all, allow_auto_topic_creation = false). Kafka 4.x dropped Metadata v0-v3.
    client_id = b"engines-probe"
    body = struct.pack(">hhih", 3, 4, 7, len(client_id)) + client_id
    body += struct.pack(">i?", -1, False)
    with socket.create_connection(_split(addr), timeout=TIMEOUT) as s:
        s.sendall(struct.pack(">i", len(body)) + body)
        (size,) = struct.unpack(">i", _recv_exact(s, 4))
        resp = _recv_exact(s, size)
    correlation_id, _throttle, n_brokers = struct.unpack_from(">iii", resp, 0)
    if correlation_id != 7:
        raise RuntimeError(f"unexpected correlation id {correlation_id}")
    if n_brokers < 1:
        raise RuntimeError("metadata lists no broker yet")
    node_id, host_len = struct.unpack_from(">ih", resp, 12)
    host = resp[18 : 18 + host_len].decode()
    (port,) = struct.unpack_from(">i", resp, 18 + host_len)
    return f"metadata ok: {n_brokers} broker(s), node {node_id} at {host}:{port}"


def _bson_doc(items: list[tuple[str, object]]) -> bytes:
    out = bytearray()
    for key, value in items:
        k = key.encode() + b"\x00"
        if isinstance(value, int):
            out += b"\x10" + k + struct.pack("<i", value)
        elif isinstance(value, str):
            v = value.encode() + b"\x00"
            out += b"\x02" + k + struct.pack("<i", len(v)) + v
        else:
            raise TypeError(type(value))
    return struct.pack("<i", len(out) + 5) + bytes(out) + b"\x00"


def _bson_ok(doc: bytes) -> float | None:
    """Return the top-level `ok` field of a BSON document (only scalar types are walked)."""
    i, end = 4, len(doc) - 1
    while i < end:
        t = doc[i]
        z = doc.index(b"\x00", i + 1)
        name = doc[i + 1 : z].decode()
        i = z + 1
        if t == 0x01:
            val: object = struct.unpack_from("<d", doc, i)[0]
            i += 8
        elif t == 0x10:
            val = struct.unpack_from("<i", doc, i)[0]
            i += 4
        elif t in (0x09, 0x11, 0x12):
            val = struct.unpack_from("<q", doc, i)[0]
            i += 8
        elif t == 0x08:
            val = doc[i]
            i += 1
        elif t == 0x0A:
            val = None
        elif t in (0x02, 0x0D, 0x0E):
            (n,) = struct.unpack_from("<i", doc, i)
            val = None
            i += 4 + n
        elif t in (0x03, 0x04):
            (n,) = struct.unpack_from("<i", doc, i)
            val = None
            i += n
        elif t == 0x05:
            (n,) = struct.unpack_from("<i", doc, i)
            val = None
            i += 5 + n
        elif t == 0x07:
            val = None
            i += 12
        elif t == 0x13:
            val = None
            i += 16
        else:
            return None
        if name == "ok":
            return float(val) if isinstance(val, (int, float)) else None
    return None


def mongo(addr: str) -> str:
    doc = _bson_doc([("ping", 1), ("$db", "admin")])
    payload = struct.pack("<I", 0) + b"\x00" + doc  # flagBits, section kind 0, body
    header = struct.pack("<iiii", 16 + len(payload), 1, 0, 2013)  # OP_MSG
    with socket.create_connection(_split(addr), timeout=TIMEOUT) as s:
        s.sendall(header + payload)
        (length,) = struct.unpack("<i", _recv_exact(s, 4))
        rest = _recv_exact(s, length - 4)
    _req, _resp_to, opcode = struct.unpack_from("<iii", rest, 0)
    if opcode != 2013:
        raise RuntimeError(f"unexpected opcode {opcode}")
    if rest[16] != 0:
        raise RuntimeError("unexpected OP_MSG section kind")
    (doc_len,) = struct.unpack_from("<i", rest, 17)
    ok = _bson_ok(rest[17 : 17 + doc_len])
    if ok != 1.0:
        raise RuntimeError(f"ping answered ok={ok}")
    return "ping ok"


def _get(url: str, *, any_status: bool) -> str:
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"not an http(s) URL: {url}")
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as resp:  # noqa: S310 - scheme checked
            return f"HTTP {resp.status}"
    except urllib.error.HTTPError as exc:
        if any_status:
            return f"HTTP {exc.code}"
        raise RuntimeError(f"HTTP {exc.code}") from None


def http(url: str) -> str:
    return _get(url, any_status=False)


def http_any(url: str) -> str:
    """Any HTTP answer counts (s3proxy answers an anonymous GET / with 403)."""
    return _get(url, any_status=True)


PROBES = {"kafka": kafka, "mongo": mongo, "http": http, "http-any": http_any}


def main(argv: list[str]) -> int:
    if len(argv) != 3 or argv[1] not in PROBES:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        msg = PROBES[argv[1]](argv[2])
    except Exception as exc:  # any failure means "not ready"
        print(f"{argv[1]} {argv[2]}: not ready: {exc}", file=sys.stderr)
        return 1
    print(f"{argv[1]} {argv[2]}: {msg}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
