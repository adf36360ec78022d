"""Benchmark: the contract suite against hostile loopback targets, one attack each.

For each attack it prints the exit status, the requests the server received (counted server-side,
with their methods and any path that was not the operation's), the wall time, the peak memory of the
pytest process, and the line of the output that says what happened. Not a test: nothing here
asserts (the self-tests in tests/self/test_hostile_*.py and test_safety_*.py do).

    python bench/hostile_targets.py [--only NAME ...] [--list]
"""

from __future__ import annotations

import argparse
import base64
import gzip
import itertools
import json
import os
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from werkzeug.wrappers import Request, Response

from modelarts_contract.matrix.harness import ENV_PREFIXES
from modelarts_contract.reference import Credentials, ReferenceApp, build_app, data, default_dataset, serve

ROOT = Path(__file__).resolve().parents[1]
AK, SK = "BENCHAK0123456789AB", "bench-secret-key-0123456789abcdef"
ERROR = b'{"error_code": "ModelArts.0000", "error_msg": "hostile"}'
# Runs pytest in a child and prints its peak resident memory (KiB) last: the parent of this script
# stays small, so the figure is the run's own.
RUNNER = (
    "import resource, subprocess, sys; "
    "code = subprocess.run(sys.argv[1:]).returncode; "
    "print('PEAK_KIB', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(code)"
)


class AfterPreflight(ReferenceApp):
    """The reference for the first request; every later one gets `hostile(request)`."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.turns = itertools.count(1)  # next() is atomic: the server's threads share it

    def hostile(self, request: Request) -> Response:
        raise NotImplementedError

    def handle(self, request: Request) -> Response:
        return super().handle(request) if next(self.turns) == 1 else self.hostile(request)


def after_preflight(answer: Callable[[AfterPreflight, Request], Response]) -> type[AfterPreflight]:
    return type("Hostile", (AfterPreflight,), {"hostile": answer})


def always(answer: Callable[[AfterPreflight, Request], Response]) -> type[ReferenceApp]:
    return type("Always", (ReferenceApp,), {"handle": answer})


def endless(status: int = 200) -> Callable[[AfterPreflight, Request], Response]:
    def answer(app: AfterPreflight, request: Request) -> Response:
        def body() -> Iterator[bytes]:
            for _ in range(100_000):  # 6.5 GB at most
                yield b"[" * 65536

        return Response(body(), status=status, content_type="application/json")

    return answer


def trickle(app: AfterPreflight, request: Request) -> Response:
    def body() -> Iterator[bytes]:
        for _ in range(600):  # 10 minutes at most
            yield b"["
            time.sleep(1.0)

    return Response(body(), content_type="application/json")


BOMB = gzip.compress(gzip.compress(b"\0" * (1 << 20), 9) * 1024, 9)  # ~1 GiB of zeros, a few KB


def bomb(app: AfterPreflight, request: Request) -> Response:
    return Response(BOMB, headers={"Content-Encoding": "gzip, gzip", "Content-Type": "application/json"})


def signature_echo(app: AfterPreflight, request: Request) -> Response:
    """403 quoting the bare signature: hex, upper, percent-encoded, base64 of the digest."""
    found = re.search(r"Signature=([0-9a-f]+)", request.headers.get("Authorization", ""))
    signature = found.group(1) if found else ""
    forms = [signature, signature.upper(), "".join(f"%{ord(c):02X}" for c in signature)]
    forms.append(base64.b64encode(bytes.fromhex(signature)).decode() if signature else "")
    said = forms[next(app.turns) % len(forms)]
    return app.error(403, "ModelArts.0210", f"forbidden: {said}")


def retry_after(value: str, status: int = 429) -> Callable[[AfterPreflight, Request], Response]:
    def answer(app: AfterPreflight, request: Request) -> Response:
        return Response(ERROR, status=status, headers={"Retry-After": value}, content_type="application/json")

    return answer


def deep_json(app: AfterPreflight, request: Request) -> Response:
    return Response(b"[" * 100_000 + b"]" * 100_000, content_type="application/json")


def status_only(status: int, **headers: str) -> Callable[[ReferenceApp, Request], Response]:
    def answer(app: ReferenceApp, request: Request) -> Response:
        return Response(ERROR, status=status, headers=headers, content_type="application/json")

    return answer


@dataclass
class Attack:
    name: str
    app: type[ReferenceApp]
    env: dict[str, str] = field(default_factory=dict)
    aksk: bool = False
    said: str = r"STOPPED.*|environment problem.*|\[R\d+[\w.-]*\].*|ERROR: .*"


ATTACKS = [
    Attack("project id escaping the path", ReferenceApp, {"MODELARTS_PROJECT_ID": "proj-a/../../admin"}),
    Attack("bare AK/SK signature echoed", after_preflight(signature_echo), aksk=True),
    Attack("endless chunked 200 body", after_preflight(endless())),
    Attack("endless chunked 500 body", after_preflight(endless(500))),
    Attack("1 GiB gzip bomb", after_preflight(bomb)),
    Attack("a byte a second", after_preflight(trickle)),
    Attack("Retry-After: 99999 on every answer", after_preflight(retry_after("99999"))),
    Attack("Retry-After: 99999, --max-duration 60s", after_preflight(retry_after("99999")), {"MODELARTS_MAX_DURATION": "60s"}),
    Attack("Retry-After: \u00b2 (a Unicode digit)", after_preflight(retry_after("\u00b2"))),
    Attack("100,000-deep JSON array", after_preflight(deep_json)),
    Attack("429 on the first request, --max-requests 2", always(status_only(429, **{"Retry-After": "0"})), {"MODELARTS_MAX_REQUESTS": "2"}),
    Attack("302 on the first request", always(status_only(302, Location="http://127.0.0.1:9/"))),
    Attack("500 on the first request", always(status_only(500))),
]  # fmt: skip


def environment(url: str, attack: Attack) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIXES)}
    credentials = (
        {"HUAWEICLOUD_SDK_AK": AK, "HUAWEICLOUD_SDK_SK": SK}
        if attack.aksk
        else {"MODELARTS_AUTH_TOKEN": data.MAIN_TOKEN}
    )
    return env | credentials | {
        "MODELARTS_BASE_URL": url,
        "MODELARTS_PROJECT_ID": data.MAIN_PROJECT_ID,
        "MODELARTS_OTHER_PROJECT_ID": data.OTHER_PROJECT_ID,
        "MODELARTS_RATE_LIMIT": "none",
        **attack.env,
    }  # fmt: skip


def run(attack: Attack) -> dict[str, object]:
    dataset = default_dataset()
    if attack.aksk:
        main = dataset.projects[0]
        dataset = replace(
            dataset, projects=[Credentials(main.project_id, main.token, AK, SK), *dataset.projects[1:]]
        )
    with serve(build_app(dataset, app_cls=attack.app)) as server:
        started = time.perf_counter()
        command = [
            sys.executable,
            "-c",
            RUNNER,
            sys.executable,
            "-m",
            "pytest",
            "tests/contract",
            "-q",
            "-p",
            "no:cacheprovider",
        ]
        proc = subprocess.run(command, cwd=ROOT, env=environment(server.url, attack), capture_output=True, text=True, timeout=1800, check=False)  # fmt: skip
        seconds = time.perf_counter() - started
        received = server.requests.snapshot()
    output = proc.stdout + proc.stderr
    peak = re.search(r"PEAK_KIB (\d+)", output)
    said = re.search(attack.said, output)
    elsewhere = sorted({r.path for r in received if not r.path.endswith("/images/group")})
    signatures = {
        m for r in received for m in re.findall(r"Signature=([0-9a-f]+)", r.headers.get("Authorization", ""))
    }
    leaked = sum(1 for s in signatures if any(s[i : i + 16] in output.lower() for i in range(0, len(s) - 15)))
    return {
        "attack": attack.name,
        "exit": proc.returncode,
        "requests": dict(Counter(r.method for r in received)),
        "other paths": elsewhere,
        "wall s": round(seconds, 1),
        "peak MiB": round(int(peak.group(1)) / 1024) if peak else None,
        "signatures in the output": f"{leaked} of {len(signatures)}" if attack.aksk else "-",
        "said": (said.group(0)[:160] if said else output.strip().splitlines()[-1][:160]),
    }  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="attacks whose name contains one of these")
    parser.add_argument("--list", action="store_true")
    args = parser.parse_args(argv)
    chosen = [a for a in ATTACKS if not args.only or any(o.lower() in a.name.lower() for o in args.only)]
    for attack in chosen:
        if args.list:
            print(attack.name)
            continue
        print(json.dumps(run(attack), ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
