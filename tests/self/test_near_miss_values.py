"""Issue 19's derivations: near-miss credentials (each differs from the credential, its bash form
rebuilds exactly what was sent, the Redactor knows it) and near-miss filter values; and the meter's
requests per check family."""

from __future__ import annotations

import base64
import subprocess
import unicodedata

import pytest

from modelarts_contract.config import SuiteConfig
from modelarts_contract.meter import Meter, SharedMeter, family_of
from modelarts_contract.near_miss import secret_forms, token_near_misses, unknown_access_key
from modelarts_contract.near_values import near_values

TOKEN = "MIIE+hQYJ/KoZIhvcNAQcCoIIE=dj-reftoken-0f6b1d2c3e4a5968"


@pytest.mark.parametrize("token", [TOKEN, "abc", "A", "12345678901234567890"])
def test_token_near_misses_differ_from_the_token_and_from_each_other(token):
    misses = token_near_misses(token)
    sent = [m.headers for m in misses]
    assert len(set(sent)) == len(sent)
    assert all(value != token for m in misses for name, value in m.headers if name == "X-Auth-Token")
    schemes = {value.split(" ", 1)[0] for m in misses for name, value in m.headers if name == "Authorization"}
    assert schemes == {"Bearer", "Basic"}


def test_every_token_near_miss_is_there_for_a_long_token():
    labels = " | ".join(m.label for m in token_near_misses(TOKEN))
    for part in (
        "last character",
        "first 10",
        "first half",
        "case flipped",
        "appended",
        "empty",
        "Bearer",
        "Basic",
    ):
        assert part in labels


def test_the_bash_form_rebuilds_exactly_the_header_sent():
    for miss in token_near_misses(TOKEN):
        (name, value), (shell,) = miss.headers[0], miss.shell
        if shell == '"X-Auth-Token;"':  # curl's way of sending an empty header
            assert value == ""
            continue
        rebuilt = subprocess.run(
            ["bash", "-c", f"printf '%s' {shell}"],
            env={"MODELARTS_AUTH_TOKEN": TOKEN, "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout
        assert rebuilt == f"{name}: {value}", miss.label


def test_the_redactor_knows_every_near_miss():
    secrets = set(SuiteConfig(base_url=None, project_id=None, auth_token=TOKEN, ak="AKEXAMPLE1").secrets)
    for miss in token_near_misses(TOKEN):
        for _, value in miss.headers:
            assert not value or value.split(" ", 1)[-1] in secrets, miss.label
    assert unknown_access_key("AKEXAMPLE1") in secrets and unknown_access_key("AKEXAMPLE1") != "AKEXAMPLE1"
    assert base64.b64encode(f"user:{TOKEN}".encode()).decode() in secret_forms(TOKEN, None)


def test_near_filter_values_differ_from_the_data_by_what_backends_blur():
    names = ["pytorch", "pytorch", "my-bert_1.8", "café", "123"]
    found = near_values(names)
    assert found["trailing space of 'pytorch'"] == "pytorch "
    assert found["leading space of 'pytorch'"] == " pytorch"
    assert found["case changed of 'pytorch'"] == "PYTORCH"
    assert found["fullwidth of 'pytorch'"] == "".join(chr(ord(c) + 0xFEE0) for c in "pytorch")
    assert found["separators swapped of 'my-bert_1.8'"] == "my_bert.1-8"
    assert found["other normalisation form of 'café'"] == unicodedata.normalize("NFD", "café")
    assert {found["prefix of 'pytorch'"], found["suffix of 'pytorch'"]} == {"pyt", "orch"}
    assert found["inner substring of 'pytorch'"] == "ytorc"
    assert all(value not in names for value in found.values())


def test_near_filter_values_leave_out_forms_the_data_cannot_show():
    found = near_values(["123", "456"])
    assert not [label for label in found if label.startswith(("case", "other normalisation", "separators"))]
    assert near_values([]) == {}


def test_the_meter_counts_requests_per_family(tmp_path):
    for meter in (Meter(10), SharedMeter.create(tmp_path, 10, None)):
        meter.admit()
        meter.family = family_of("tests/contract/test_relations.py::test_relation[record-offsets]")
        meter.admit()
        meter.admit()
        assert meter.stats.families == {"preflight": 1, "test_relation[record-offsets]": 2}
        assert meter.stats.sent == 3
