"""A /healthz prober in a process of its own, so that its timings are free of the test's load.

`python -m tests.serve.probe PORT SOURCE PID`: from the loopback address SOURCE, on one
keep-alive connection, GET /healthz every 50 ms and read the RSS of process PID, until its
standard input closes. It prints `ready` once the first answer is in, and at the end
`{"latencies_s", "statuses", "rss_mb"}` as one JSON line.
"""

from __future__ import annotations

import select
import socket
import sys
import time
from pathlib import Path

from eventstream import codec

INTERVAL_S = 0.05
REQUEST = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


def _answer(sock: socket.socket) -> int:
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    length = next(
        int(line.split(":", 1)[1]) for line in lines if line.lower().startswith("content-length")
    )
    while len(body) < length:
        body += sock.recv(65536)
    return int(lines[0].split(" ")[1])


def main(argv: list[str]) -> None:
    port, source, pid = int(argv[0]), argv[1], int(argv[2])
    latencies: list[float] = []
    statuses: list[int] = []
    rss: list[float] = []
    with socket.create_connection(("127.0.0.1", port), source_address=(source, 0)) as sock:
        while True:
            started = time.perf_counter()
            sock.sendall(REQUEST)
            statuses.append(_answer(sock))
            latencies.append(time.perf_counter() - started)
            rss.append(rss_mb(pid))
            if len(latencies) == 1:  # the first answer is in: the watch has begun
                sys.stdout.write("ready\n")
                sys.stdout.flush()
            readable, _, _ = select.select([sys.stdin], [], [], INTERVAL_S)
            if readable and not sys.stdin.read(1):
                break
    print(codec.dumps({"latencies_s": latencies, "statuses": statuses, "rss_mb": rss}).decode())


if __name__ == "__main__":
    main(sys.argv[1:])
