"""The drift check's fetch of a published page: bounded, credential-free, cached (loopback server only)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from modelarts_contract.drift.__main__ import main
from modelarts_contract.drift.fetch import Cache, FetchError, Limits, fetch

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "drift"
PAGE = (FIXTURES / "match_sphinx.html").read_bytes()
CAP = 64 * 1024  # the tests' byte cap: above the page, below the oversize answers
SERVER_SECONDS = 20.0  # how long the slow handlers would go on if the client let them


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    stop: threading.Event
    seen: list[tuple[str, dict[str, str]]]  # (path, headers) of every request


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: object) -> None:  # quiet test output
        pass

    def _head(self, status: int, **headers: str) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()

    def _slowly(self, step: float, data: bytes) -> None:
        """Send `data` (b"" for nothing) every `step` seconds until stopped or SERVER_SECONDS pass."""
        for _ in range(int(SERVER_SECONDS / step)):
            if self.server.stop.wait(step):
                return
            try:
                self.wfile.write(data)
                self.wfile.flush()
            except OSError:  # the client hung up: what the test wants
                return

    def do_GET(self) -> None:
        self.server.seen.append((self.path, dict(self.headers.items())))
        port = self.server.server_address[1]
        if self.path == "/page.html":
            if self.headers.get("If-None-Match") == '"v1"':
                self._head(304, ETag='"v1"')
                return
            self._head(
                200, Content_Type="text/html; charset=utf-8", Content_Length=str(len(PAGE)), ETag='"v1"'
            )
            self.wfile.write(PAGE)
        elif self.path == "/announced-too-big":
            self._head(200, Content_Type="text/html", Content_Length=str(CAP + 1))
            self._slowly(0.05, b"x" * 1024)
        elif self.path == "/too-big":  # no length announced: the cap has to count
            self._head(200, Content_Type="text/html", Connection="close")
            self.wfile.write(b"<p>" + b"x" * (CAP * 2))
        elif self.path == "/unicode-length":  # "²".isdigit() is true, and int("²") raises
            self._head(200, Content_Type="text/html", Content_Length="\u00b2", Connection="close")
            self.wfile.write(b"<p>" + b"x" * (CAP * 2))
        elif self.path == "/drip":  # a byte at a time: each read is quick, the whole is not
            self._head(200, Content_Type="text/html", Connection="close")
            self._slowly(0.05, b"x")
        elif self.path == "/stall":  # headers, then nothing
            self._head(200, Content_Type="text/html", Connection="close")
            self._slowly(0.05, b"")
        elif self.path == "/redirect-same":
            self._head(302, Location="/page.html", Content_Length="0")
        elif self.path == "/redirect-other-host":
            self._head(302, Location=f"http://localhost:{port}/page.html", Content_Length="0")
        elif self.path == "/redirect-loop":
            self._head(302, Location="/redirect-loop", Content_Length="0")
        elif self.path == "/gzip":
            self._head(200, Content_Type="text/html", Content_Encoding="gzip", Content_Length="3")
            self.wfile.write(b"abc")
        else:
            self._head(404, Content_Type="text/plain", Content_Length="9")
            self.wfile.write(b"not found")


@pytest.fixture
def server() -> Iterator[_Server]:
    httpd = _Server(("127.0.0.1", 0), _Handler)
    httpd.stop, httpd.seen = threading.Event(), []
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield httpd
    finally:
        httpd.stop.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


def url(server: _Server, path: str) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}{path}"


LIMITS = Limits(max_bytes=CAP, deadline=0.5, max_redirects=3)


def test_a_page_is_fetched_and_cached(server: _Server, tmp_path: Path) -> None:
    got = fetch(url(server, "/page.html"), tmp_path, limits=LIMITS)
    assert got.text.encode() == PAGE and not got.from_cache and got.fetched_at
    cached = Cache(tmp_path).get(url(server, "/page.html"), CAP)
    assert cached is not None and cached[0] == PAGE and cached[1]["etag"] == '"v1"'
    path, headers = server.seen[0]
    assert path == "/page.html"
    assert headers["Accept-Encoding"] == "identity"
    assert not {"Authorization", "Cookie", "Proxy-Authorization"} & set(headers)


def test_offline_reads_the_cache_and_sends_nothing(server: _Server, tmp_path: Path) -> None:
    online = fetch(url(server, "/page.html"), tmp_path, limits=LIMITS)
    offline = fetch(url(server, "/page.html"), tmp_path, offline=True, limits=LIMITS)
    assert offline.text == online.text and offline.from_cache
    assert offline.fetched_at == online.fetched_at
    assert len(server.seen) == 1  # the offline read asked the server nothing


def test_offline_without_a_cached_copy_is_an_error(server: _Server, tmp_path: Path) -> None:
    with pytest.raises(FetchError, match="no cached copy"):
        fetch(url(server, "/page.html"), tmp_path, offline=True, limits=LIMITS)
    assert server.seen == []


def test_a_cached_page_is_asked_for_only_if_changed(server: _Server, tmp_path: Path) -> None:
    fetch(url(server, "/page.html"), tmp_path, limits=LIMITS)
    again = fetch(url(server, "/page.html"), tmp_path, limits=LIMITS)
    assert server.seen[1][1]["If-None-Match"] == '"v1"'
    assert again.from_cache and again.text.encode() == PAGE  # the 304 answer: the cached copy


def test_nothing_comes_from_the_environment(
    server: _Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A proxy that would refuse every connection, and a .netrc with credentials for the host.
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:9")
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login someone password not-to-be-sent\n")
    monkeypatch.setenv("NETRC", str(netrc))
    fetch(url(server, "/page.html"), tmp_path / "cache", limits=LIMITS)
    assert "Authorization" not in server.seen[0][1]


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/announced-too-big", "announced, more than the 65536-byte cap"),
        ("/too-big", "larger than the 65536-byte cap"),
        ("/unicode-length", "larger than the 65536-byte cap"),
        ("/missing", r"HTTP 404 \(200 expected\)"),
        ("/redirect-other-host", r"redirect to another host refused \(http://localhost\)"),
        ("/redirect-loop", "more than 3 redirects"),
        ("/gzip", "Content-Encoding 'gzip'"),
    ],
)
def test_answers_outside_the_limits_are_errors(
    server: _Server, tmp_path: Path, path: str, message: str
) -> None:
    with pytest.raises(FetchError, match=message):
        fetch(url(server, path), tmp_path, limits=LIMITS)
    assert list(tmp_path.iterdir()) == []  # nothing cached
    assert all(seen.startswith(("/redirect", path)) for seen, _ in server.seen)  # localhost never asked


def test_a_same_host_redirect_is_followed(server: _Server, tmp_path: Path) -> None:
    got = fetch(url(server, "/redirect-same"), tmp_path, limits=LIMITS)
    assert got.text.encode() == PAGE
    assert [p for p, _ in server.seen] == ["/redirect-same", "/page.html"]


@pytest.mark.parametrize("path", ["/drip", "/stall"])
def test_one_clock_for_the_whole_fetch(server: _Server, tmp_path: Path, path: str) -> None:
    """A server that sends a byte every 50 ms (each read is quick) or nothing at all is cut at the
    deadline, not after SERVER_SECONDS: the bound is generous, the point is that there is one."""
    start = time.monotonic()
    with pytest.raises(FetchError, match=r"not fetched within the 0\.5 s deadline"):
        fetch(url(server, path), tmp_path, limits=LIMITS)
    assert time.monotonic() - start < SERVER_SECONDS / 2


def test_a_url_with_credentials_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FetchError, match="a URL with credentials is refused") as caught:
        fetch("http://user:secret@127.0.0.1:9/page.html", tmp_path, limits=LIMITS)
    assert "secret" not in str(caught.value)


def test_the_cli_checks_a_url_then_offline(
    server: _Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [url(server, "/page.html"), "--cache-dir", str(tmp_path), "--timeout", "5"]
    assert main(argv) == 0
    first = capsys.readouterr().out.splitlines()
    assert first[0].startswith(f"drift check: {url(server, '/page.html')} (Sphinx HTML, fetched ")
    assert first[-1] == "undeclared drift 0, deliberate 0"
    server.stop.set()
    server.shutdown()  # gone: the offline run must not need it
    assert main([*argv, "--offline"]) == 0
    assert "(Sphinx HTML, cached copy, fetched " in capsys.readouterr().out.splitlines()[0]


def test_the_cli_reports_a_failed_fetch_as_a_usage_error(
    server: _Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([url(server, "/missing"), "--cache-dir", str(tmp_path)]) == 2
    assert "HTTP 404" in capsys.readouterr().err
