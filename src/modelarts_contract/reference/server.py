"""Run a WSGI app on a real HTTP server (werkzeug, threaded) and record every request it receives.

The request log is server-side evidence: it is filled by a middleware BEFORE routing, so it shows
every method and path that reached the server, whatever the app answered.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query_string: str
    headers: dict[str, str]
    received_at: float = 0.0  # time.monotonic() when it arrived: evidence of the pace


class RequestLog:
    """A thread-safe, append-only list of RecordedRequest."""

    def __init__(self) -> None:
        self._items: list[RecordedRequest] = []
        self._lock = threading.Lock()

    def append(self, item: RecordedRequest) -> None:
        with self._lock:
            self._items.append(item)

    def snapshot(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._items)

    def __len__(self) -> int:
        return len(self.snapshot())

    def __iter__(self) -> Iterator[RecordedRequest]:
        return iter(self.snapshot())

    def __getitem__(self, index: int) -> RecordedRequest:
        return self.snapshot()[index]


class RecordingMiddleware:
    def __init__(self, app: WSGIApplication, log: RequestLog) -> None:
        self.app, self.log = app, log

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        query = request.query_string.decode("latin-1")
        received = time.monotonic()
        self.log.append(RecordedRequest(request.method, request.path, query, dict(request.headers), received))
        return self.app(environ, start_response)


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


@dataclass
class RunningServer:
    server: BaseWSGIServer
    thread: threading.Thread
    requests: RequestLog

    @property
    def port(self) -> int:
        return self.server.server_port

    @property
    def url(self) -> str:
        host = self.server.server_address[0]  # text for AF_INET; typeshed also allows bytes
        return f"http://{host.decode() if isinstance(host, bytes | bytearray) else host}:{self.port}"

    def stop(self, timeout: float = 5.0) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout)


def start(
    app: WSGIApplication, host: str = "127.0.0.1", port: int = 0, log_requests: bool = False
) -> RunningServer:
    log = RequestLog()
    handler = WSGIRequestHandler if log_requests else _QuietHandler
    server = make_server(host, port, RecordingMiddleware(app, log), threaded=True, request_handler=handler)
    name = f"reference-{server.server_port}"
    # stop() waits for the loop to look at its flag, once a poll: the default 0.5 s on every stop.
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=name, daemon=True
    )
    thread.start()
    return RunningServer(server, thread, log)


@contextmanager
def serve(
    app: WSGIApplication, host: str = "127.0.0.1", port: int = 0, log_requests: bool = False
) -> Iterator[RunningServer]:
    running = start(app, host, port, log_requests)
    try:
        yield running
    finally:
        running.stop()
