"""R16, secrets: tokens, AK, SK and signatures appear in no output of a run, even a failing one with
the leakiest options (--tb=long, -l, -rA, -vv, junit_logging=all), against a mutant that echoes the
credentials it receives in its error bodies. The reproduction commands still run once the secret is
put back in the environment."""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import os
import re
import subprocess
import sys
import textwrap
from dataclasses import replace
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
from tests.self.helpers import CONTRACT, SuiteRun, remote_env, run_suite
from werkzeug.wrappers import Request, Response

from modelarts_contract import redact
from modelarts_contract.config import SuiteConfig
from modelarts_contract.near_miss import secret_forms
from modelarts_contract.redact import REDACTED, Redactor
from modelarts_contract.reference import (
    Credentials,
    Dataset,
    ReferenceApp,
    build_app,
    data,
    default_dataset,
    serve,
)

_HEX = hashlib.sha256(b"modelarts-contract secrets test").hexdigest()
TOKEN = "SECRET-TOKEN-3f7a" + _HEX * 4 + "-END"  # IAM tokens are long: saferepr cuts them
AK = "SECRETAK3F7A" + _HEX[:8].upper()
SK = "SECRET-SK-3f7a" + _HEX[8:34]
SECRETS = (TOKEN, AK, SK)
NEAR_MISSES = tuple(sorted(secret_forms(TOKEN, AK)))  # the R1 near-misses: as secret as the secrets
WINDOW = 16  # no run of this many characters of a secret may appear either
LEAKY = ("--tb=long", "-l", "-rA", "-vv", "-o", "junit_logging=all")
# The contract tests that fail against the EchoingMutant, each failure quoting an echo (the others
# pass, quoting nothing, and send the same credentials through the same transport): run_suite's `tests`.
ECHOED = (
    *(CONTRACT / name for name in ("test_auth.py", "test_near_miss.py", "test_generated.py")),
    *(f"{CONTRACT / 'test_edges.py'}::test_edges_against_the_listing[{case}]"
      for case in ("integers", "filter-sort")),
    *(f"{CONTRACT / 'test_relations.py'}::test_relation[{case}]" for case in (
        "pages-join-to-listing[default-order]", "pages-join-to-listing[namespace,create_at]",
        "record-offsets", "paging-words-ignored", "every-ordering-stable")),
)  # fmt: skip


class EchoingMutant(ReferenceApp):
    """Echoes the credentials it receives in error bodies, which the failure reports quote: a 500 for
    big pages (R14), a 403 for the configured credentials past the first page (R1), and lets anyone
    without credentials in (R1)."""

    def handle(self, request: Request) -> Response:
        authorization = request.headers.get("Authorization", "")
        said = f"{request.headers.get('X-Auth-Token')} {authorization}"
        bare = re.search(r"Signature=([0-9a-f]+)", authorization)
        if bare:  # the signature alone first (reports quote the start of a body), in a form of the turn
            forms = list(signature_forms(bare.group(1)).items())
            name, form = forms[next(self.turns) % len(forms)]
            said = f"{name}={form} {said}"
        limit, offset = request.args.get("limit", ""), request.args.get("offset", "0")
        if limit.isdigit() and int(limit) > 1000:
            return self.error(500, "ModelArts.0010", f"internal error for {said}")
        if offset not in ("", "0") and (
            request.headers.get("X-Auth-Token") or request.headers.get("Authorization")
        ):
            return self.error(403, "ModelArts.0210", f"forbidden for {said}")
        return super().handle(request)

    turns = itertools.count()  # next() is atomic: the server's threads share it

    def authenticate(self, request: Request, project_id: str) -> Response | None:
        if not request.headers.get("X-Auth-Token") and not request.headers.get("Authorization"):
            return None
        denied = super().authenticate(request, project_id)
        if denied is not None and denied.status_code == 401:  # a near-miss, echoed in a failure (R1)
            said = f"{request.headers.get('X-Auth-Token')} {request.headers.get('Authorization', '')}"
            return self.error(403, "ModelArts.0210", f"forbidden for {said}")
        return denied


def signature_forms(signature: str) -> dict[str, str]:
    """An AK/SK signature (lowercase hex) as a target might echo it without its `Signature=`."""
    text, digest = signature.encode(), bytes.fromhex(signature)
    return {
        "hex": signature,
        "HEX": signature.upper(),
        "percent": "".join(f"%{byte:02X}" for byte in text),
        "base64": base64.b64encode(text).decode(),
        "base64-digest": base64.b64encode(digest).decode(),
        "base64url-digest": base64.urlsafe_b64encode(digest).decode().rstrip("="),
        "json-escaped": "".join(f"\\u{byte:04x}" for byte in text),
        "hex-of-text": text.hex(),
    }


def assert_no_signature(texts: dict[str, str], signatures: set[str]) -> None:
    """No run of WINDOW characters of a signature, in any of its forms (a window as long as the
    form writes WINDOW characters of the signature), in any output."""
    windows: dict[int, set[str]] = {}
    characters: set[str] = set()
    for signature in signatures:
        for form in signature_forms(signature).values():
            size = WINDOW * max(1, round(len(form) / len(signature)))
            windows.setdefault(size, set()).update(form[i : i + size] for i in range(len(form) - size + 1))
            characters.update(form)
    if not windows:
        return
    # A piece lies inside a run of the characters the forms are written with: only such runs, as long
    # as the shortest piece, are searched (most of an output is words, spaces and punctuation).
    runs = re.compile(f"[{''.join(re.escape(c) for c in sorted(characters))}]{{{min(windows)},}}")
    for where, text in texts.items():
        for run in (m.group() for m in runs.finditer(text)):
            for size, pieces in windows.items():
                found = next(
                    (run[i : i + size] for i in range(len(run) - size + 1) if run[i : i + size] in pieces),
                    None,
                )
                assert found is None, f"a piece of a signature in {where}: {found!r}"


def dataset() -> Dataset:
    base = default_dataset()
    main = Credentials(data.MAIN_PROJECT_ID, TOKEN, AK, SK)
    return replace(base, projects=[main, *base.projects[1:]])


def outputs(run: SuiteRun, folder: Path) -> dict[str, str]:
    texts = {"stdout": run.stdout, "stderr": run.stderr}
    for path in folder.rglob("*"):
        if path.is_file():
            texts[str(path)] = path.read_bytes().decode("utf-8", errors="replace")
    return texts


def assert_no_secret(texts: dict[str, str], signatures: set[str]) -> None:
    windows = {s[i : i + WINDOW] for s in (*SECRETS, *NEAR_MISSES) for i in range(len(s) - WINDOW + 1)}
    for where, text in texts.items():
        for secret in (*SECRETS, *NEAR_MISSES, *signatures):
            assert secret not in text, f"a secret in {where}"
        found = [w for w in windows if w in text]
        assert not found, f"a piece of a secret in {where}: {found[0]!r}"


def reproductions(run: SuiteRun) -> list[str]:
    """The reproduction commands of the failure reports (a line of their own, not a repr of one)."""
    pattern = r"^E?\s*request:\s+((?:curl|python -m modelarts_contract\.replay) .+)$"
    return re.findall(pattern, run.stdout, re.MULTILINE)


def report_files(folder: Path) -> None:
    """The conformance report (Markdown, HTML) from the ledger, when the report package is there."""
    pytest.importorskip("modelarts_contract.report")
    subprocess.run(
        [sys.executable, "-m", "modelarts_contract.report", str(folder)],
        capture_output=True,
        timeout=120,
        check=True,
    )


@pytest.mark.parametrize("mode", ["token", "aksk"])
@pytest.mark.e2e
def test_no_secret_in_any_output(tmp_path, mode):
    out, cwd, home = tmp_path / "out", tmp_path / "cwd", tmp_path / "home"
    for folder in (out, cwd, home):
        folder.mkdir()
    credentials = (
        {"MODELARTS_AUTH_TOKEN": TOKEN}
        if mode == "token"
        else {"MODELARTS_AUTH_TOKEN": "", "HUAWEICLOUD_SDK_AK": AK, "HUAWEICLOUD_SDK_SK": SK}
    )
    secret_env = {"HOME": str(home), "MODELARTS_MAX_EXAMPLES": "10", **credentials}
    with serve(build_app(dataset(), app_cls=EchoingMutant)) as server:
        env = remote_env(server.url, **secret_env)
        recording = ("--record", str(out / "run.har"))  # every exchange, echoes included: scrubbed too
        outputs_asked = ("--junitxml", str(out / "junit.xml"), "--report-dir", str(out), *recording)
        run = run_suite(env, *LEAKY, *outputs_asked, tests=ECHOED, cwd=cwd)
        marker = "$MODELARTS_AUTH_TOKEN" if mode == "token" else "python -m modelarts_contract.replay"
        commands = [command for command in reproductions(run) if marker in command]  # with credentials
        replays = [replay(command, {**os.environ, **credentials}) for command in commands[:2]]
        replayed = [status for status, _ in replays]
        received = server.requests.snapshot()
    assert run.code == 1, run.output[-3000:]
    assert all(
        clause in run.stdout
        for clause in ("R14.no-server-error", "R1.no-credentials", "R1.valid-credentials")
    )
    assert re.search(r"forbidden for .*\[REDACTED\]", run.stdout)  # the echo was quoted, and scrubbed
    report_files(out)
    signatures = {
        m for r in received for m in re.findall(r"Signature=([0-9a-f]+)", r.headers.get("Authorization", ""))
    }
    assert signatures or mode == "token"
    texts = outputs(run, tmp_path)
    assert '"_credential"' in texts[str(out / "run.har")]
    if mode == "aksk":  # our replay command prints what the target answered, scrubbed (curl is curl)
        texts |= {f"replay {i}": output for i, (_, output) in enumerate(replays)}
    assert_no_secret(texts, signatures)
    assert_no_signature(texts, signatures)
    if mode == "aksk":  # the bare signatures were echoed, quoted in the reports, and scrubbed there
        assert re.search(r"forbidden for [a-z0-9-]+=\[REDACTED\]", run.stdout, re.IGNORECASE)
    # Runnable once the secret is back in the environment: the target accepts them (not 401).
    assert commands and all(status.isdigit() and status != "401" for status in replayed), (
        commands[:2],
        replayed,
    )
    assert not any(mark in command for command in reproductions(run) for mark in ("[REDACTED]", "[Filtered]"))


def replay(command: str, env: dict[str, str]) -> tuple[str, str]:
    """Run a reproduction command from a failure report; the status it got, and what it printed."""
    if command.startswith("python "):
        command = command.replace("python", f"'{sys.executable}'", 1)
    proc = subprocess.run(
        ["bash", "-c", command], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    found = re.search(r"^HTTP(?:/[\d.]+)? (\d{3})", proc.stdout, re.MULTILINE)
    status = found.group(1) if found else f"no status: {proc.stdout[-300:]} {proc.stderr[-300:]}"
    return status, proc.stdout + proc.stderr


# A test that leaks on purpose, as a future check might by mistake: the plugin's last net (every
# report is scrubbed before the terminal, JUnit XML or any other plugin sees it) must hold.
LEAKING = textwrap.dedent(
    """
    import logging


    def test_leaks_everywhere(target):
        token = target.config.auth_token
        print("debug: token", token)
        logging.getLogger("x").warning("token %s", token)
        assert {"header": "x" * 150 + token} == {}  # a diff, and reprs cut inside the token
    """
)


@pytest.mark.e2e
def test_the_last_net_catches_a_leaking_test(tmp_path):
    out, cwd = tmp_path / "out", tmp_path / "cwd"
    out.mkdir(), cwd.mkdir()
    (cwd / "test_leaking.py").write_text(LEAKING, encoding="utf-8")
    with serve(build_app(dataset())) as server:
        env = remote_env(server.url, MODELARTS_AUTH_TOKEN=TOKEN, HOME=str(tmp_path))
        args = ("-p", "modelarts_contract.pytest_plugin", *LEAKY, "--junitxml", str(out / "junit.xml"))
        run = run_suite(env, *args, tests=cwd, cwd=cwd)
    assert run.code == 1, run.output[-3000:]
    assert "debug: token [REDACTED]" in run.stdout
    assert_no_secret(outputs(run, tmp_path), set())


# --- the redactor on its own: every encoding a target or a library may give the secret ---------------

# An IAM token is base64 with '+', '/' and '='; an SK may hold anything. The 'é' gives multi-byte
# UTF-8 and a \u escape that is not ASCII.
ODD = "MIIE+hQYJ/KoZIhvcNAQcCoIIE=dj&key=v?a l:u~e-é-" + _HEX[:24]


def _encodings(secret: str) -> dict[str, str]:
    raw = secret.encode()
    escaped = "".join(f"\\u{ord(c):04x}" for c in secret)
    encodings = {
        "plain": secret,
        "quote": quote(secret, safe=""),
        "quote (safe /)": quote(secret),
        "quote_plus": quote_plus(secret),
        "lower-case escapes": re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), quote(secret, safe="")),
        "hex": raw.hex(),
        "HEX": raw.hex().upper(),
        "\\u": escaped,
        "\\U": escaped.upper().replace("\\U", "\\u"),
        "\\u in a repr": repr(escaped.encode())[2:-1],
        "json.dumps": json.dumps({"token": secret}),
        "json.dumps, not ASCII": json.dumps({"token": secret}, ensure_ascii=False),
        "JSON with \\/": json.dumps({"token": secret}).replace("/", "\\/"),
    }
    for prefix in (b"", b"u", b"us", b"user:", b"Basic user:"):  # the three alignments, and more
        for suffix in (b"", b"!", b":x"):
            blob = prefix + raw + suffix
            encodings[f"base64 of {prefix!r}+secret+{suffix!r}"] = base64.b64encode(blob).decode()
            encodings[f"base64url of {prefix!r}+secret+{suffix!r}"] = (
                base64.urlsafe_b64encode(blob).decode().rstrip("=")
            )
    return encodings


def _windows(bits: str, secret: str) -> list[str]:
    """The runs of `bits` that hold WINDOW characters of the secret (60 characters of hex, say)."""
    size = WINDOW * max(1, round(len(bits) / len(secret)))
    return [bits[i : i + size] for i in range(len(bits) - size + 1)]


def _secret_bits_of(name: str, encoded: str, secret: str) -> str:
    """The part of `encoded` that only the secret determines (a base64 blob holds other bytes too)."""
    if not name.startswith("base64"):
        return encoded
    prefix = eval(name.split(" of ", 1)[1].split("+", 1)[0])  # the bytes literal in the name
    first = -(-8 * len(prefix) // 6)
    return encoded[first : 8 * (len(prefix) + len(secret.encode())) // 6]


@pytest.mark.parametrize("secret", [TOKEN, ODD, SK], ids=["token", "odd-characters", "sk"])
def test_every_encoding_of_a_secret_is_scrubbed(secret):
    redactor = Redactor([secret])
    for name, encoded in _encodings(secret).items():
        bits = _secret_bits_of(name, encoded, secret)
        for text in (encoded, f"before {encoded} after", f"{{'body': b'{encoded}'}}"):
            clean = redactor.scrub(text)
            left = [window for window in _windows(bits, secret) if window in clean]
            assert not left, f"{name}: {left[0]!r} left in {clean!r}"
            assert REDACTED in clean


@pytest.mark.parametrize("secret", [TOKEN, ODD], ids=["token", "odd-characters"])
def test_a_cut_encoding_is_scrubbed_too(secret):
    """A repr cut to length (content[:200], saferepr) keeps only the start of an encoded secret."""
    redactor = Redactor([secret])
    for name, encoded in _encodings(secret).items():
        bits = _secret_bits_of(name, encoded, secret)
        cut = f"b'{encoded[: len(encoded) // 2]}...'"
        clean = redactor.scrub(cut)
        assert not any(window in clean for window in _windows(bits, secret)), name


@pytest.mark.parametrize("form", NEAR_MISSES)
def test_every_near_miss_form_is_scrubbed(form):
    """The run's Redactor knows every near-miss the R1 checks derive (SuiteConfig.secrets), in every
    encoding and cut, as the secret itself."""
    secrets = SuiteConfig(base_url=None, project_id=None, auth_token=TOKEN, ak=AK, sk=SK).secrets
    redactor = Redactor(secrets)
    assert form in secrets
    for name, encoded in _encodings(form).items():
        bits = _secret_bits_of(name, encoded, form)
        for text in (f"before {encoded} after", f"b'{encoded[: len(encoded) // 2]}...'"):
            clean = redactor.scrub(text)
            assert not any(window in clean for window in _windows(bits, form)), (name, clean)
        assert form not in redactor.scrub(f"x{form}x")


def test_ordinary_text_is_left_alone():
    redactor = Redactor([TOKEN, AK, SK, ODD])
    other = hashlib.sha256(b"another value").digest()
    texts = [
        "[R8.body-schema] The 200 body has integer current, pages, size, total and an array data",
        'actual: status 400: b\'{"error_code": "ModelArts.0101", "error_msg": "Invalid limit"}\'',
        "curl -sS -i 'http://127.0.0.1:1/v1/p/images/group?limit=1' -H \"X-Auth-Token: $MODELARTS_AUTH_TOKEN\"",
        base64.b64encode(other * 4).decode(),
        other.hex() * 3,
        json.dumps({"name": "é" * 40, "data": ["/" * 30]}),
        quote("a value with spaces, slashes / and & ampersands " * 3, safe=""),
    ]
    for text in texts:
        assert redactor.scrub(text) == text


def test_short_secrets_are_replaced_but_their_encodings_are_not_hunted():
    """Forms shorter than FRAGMENT would scrub ordinary text ('YWJj' is base64 of 'abc')."""
    redactor = Redactor(["abc"])
    assert redactor.scrub("xabcx YWJj 616263") == f"x{REDACTED}x YWJj 616263"


def test_the_redactor_computes_the_encodings_once(monkeypatch):
    calls = []
    original = redact.encoded_forms
    monkeypatch.setattr(redact, "encoded_forms", lambda secret: calls.append(secret) or original(secret))
    redactor = Redactor([TOKEN, SK])
    for encoded in _encodings(TOKEN).values():
        redactor.scrub(encoded)
    assert sorted(calls) == sorted([TOKEN, SK])


SIGNATURE = hashlib.sha256(b"a request signed in this run").hexdigest()


@pytest.mark.parametrize("name", list(signature_forms(SIGNATURE)))
def test_every_form_of_a_signature_sent_is_scrubbed(name):
    """The signatures are not known ahead: the transport hands each one over as it sends it."""
    redactor = Redactor([TOKEN])
    redactor.remember_signature(hashlib.sha256(b"an earlier request").hexdigest())
    redactor.remember_signature(SIGNATURE)
    form = signature_forms(SIGNATURE)[name]
    for text in (form, f"echo: {form} end", f'b\'{{"sig": "{form}"}}\'', f"b'{form[: len(form) // 2]}...'"):
        clean = redactor.scrub(text)
        assert REDACTED in clean, (name, text)
        assert not any(window in clean for window in _windows(form[: len(form) // 2], SIGNATURE)), (
            name,
            clean,
        )


def test_hex_that_is_no_signature_is_left_alone():
    redactor = Redactor()
    redactor.remember_signature(SIGNATURE)
    other = hashlib.sha256(b"a checksum in the data").hexdigest()
    texts = [other, other.upper(), base64.b64encode(other.encode()).decode(), "2024-01-01T00:00:00Z deadbeef"]
    assert [redactor.scrub(text) for text in texts] == texts
