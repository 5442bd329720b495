"""The local engine's cluster DNS: answers every query at once, with NXDOMAIN.

kind runs CoreDNS, so a Pod that looks up a name nobody serves (a container name used as a
host name, the chapters' classic mistake) gets "bad address" at once. Without any DNS server
the same lookup would hang until the resolver times out, and the learner would read a
timeout instead of the real mistake. The course's Pods talk over localhost and Pod IPs only,
so the local engine needs no records, just the same quick "no such name". Run as
`python -m course.cluster.local.dns HOST PORT`; it serves UDP and TCP until terminated.
"""

from __future__ import annotations

import socket
import struct
import sys
import threading

NXDOMAIN = 3
SERVFAIL = 2


def answer(query: bytes) -> bytes | None:
    """The reply to one DNS message: the question echoed with NXDOMAIN; None for garbage."""
    if len(query) < 12:
        return None
    ident, flags, qdcount = struct.unpack("!HHH", query[:6])
    if flags & 0x8000:  # a response, not a query
        return None
    opcode = (flags >> 11) & 0xF
    rd = flags & 0x0100
    # Find the end of the first question so it can be echoed back.
    pos = 12
    end = None
    if qdcount >= 1:
        while pos < len(query):
            length = query[pos]
            if length == 0:
                end = pos + 5  # the zero byte, QTYPE, QCLASS
                break
            if length & 0xC0:  # no compression in a question we accept
                break
            pos += 1 + length
    rcode = NXDOMAIN if opcode == 0 and end is not None and end <= len(query) else SERVFAIL
    question = query[12:end] if rcode == NXDOMAIN and end is not None else b""
    reply_flags = 0x8000 | (opcode << 11) | 0x0400 | rd | 0x0080 | rcode  # QR, AA, RD as asked, RA
    return struct.pack("!HHHHHH", ident, reply_flags, 1 if question else 0, 0, 0, 0) + question


def _serve_udp(sock: socket.socket) -> None:
    while True:
        data, peer = sock.recvfrom(4096)
        reply = answer(data)
        if reply is not None:
            sock.sendto(reply, peer)


def _serve_tcp_client(conn: socket.socket) -> None:
    with conn:
        conn.settimeout(5)
        try:
            head = conn.recv(2)
            if len(head) < 2:
                return
            (length,) = struct.unpack("!H", head)
            data = b""
            while len(data) < length:
                chunk = conn.recv(length - len(data))
                if not chunk:
                    return
                data += chunk
            reply = answer(data)
            if reply is not None:
                conn.sendall(struct.pack("!H", len(reply)) + reply)
        except OSError:
            return


def _serve_tcp(sock: socket.socket) -> None:
    while True:
        conn, _ = sock.accept()
        threading.Thread(target=_serve_tcp_client, args=(conn,), daemon=True).start()


def serve(host: str, port: int) -> None:
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    udp.bind((host, port))
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    tcp.bind((host, port))
    tcp.listen(64)
    threading.Thread(target=_serve_tcp, args=(tcp,), daemon=True).start()
    _serve_udp(udp)


if __name__ == "__main__":  # pragma: no cover - run as a process by the engine
    serve(sys.argv[1], int(sys.argv[2]))
