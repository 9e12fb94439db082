#!/usr/bin/env python3
"""bench/shaper.py — a simulated cloud link on loopback: a TCP proxy that adds latency and caps bandwidth.

    shaper.py --upstream 127.0.0.1:9000 [--listen-port 0] [--rtt-ms 30] [--rate-mibps 50]
              [--tls-cert C --tls-key K] [--port-file F]

Plain TCP (the HTTP bytes pass untouched, so the Host header and SigV4 signatures stay valid). The
link model, per connection and per direction:

- Propagation: every chunk read from one side is delivered to the other RTT/2 after it was read.
  Delivery is pipelined (a queue, not a sleep in the read loop), so a request/response turn costs one
  RTT while a long body still streams at the capped rate, as on a real path with a large TCP window.
- Connection set-up: nothing flows before one RTT after accept (the TCP handshake), plus one more
  with --tls (a TLS 1.3 handshake to a real store), so a tool that opens a connection per call pays
  for it as it would against S3 seen from a VM.
- Bandwidth: a token bucket (--rate-mibps, burst --burst-kib) per connection and direction, so the
  link's limit is connections x cap.
- In flight: at most --buffer-mib per direction are queued (the window); the reader stops reading
  when it is full, which pushes back on the sender through TCP.

--rtt-ms 0 --rate-mibps 0 forwards without shaping (the pass-through used to show that the proxy is
not the bottleneck). --tls terminates TLS on the listening side (self-signed certificate; clients
must not verify) and talks plain HTTP upstream: pgBackRest only speaks HTTPS to S3.

Standard library only. Prints `port N` on stdout (and writes N to --port-file) once listening; stops
on SIGTERM/SIGINT. Counters (connections, bytes each way) go to stderr at exit.
"""
import argparse
import asyncio
import collections
import os
import signal
import ssl
import sys
import time

CHUNK = 256 * 1024
EOF_MARK = b""


class Stats:
    conns = 0
    active = 0
    peak_active = 0
    up = 0
    down = 0


class Half:
    """One direction of one connection: bytes read from `src` are written to `dst` on schedule.

    Each chunk's send time is max(read time + one_way, not_before, the token bucket's release time);
    send times never decrease, and one timer drains a FIFO, so bytes are never reordered.
    The bucket is GCRA (a token bucket in virtual time): `rate` bytes/s, `burst` bytes of credit.
    """

    def __init__(self, loop, one_way, not_before, rate, burst, window, name):
        self.loop, self.one_way, self.not_before = loop, one_way, not_before
        self.rate, self.burst_t = rate, (burst / rate if rate > 0 else 0.0)
        self.window, self.name = window, name
        self.src = None  # transport we read from
        self.dst = None  # transport we write to (None until the upstream connection is up)
        self.fifo = collections.deque()
        self.queued = 0
        self.tat = 0.0
        self.timer = None
        self.paused = False
        self.done = False  # EOF delivered
        self.peer = None  # the other Half
        self.on_done = None

    def data(self, data: bytes) -> None:
        now = time.monotonic()
        due = max(now + self.one_way, self.not_before)
        if self.rate > 0 and data:
            tat = max(self.tat, due)
            cost = len(data) / self.rate
            due = max(due, tat + cost - self.burst_t)
            self.tat = tat + cost
        if self.fifo:
            due = max(due, self.fifo[-1][0])
        if not self.fifo and self.dst is not None and due <= now and data:
            self._write(data)  # pass-through fast path
        else:
            self.fifo.append((due, data))
            self.queued += len(data)
            self._arm()
        self._flow()

    def _write(self, data: bytes) -> None:
        self.dst.write(data)
        if self.name == "up":
            Stats.up += len(data)
        else:
            Stats.down += len(data)

    def _arm(self) -> None:
        if self.timer is None and self.fifo and self.dst is not None:
            self.timer = self.loop.call_at(self._loop_time(self.fifo[0][0]), self.flush)

    def _loop_time(self, mono: float) -> float:
        return self.loop.time() + (mono - time.monotonic())

    def flush(self) -> None:
        self.timer = None
        if self.dst is None:
            return
        now = time.monotonic()
        while self.fifo and self.fifo[0][0] <= now + 0.0005:
            _, data = self.fifo.popleft()
            self.queued -= len(data)
            if data is EOF_MARK or not data:
                self._eof()
                return
            if self.dst.is_closing():
                continue
            self._write(data)
        self._arm()
        self._flow()

    def _eof(self) -> None:
        self.fifo.clear()
        self.done = True
        try:
            if self.dst.can_write_eof() and not (self.peer and self.peer.done):
                self.dst.write_eof()
            else:
                self.dst.close()
        except (OSError, RuntimeError):
            self.dst.close()
        if self.on_done:
            self.on_done()

    def _flow(self) -> None:
        """Back-pressure: stop reading the source while more than the window is in flight."""
        if self.src is None:
            return
        inflight = self.queued + (self.dst.get_write_buffer_size() if self.dst else 0)
        if not self.paused and inflight > self.window:
            self.paused = True
            self.src.pause_reading()
        elif self.paused and inflight <= self.window // 2:
            self.paused = False
            self.src.resume_reading()

    def eof(self) -> None:
        if self.done:
            return
        self.data(EOF_MARK)


def big_reads(transport) -> None:
    """asyncio reads at most 256 KiB per recv(); 1 MiB halves the proxy's per-byte CPU on bulk bodies."""
    inner = getattr(transport, "_ssl_protocol", None)
    raw = inner._transport if inner is not None else transport  # TLS: the socket transport under it
    if hasattr(raw, "max_size"):
        raw.max_size = CHUNK * 4


class Side(asyncio.Protocol):
    """A transport's protocol: what it reads goes into `out`; `inn` is the Half that writes to it."""

    def __init__(self):
        self.out = None
        self.inn = None
        self.transport = None

    def data_received(self, data):
        self.out.data(data)

    def eof_received(self):
        self.out.eof()
        return True  # keep the write side open (half-close); SSL ignores this and closes

    def connection_lost(self, exc):
        if self.out is not None:
            self.out.eof()
        if self.inn is not None and exc is not None:
            self.inn.fifo.clear()

    def pause_writing(self):
        pass

    def resume_writing(self):
        if self.inn is not None:
            self.inn._flow()


class Client(Side):
    def __init__(self, args):
        super().__init__()
        self.args = args

    def connection_made(self, transport):
        Stats.conns += 1
        Stats.active += 1
        Stats.peak_active = max(Stats.peak_active, Stats.active)
        self.transport = transport
        a = self.args
        loop = asyncio.get_running_loop()
        rtt = a.rtt_ms / 1000.0
        # Nothing flows before the handshake would be over (TCP, plus TLS 1.3 with --tls).
        not_before = time.monotonic() + rtt * (2 if a.tls_cert else 1)
        rate = a.rate_mibps * 2**20
        window = int(a.buffer_mib * 2**20)
        self.out = Half(loop, rtt / 2, not_before, rate, a.burst_kib * 1024, window, "up")
        self.inn = Half(loop, rtt / 2, not_before, rate, a.burst_kib * 1024, window, "down")
        self.out.peer, self.inn.peer = self.inn, self.out
        self.out.src = transport
        self.inn.dst = transport
        transport.set_write_buffer_limits(high=1 << 20)
        big_reads(transport)
        closed = {"n": 0}

        def half_done():
            closed["n"] += 1
            if closed["n"] == 2:
                transport.close()
                if self.out.dst is not None:
                    self.out.dst.close()
        self.out.on_done = self.inn.on_done = half_done
        loop.create_task(self._connect(loop))

    async def _connect(self, loop):
        a = self.args
        try:
            up = Side()
            up.out, up.inn = self.inn, self.out
            tr, _ = await loop.create_connection(lambda: up, a.up_host, a.up_port)
        except OSError as e:
            print(f"shaper: upstream: {e}", file=sys.stderr)
            self.transport.close()
            return
        tr.set_write_buffer_limits(high=1 << 20)
        big_reads(tr)
        self.inn.src = tr
        self.out.dst = tr
        self.out._arm()
        self.out.flush()

    def connection_lost(self, exc):
        Stats.active -= 1
        super().connection_lost(exc)


async def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--upstream", required=True, help="HOST:PORT of the real server")
    p.add_argument("--listen-host", default="127.0.0.1")
    p.add_argument("--listen-port", type=int, default=0)
    p.add_argument("--rtt-ms", type=float, default=30.0)
    p.add_argument("--rate-mibps", type=float, default=50.0, help="per connection and direction; 0 = no cap")
    p.add_argument("--burst-kib", type=int, default=256)
    p.add_argument("--buffer-mib", type=float, default=8.0, help="bytes in flight per direction")
    p.add_argument("--tls-cert")
    p.add_argument("--tls-key")
    p.add_argument("--port-file")
    args = p.parse_args()
    args.up_host, _, port = args.upstream.rpartition(":")
    args.up_port = int(port)

    ctx = None
    if args.tls_cert:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)

    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: Client(args), args.listen_host, args.listen_port,
                                      ssl=ctx, backlog=256)
    port = server.sockets[0].getsockname()[1]
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write(f"{port}\n")
        os.replace(args.port_file + ".tmp", args.port_file)
    print(f"port {port}", flush=True)

    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()
    print(f"shaper: {Stats.conns} connections (peak {Stats.peak_active} at once), "
          f"{Stats.up / 2**20:.0f} MiB up, {Stats.down / 2**20:.0f} MiB down", file=sys.stderr)


if __name__ == "__main__":
    asyncio.run(main())
