"""--record and --replay: every exchange as HAR 1.2, credentials redacted; the run replayed without
a socket gives the verdicts of the recorded one; what the recording lacks is not exercised."""

from __future__ import annotations

import json
import os
import time

import pytest
from hario_core.models import Entry, HarLog
from tests.self.helpers import CONTRACT, AfterPreflight, remote_env, run_suite
from tests.self.hostile import short_answers, target_for
from tests.self.recordings import AUTH_TESTS, record, replay

from modelarts_contract.environment import EXIT_ENVIRONMENT
from modelarts_contract.recording import har
from modelarts_contract.recording.reader import Har
from modelarts_contract.recording.session import Recording
from modelarts_contract.redact import REDACTED, encoded_forms
from modelarts_contract.reference import build_app, data, default_dataset, serve


@pytest.fixture(scope="module")
def default_run(tmp_path_factory):
    """The default run of the contract suite, recorded (the embedded reference server)."""
    return record(tmp_path_factory.mktemp("default"), "default", tests=CONTRACT)


@pytest.mark.e2e  # the whole suite, recorded
def test_a_recording_is_valid_har_with_every_exchange_and_no_credential(default_run):
    recording, _ = default_run
    text = recording.read_text(encoding="utf-8")
    document = json.loads(text)
    log = document["log"]
    # hario-core's HAR 1.2 models raise on anything HAR 1.2 requires and an entry lacks. (Its own
    # `validate` takes any entry with a custom `_` field for a Chrome DevTools one: not used.)
    HarLog.model_validate({**log, "entries": [Entry.model_validate(e) for e in log["entries"]]})
    assert log["_modelarts_contract"]["schema"] == har.SCHEMA and log["_modelarts_contract"]["version"] == 1
    assert "Credentials are redacted" in log["comment"]
    assert len(log["entries"]) == sum(1 for _ in Har(recording).index) > 400  # a default run: 438
    starts = [e["startedDateTime"] for e in log["entries"]]
    assert starts == sorted(starts)
    kinds = {e["_credential"] for e in log["entries"]}
    assert kinds == {"configured", "none", "other-token", "other-authorization", "bad-signature"}
    for secret in (data.MAIN_TOKEN, data.OTHER_TOKEN):
        assert not [form for form in encoded_forms(secret) if form in text]
    tokens = [h for e in log["entries"] for h in e["request"]["headers"] if h["name"] == "X-Auth-Token"]
    assert tokens and {h["value"] for h in tokens} == {REDACTED}


@pytest.mark.e2e  # the whole suite, recorded
def test_the_default_run_replayed_without_a_socket_gives_the_same_verdicts(default_run, tmp_path):
    recording, live = default_run
    run, replayed = replay(tmp_path, recording, tests=CONTRACT)
    assert replayed == live, run.output[-3000:]
    assert "replay of" in run.output
    ledger = json.loads((tmp_path / "default-replay" / "ledger.json").read_text(encoding="utf-8"))
    assert (
        ledger["run"]["recording"]["use"] == "replay" and ledger["run"]["recording"]["not_in_recording"] == []
    )
    report = (tmp_path / "default-replay" / "conformance.md").read_text(encoding="utf-8")
    assert "a replay of the recording" in report


@pytest.mark.e2e  # the whole suite, recorded
def test_a_request_the_recording_lacks_is_not_exercised_naming_it(default_run, tmp_path):
    recording, _ = default_run
    lines = recording.read_text(encoding="utf-8").splitlines()
    kept = [line for line in lines if '"_credential":"none"' not in line]  # the no-credentials probe
    assert len(kept) == len(lines) - 1
    kept[-2] = kept[-2].rstrip(",")  # the entry before the closing line ends the list
    cut = tmp_path / "cut.har"
    cut.write_text("\n".join(kept) + "\n", encoding="utf-8")
    run, verdict = replay(tmp_path, cut, tests=AUTH_TESTS)
    # 2 skipped: the stale AK/SK signature (a token run), and the test the recording cannot answer
    assert run.code == 0 and "4 passed, 2 skipped" in run.output, run.output[-3000:]
    assert "R1.no-credentials" not in verdict.exercised  # not exercised, neither held nor broken
    ledger = json.loads((tmp_path / "cut-replay" / "ledger.json").read_text(encoding="utf-8"))
    (missing,) = ledger["run"]["recording"]["not_in_recording"]
    assert "test_missing_credentials_get_401" in missing and "not in the recording" in missing
    assert "GET /v1/" in missing and "credentials: none" in missing


def test_a_recording_replaces_a_symlink_and_never_writes_through_it(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me", encoding="utf-8")
    (tmp_path / "run.har").symlink_to(victim)
    run = run_suite({}, "--record", str(tmp_path / "run.har"), tests=AUTH_TESTS)
    assert run.code == 0, run.output[-3000:]
    assert victim.read_text(encoding="utf-8") == "keep me"
    assert not (tmp_path / "run.har").is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.har", "victim.txt"]  # no part left behind


@pytest.mark.slow  # a pytest run under two xdist workers, recorded and replayed
def test_workers_record_into_one_file_in_start_order(tmp_path):
    recording, live = record(tmp_path, "parallel", "-n", "2")
    entries = json.loads(recording.read_text(encoding="utf-8"))["log"]["entries"]
    starts = [e["startedDateTime"] for e in entries]
    assert starts == sorted(starts) and len(entries) >= 6
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]
    _, replayed = replay(tmp_path, recording)
    assert replayed == live


@pytest.mark.e2e  # the recording of the whole suite
@pytest.mark.parametrize(
    "args, says",
    [
        (["--project-id", "0123456789abcdef"], "a recording of another project id"),
        (["--base-url", "https://modelarts.example.com"], "a recording of another base url"),
        (["--reference-variant", "pages-always-one"], "leave out --reference-variant"),
    ],
)
def test_a_replay_of_another_target_is_a_usage_error(default_run, args, says):
    recording, _ = default_run
    run = run_suite({}, "--replay", str(recording), *args, tests=AUTH_TESTS)
    assert run.code == 4, run.output[-2000:]
    assert says in run.output and "Traceback" not in run.output


def test_a_replay_of_something_else_is_a_usage_error(tmp_path):
    for name, text, says in [
        ("none.har", None, "no such file"),
        ("plain.har", "hello", "not JSON"),
        ("other.har", json.dumps({"log": {"entries": []}}), "not a recording of modelarts-contract"),
        ("cut.har", har.header_line({}) + '{"startedDateTime":', "truncated"),
    ]:
        if text is not None:
            (tmp_path / name).write_text(text, encoding="utf-8")
        run = run_suite({}, "--replay", str(tmp_path / name), "--co", tests=AUTH_TESTS)
        assert run.code == 4 and says in run.output, (name, run.output[-2000:])
        assert "Traceback" not in run.output


def test_record_into_a_missing_directory_is_a_usage_error(tmp_path):
    run = run_suite({}, "--record", str(tmp_path / "nowhere" / "run.har"), "--co", tests=AUTH_TESTS)
    assert run.code == 4 and "--record: no directory" in run.output
    assert not os.path.exists(tmp_path / "nowhere")


class SilentAfterPreflight(AfterPreflight):
    """The reference for the preflight, then answers that come later than the request timeout."""

    def after(self, request, turn):
        time.sleep(2.0)
        return self.reference(request)


def test_an_exchange_that_got_no_answer_is_recorded_and_replayed_as_such(tmp_path):
    recording = tmp_path / "silent.har"
    with serve(build_app(default_dataset(), app_cls=SilentAfterPreflight)) as server:
        env = remote_env(server.url, MODELARTS_REQUEST_TIMEOUT="0.5")
        live = run_suite(env, "--record", str(recording), tests=AUTH_TESTS)
    assert live.code == EXIT_ENVIRONMENT, live.output[-3000:]
    log = json.loads(recording.read_text(encoding="utf-8"))["log"]
    HarLog.model_validate({**log, "entries": [Entry.model_validate(e) for e in log["entries"]]})
    failed = [e for e in log["entries"] if "_error" in e]
    assert len(failed) == 1 and failed[0]["response"]["status"] == 0
    replayed = run_suite({}, "--replay", str(recording), tests=AUTH_TESTS)
    assert replayed.code == EXIT_ENVIRONMENT, replayed.output[-3000:]
    problem = "sent no answer within 0.5 s"
    assert problem in live.output and problem in replayed.output


def test_an_answer_cut_short_of_its_content_length_is_replayed_cut_short(raw_server, tmp_path):
    """R8: an answer short on its retry too is the target's fault; the replay shows the same fault."""
    server = raw_server(short_answers(2))
    live_target, path = target_for(server.url), tmp_path / "short.har"
    recording = Recording(path)
    recording.attach(live_target.session.guard, live_target.config, live_target.redactor, server.url)
    live = live_target.get({"limit": "1"})
    assert recording.finish() == 2 and live.short_of is not None
    replay_target = target_for(server.url)
    Recording(replay=Har(path)).attach(
        replay_target.session.guard, replay_target.config, replay_target.redactor, ""
    )
    replayed = replay_target.get({"limit": "1"})
    assert replayed.short_of == live.short_of and replayed.content == live.content
    assert len(server.heads) == 2  # the replay sent nothing
