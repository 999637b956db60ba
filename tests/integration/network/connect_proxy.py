"""A small forwarding proxy for tests: CONNECT tunnels only, every request head logged.

It runs on 127.0.0.1 (a free port) in a thread of its own and records, for each client
connection, the request line, the header names, and every byte it forwarded, so a test
can show that the proxy saw only `CONNECT host:port` and never a token or a path.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field


@dataclass
class ProxyLog:
    request_lines: list[str] = field(default_factory=list)
    header_names: list[set[str]] = field(default_factory=list)
    tunnelled: bytearray = field(default_factory=bytearray)  # both directions


@dataclass
class RunningProxy:
    url: str
    log: ProxyLog


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, log: ProxyLog) -> None:
    try:
        while chunk := await reader.read(65536):
            log.tunnelled.extend(chunk)
            writer.write(chunk)
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        with suppress(ConnectionError, RuntimeError):
            writer.close()


async def _handle(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    *,
    log: ProxyLog,
    refuse: bool,
) -> None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
        writer.close()
        return
    lines = head.decode("latin-1").split("\r\n")
    log.request_lines.append(lines[0])
    log.header_names.append({line.split(":", 1)[0].lower() for line in lines[1:] if line})
    method, _, rest = lines[0].partition(" ")
    authority = rest.partition(" ")[0]
    if method != "CONNECT" or refuse:
        writer.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        await writer.drain()
        writer.close()
        return
    host, _, port = authority.rpartition(":")
    try:
        up_reader, up_writer = await asyncio.open_connection(host.strip("[]"), int(port))
    except (OSError, ValueError):
        writer.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        writer.close()
        return
    writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
    await writer.drain()
    await asyncio.gather(_pipe(reader, up_writer, log), _pipe(up_reader, writer, log))


@contextmanager
def run_connect_proxy(*, refuse: bool = False) -> Iterator[RunningProxy]:
    """Serve the proxy; `refuse` answers every CONNECT with 403 (a proxy policy)."""
    log = ProxyLog()
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="connect-proxy", daemon=True)
    thread.start()

    async def start() -> asyncio.Server:
        return await asyncio.start_server(
            lambda r, w: _handle(r, w, log=log, refuse=refuse), "127.0.0.1", 0
        )

    server = asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=10)
    port = server.sockets[0].getsockname()[1]
    try:
        yield RunningProxy(url=f"http://127.0.0.1:{port}", log=log)
    finally:

        async def stop() -> None:
            server.close()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        asyncio.run_coroutine_threadsafe(stop(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
