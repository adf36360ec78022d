"""`python -m modelarts_contract.judge FILE.har`: judge traffic recorded anywhere, without the network.

Every GET of the operation in the HAR (a `--record` of this suite, a browser's or a proxy's export,
a gateway's log) is judged by the clauses one exchange can show, and the pages of one query together
by the clauses a set of pages supports; every other clause is "not exercised". Prints the summary and
with `--report-dir` writes ledger.json and the conformance report. Exit status: 0 nothing broken,
1 a clause broken, 4 the file cannot be used (not a HAR, truncated, no exchange of the operation).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from modelarts_contract import __version__
from modelarts_contract.checks.core import Ledger, Verifier, describe_source
from modelarts_contract.contract import load_contract
from modelarts_contract.neutral import neutral
from modelarts_contract.recording.judging import Judged, judge_one, judge_pages, operation_of, secrets_in
from modelarts_contract.recording.reader import Har, HarError
from modelarts_contract.redact import Redactor
from modelarts_contract.report import write_reports
from modelarts_contract.variants import CATALOGUE

EXIT_BROKEN, EXIT_USAGE = 1, 4
OPERATION = "GET /v1/{project_id}/images/group"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="modelarts-contract judge",
        description=f"Judge the exchanges of {OPERATION} recorded in a HAR file, without the network.",
    )
    parser.add_argument(
        "har", type=Path, metavar="FILE.har", help="a HAR 1.2 file (a --record, a browser's export)"
    )
    parser.add_argument(
        "--report-dir", type=Path, default=None, metavar="DIR", help="write ledger.json and the report"
    )
    parser.add_argument("--strict-fields", action="store_true", help="report undocumented response fields")
    return parser


def judge(recording: Har, ledger: Ledger, strict: bool) -> tuple[Judged, bool]:
    """Every entry of the operation, then the pages of each query; (what was judged, all held)."""
    answers = [a for _, a in recording.answers() if not isinstance(a, HarError)]
    redactor = Redactor(secrets_in(answers))
    verifier = Verifier(load_contract(), redactor, ledger, strict=strict)
    judged, kept = Judged(), True
    home = (recording.ours or {}).get("project_id") if _ours_readable(recording) else None
    for position, answer in recording.answers():
        if isinstance(answer, HarError):
            judged.leave_out(f"unreadable ({neutral(str(answer))[:120]})")
            continue
        operation = operation_of(answer)
        if answer.error is not None or answer.status == 0:
            judged.leave_out("no answer came (the exchange failed)")
            continue
        if operation is None:
            judged.leave_out("not a GET of the operation")
            continue
        judged.exchanges += 1
        judged.base_urls.add(redactor.text(operation[0]))
        test = f"{recording.where}#entry{position}"
        kept = judge_one(verifier, answer, judged, test, home if isinstance(home, str) else None) and kept
    return judged, judge_pages(verifier, judged) and kept


def _ours_readable(recording: Har) -> bool:
    try:
        return recording.ours is not None
    except HarError:  # a recording of another schema version: judged as a HAR from elsewhere
        return False


def summary(ledger: Ledger, judged: Judged, recording: Har) -> list[str]:
    records, contract = ledger.as_dict(), load_contract()
    lines = [f"judged {judged.exchanges} exchange(s) of {OPERATION} in {recording.where}"]
    lines += [f"  left out {count}: {why}" for why, count in sorted(judged.left_out.items())]
    for clause_id in ledger.broken_clauses():
        record, clause = records[clause_id], contract.clauses.get(clause_id)
        first = record["first_failure"] or {}
        lines += [
            f"BROKEN [{clause_id}] {clause.text if clause else ''}",
            f"  source:   {describe_source(clause.source) if clause else '?'}",
            *(f"  {key + ':':9} {first[key]}" for key in ("request", "expected", "actual") if first.get(key)),
        ]
    unexercised = len([c for c in contract.clauses if c not in records])
    failed = ledger.broken_clauses()
    lines.append(
        f"clauses checked: {len(records)}, failed: {len(failed)}"
        + (f" ({', '.join(failed)})" if failed else "")
        + f", not exercised: {unexercised}"
    )
    return lines


def _write_report(ledger: Ledger, judged: Judged, recording: Har, report_dir: Path, status: int) -> None:
    report_dir.mkdir(parents=True, exist_ok=True)
    ledger_path = report_dir / "ledger.json"
    target = sorted(judged.base_urls)[0] if len(judged.base_urls) == 1 else None
    run = {
        "target": target,
        "suite_version": __version__,
        "spec_version": load_contract().version,
        "recording": {"file": recording.where, "use": "judge"},
    }
    ledger.dump(ledger_path, exitstatus=status, stopped=None, run=run)
    write_reports(ledger_path, report_dir, catalogue=CATALOGUE)


def main(argv: list[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # --help: 0; bad usage: the suite's usage status
        return 0 if not exc.code else EXIT_USAGE
    try:
        recording = Har(args.har)
    except HarError as exc:
        print(f"judge: {exc}", file=sys.stderr)
        return EXIT_USAGE
    ledger = Ledger()
    judged, kept = judge(recording, ledger, args.strict_fields)
    if not judged.exchanges:
        left = "; ".join(f"{n} {why}" for why, n in judged.left_out.items()) or "no entries"
        print(f"judge: {recording.where}: no exchange of {OPERATION} to judge ({left})", file=sys.stderr)
        return EXIT_USAGE
    status = 0 if kept else EXIT_BROKEN
    for line in summary(ledger, judged, recording):
        print(neutral(line) if not line.startswith(" ") else " " + neutral(line[1:]))
    if args.report_dir is not None:
        _write_report(ledger, judged, recording, args.report_dir, status)
        print(f"report: {args.report_dir / 'conformance.md'}, {args.report_dir / 'conformance.html'}")
    return status


if __name__ == "__main__":
    sys.exit(main())
