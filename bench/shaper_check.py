#!/usr/bin/env python3
"""bench/shaper_check.py — raw ceiling of bench/shaper.py: N streams of M MiB each into a byte sink,
directly and through a pass-through shaper (no delay, no cap), and through a shaped one.

    shaper_check.py [N] [MIB]      # prints TSV lines: `raw<TAB>path<TAB>upload<TAB>seconds<TAB>MiB/s`

The sink and the senders are Python threads in this process, so the figure is a lower bound of what
the proxy passes (they compete with it for the same two cores). The S3 figures (curl PUT/GET of
16 MiB objects) are taken by bench/storm.sh itself.
"""
import os
import socket
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def sink_server():
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(64)

    def serve():
        while True:
            c, _ = srv.accept()

            def drain(c=c):
                while c.recv(1 << 20):
                    pass
                c.sendall(b"k")
                c.close()
            threading.Thread(target=drain, daemon=True).start()
    threading.Thread(target=serve, daemon=True).start()
    return srv.getsockname()[1]


def blast(port: int, n: int, mib: int) -> float:
    buf = b"\0" * (1 << 20)

    def send():
        s = socket.create_connection(("127.0.0.1", port))
        for _ in range(mib):
            s.sendall(buf)
        s.shutdown(socket.SHUT_WR)
        s.recv(1)
        s.close()
    t = time.monotonic()
    ts = [threading.Thread(target=send) for _ in range(n)]
    for x in ts:
        x.start()
    for x in ts:
        x.join()
    return time.monotonic() - t


def shaper(upstream: int, *opts: str):
    p = subprocess.Popen([sys.executable, os.path.join(HERE, "shaper.py"), "--upstream", f"127.0.0.1:{upstream}", *opts],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    port = int(p.stdout.readline().split()[1])
    return p, port


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 8
    mib = int(sys.argv[2]) if len(sys.argv) > 2 else 64
    sink = sink_server()
    rows = [("direct", sink, None)]
    p0, port0 = shaper(sink, "--rtt-ms", "0", "--rate-mibps", "0")
    rows.append(("pass-through", port0, p0))
    shaped = [a for a in sys.argv[3:]] or ["--rtt-ms", "30", "--rate-mibps", "50"]
    p1, port1 = shaper(sink, *shaped)
    rows.append((f"shaped {' '.join(shaped)}", port1, p1))
    try:
        for name, port, _ in rows:
            secs = blast(port, n, mib)
            print(f"raw\t{name} x{n}\tupload\t{secs:.3f}\t{n * mib / secs:.0f}", flush=True)
    finally:
        for _, _, p in rows:
            if p is not None:
                p.terminate()
                p.wait()


if __name__ == "__main__":
    main()
