"""Run the contract suite against each variant, served in-process, and tabulate who killed what.

The suite runs in a subprocess (its ledger is process-global and it reads its target from the
environment); the variant runs in this process, so the server's request log is evidence of what the
suite really sent (R16: GET only).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from modelarts_contract.reference import serve

from .base import Variant

ENV_PREFIXES = ("MODELARTS_", "HUAWEICLOUD_SDK_")
TAIL_LINES = 40


@dataclass
class VariantResult:
    name: str
    kind: str
    exit_code: int | None  # None: timed out
    broken: list[str]  # clause ids with broken > 0 in the ledger
    expected: tuple[str, ...]
    seconds: float
    requests: int  # requests the server received
    methods: set[str] = field(default_factory=set)  # methods the server saw
    output_tail: str = ""

    @property
    def killed(self) -> bool:
        return self.exit_code == 1 and any(c in self.broken for c in self.expected)

    @property
    def passed(self) -> bool:
        return self.exit_code == 0

    @property
    def verdict(self) -> str:
        if self.exit_code not in (0, 1):
            return "ERROR"
        if self.kind == "benign":
            return "PASSED" if self.passed else "FALSE-ALARM"
        if self.killed:
            return "KILLED"
        return "SURVIVED" if self.passed else "KILLED-BY-OTHER-CLAUSE"

    @property
    def ok(self) -> bool:
        return self.verdict in ("KILLED", "PASSED")


def suite_environment(url: str, projects: Sequence, *, aksk: bool = False) -> dict[str, str]:
    """The environment that points a contract-suite subprocess at a local server of these projects."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIXES)}
    main, other = projects[0], projects[1]
    env |= {
        "MODELARTS_BASE_URL": url,
        "MODELARTS_PROJECT_ID": main.project_id,
        "MODELARTS_OTHER_PROJECT_ID": other.project_id,
        "MODELARTS_RATE_LIMIT": "none",  # a local in-process server: no pacing
    }
    if aksk:
        env |= {"HUAWEICLOUD_SDK_AK": main.ak, "HUAWEICLOUD_SDK_SK": main.sk}
    else:
        env["MODELARTS_AUTH_TOKEN"] = main.token
    return env


def _broken(ledger: Path) -> list[str]:
    try:
        clauses = json.loads(ledger.read_text(encoding="utf-8"))["clauses"]
    except (OSError, ValueError, KeyError):
        return []
    return sorted(cid for cid, record in clauses.items() if record.get("broken"))


def _text(data: bytes | str | None) -> str:
    return data.decode(errors="replace") if isinstance(data, bytes) else data or ""


def run_variant(
    variant: Variant, *, repo_root: str | Path, timeout: float = 240, extra_args: Iterable[str] = ()
) -> VariantResult:
    dataset = variant.dataset()
    app = variant.build(dataset)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix=f"variant-{variant.name}-") as tmp, serve(app) as server:
        command = [sys.executable, "-m", "pytest", "tests/contract", "-q", "-p", "no:cacheprovider"]
        command += ["--report-dir", tmp, *extra_args]
        env = suite_environment(server.url, dataset.projects, aksk=variant.auth == "aksk")
        try:
            proc = subprocess.run(
                command, cwd=repo_root, env=env, capture_output=True, text=True, timeout=timeout, check=False
            )
            exit_code, output = proc.returncode, proc.stdout + proc.stderr
        except subprocess.TimeoutExpired as exc:
            exit_code = None
            output = _text(exc.stdout) + _text(exc.stderr) + f"\n[timed out after {timeout:.0f} s]"
        broken = _broken(Path(tmp) / "ledger.json")
        recorded = server.requests.snapshot()
    return VariantResult(
        name=variant.name,
        kind=variant.kind,
        exit_code=exit_code,
        broken=broken,
        expected=variant.clauses,
        seconds=time.monotonic() - started,
        requests=len(recorded),
        methods={r.method for r in recorded},
        output_tail="\n".join(output.splitlines()[-TAIL_LINES:]),
    )


def run_catalogue(
    variants: Iterable[Variant],
    workers: int = 2,
    *,
    repo_root: str | Path | None = None,
    timeout: float = 240,
    extra_args: Sequence[str] = (),
) -> list[VariantResult]:
    """Every variant, ``workers`` at a time; results in the order given."""
    root = Path(repo_root) if repo_root is not None else default_repo_root()
    run = partial(run_variant, repo_root=root, timeout=timeout, extra_args=extra_args)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(run, v) for v in variants]
        return [f.result() for f in futures]


def default_repo_root() -> Path:
    """The checkout this package is installed from (editable install: src/modelarts_contract/...)."""
    root = Path(__file__).resolve().parents[3]
    if not (root / "tests" / "contract").is_dir():
        raise FileNotFoundError(f"no tests/contract under {root}: pass repo_root")
    return root


def format_matrix(results: Sequence[VariantResult]) -> str:
    header = ("variant", "kind", "expected", "verdict", "broken", "requests", "seconds")
    rows = [
        (r.name, r.kind, ", ".join(r.expected), r.verdict, ", ".join(r.broken) or "-", str(r.requests),
         f"{r.seconds:.1f}")
        for r in results
    ]  # fmt: skip
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    rule = "  ".join("-" * w for w in widths)
    title = "  ".join(cell.ljust(w) for cell, w in zip(header, widths, strict=True)).rstrip()
    mutants = [r for r in results if r.kind == "mutant"]
    benign = [r for r in results if r.kind == "benign"]
    headline = (
        f"mutation score: {sum(r.killed for r in mutants)}/{len(mutants)} mutants killed by their clause; "
        f"benign: {sum(r.passed for r in benign)}/{len(benign)} pass"
    )
    return "\n".join([title, rule, *lines, "", headline])
