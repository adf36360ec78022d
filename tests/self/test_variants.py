"""The variant catalogue: its clause ids exist, each mutant really misbehaves, and (slow) the contract
suite kills every mutant by its clause, passes every benign variant, and sends nothing but GET.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer
from werkzeug.test import Client

from modelarts_contract.reference import (
    MAIN_AK,
    MAIN_PROJECT_ID,
    MAIN_SK,
    MAIN_TOKEN,
    OTHER_PROJECT_ID,
    Dataset,
    ReferenceApp,
    build_app,
    default_dataset,
)
from modelarts_contract.variants import (
    CATALOGUE,
    Variant,
    benign,
    get,
    mutants,
    near_miss_mutants,
    near_value_mutants,
    paging_word_mutants,
    stability_mutants,
)

NAMES = list(CATALOGUE)
HOST = "127.0.0.1:8080"

# Requests on which a variant must answer differently from the reference ("@auth"/"@project" are not
# sent as parameters: they pick the credentials and the path). Benign variants without an entry
# (other datasets, AK/SK auth) behave exactly like the reference on the default data.
PROBES: dict[str, list[dict[str, str]]] = {
    "field-missing-version-count": [{}],
    "total-as-string": [{}],
    "timestamps-iso-strings": [{}],
    "data-null-on-empty-page": [{"offset": "5000"}],
    "content-type-text-plain": [{}],
    "error-body-missing-msg": [{"limit": "0"}],
    "error-body-html": [{"limit": "abc"}],
    "update-before-create": [{}],
    "timestamps-in-seconds": [{}],
    "version-count-zero-based": [{"limit": "2000"}],
    "limit-zero-accepted": [{"limit": "0"}],
    "negative-offset-accepted": [{"offset": "-3"}],
    "unknown-enum-accepted": [{"type": "PUBLIC"}, {"service_type": "train"}],
    "sort-dir-case-insensitive": [{"sort_dir": "asc"}],
    "fuzzy-match-lenient": [{"name": "py", "name_fuzzy_match": "TRUE"}, {"name_fuzzy_match": "1"}],
    "sort-key-unchecked": [{"sort_key": "id"}, {"sort_key": "name,"}],
    "crash-on-non-integer-limit": [{"limit": "ten"}],
    "crash-on-large-limit": [{"limit": "100000"}],
    "crash-on-non-ascii-name": [{"name": "pytörch"}],
    "unknown-param-rejected": [{"page_size": "10"}],
    "redirect-trailing-slash": [{}],
    "page-past-end-404": [{"offset": "340"}],
    "no-auth-required": [{"@auth": "none"}],
    "missing-credentials-403": [{"@auth": "none"}],
    "any-token-accepted": [{"@auth": "bad-token"}],
    "other-project-readable": [{"@project": "other"}],
    "signature-not-verified": [{"@auth": "bad-signature"}],
    "stale-date-accepted": [{"@auth": "stale-date"}],
    "escaped-query-rejected": [{"@auth": "signed", "name": "bild-ü"}],
    "pages-rounded-down": [{"limit": "7"}],
    "pages-always-one": [{"limit": "7"}],
    "total-counts-page": [{"limit": "7"}],
    "current-zero-based": [{"limit": "7", "offset": "14"}],
    "current-is-offset": [{"limit": "7", "offset": "14"}],
    "offset-as-page-index": [{"limit": "7", "offset": "2"}],
    "offset-snapped-to-page": [{"limit": "7", "offset": "3"}],
    "limit-ignored": [{"limit": "7"}],
    "limit-plus-one": [{"limit": "7"}],
    "limit-minus-one": [{"limit": "7"}],
    "limit-capped-at-100": [{"limit": "150"}],
    "default-limit-10": [{}],
    "default-limit-unbounded": [{}],
    "size-is-total": [{"limit": "7"}],
    "group-listed-twice": [{"limit": "7", "offset": "7"}],
    "fuzzy-default-false": [{"name": "pytorch"}],
    "fuzzy-flag-ignored": [{"name": "pytorch", "name_fuzzy_match": "false"}],
    "fuzzy-flag-inverted": [{"name": "pytorch"}],
    "name-filter-like": [{"name": "pytorch_1"}, {"name": "PyTorch"}],
    "name-filter-case-insensitive": [{"name": "PyTorch"}],
    "name-prefix-only": [{"name": "torch"}],
    "namespace-substring": [{"namespace": "ai"}],
    "total-ignores-filters": [{"name": "pytorch"}],
    "type-filter-all-workspaces": [{"type": "DEDICATED", "limit": "2000"}],
    "empty-name-matches-nothing": [{"name": ""}],
    "workspace-default-all": [{}],
    "sort-dir-ignored": [{"sort_key": "name", "sort_dir": "ASC"}],
    "sort-dir-default-asc": [{"sort_key": "name"}],
    "sort-per-page": [{"sort_key": "name", "limit": "20", "offset": "20"}],
    "sort-first-key-only": [{"sort_key": "namespace,name"}],
    "ties-random": [{"limit": "2000"}] * 3,
    "sql-built-by-hand": [{"name": "'"}, {"namespace": "o'brien"}],
    "filter-values-trimmed": [{"name": " "}],
    "percent-decoded-twice": [{"name": "%5F"}],
    "name-filter-glob": [{"name": "*"}],
    "name-filter-regex": [{"name": "."}],
    "namespace-case-insensitive": [{"namespace": "AI-LAB"}],
    "namespace-like": [{"namespace": "ai_lab"}],
    "column-length-255": [{"name": "a" * 256}],
    "four-byte-character-crash": [{"name": "\U0001f600"}],
    "control-character-crash": [{"name": "\x00"}],
    "offset-plus-limit-int32": [{"offset": "339", "limit": "2147483647"}],
    "search-window-error": [{"limit": "10001"}],
    "search-window-empty": [{"limit": "10001"}],
    "numeric-keys-sorted-as-text": [{"sort_key": "version_count", "limit": "2000"}],
    "repeated-sort-key-crash": [{"sort_key": "name,name"}],
    "enum-whitespace-trimmed": [{"sort_dir": " ASC"}, {"type": "DEDICATED "}],
    "filters-dropped-after-first-page": [{"name": "pytorch", "limit": "5", "offset": "5"}],
    "int32-bounds-unchecked": [{"limit": "2147483648"}],
    "extra-fields": [{}],
    "json-charset": [{}],
    "other-project-404": [{"@project": "other"}],
    "size-is-limit": [{"offset": "330", "limit": "20"}],
    "pages-one-when-empty": [{"name": "zz-no-such-image"}],
    "other-tie-break": [{"limit": "2000"}],
    "default-sort-update-at": [{}],
    "strict-name-format": [{"name": "PyTorch"}],
    "name-too-long-400": [{"name": "a" * 513}],
    "strict-documented-formats": [{"workspace_id": "ws-1"}, {"namespace": "a" * 65}],
    "error-solution-field": [{"limit": "0"}],
    "throttled": [{}] * 7,
    **near_miss_mutants.PROBES,
    **paging_word_mutants.PROBES,
    **stability_mutants.PROBES,
    **near_value_mutants.PROBES,
}


@dataclass(frozen=True)
class _Keys:  # what Signer reads; BasicCredentials would write $HOME/.huaweicloud
    ak: str
    sk: str


def _signed(path: str, params: dict[str, str], sk: str, when: datetime) -> dict[str, str]:
    """AK/SK headers as the SDK's signer makes them, with a chosen secret key and X-Sdk-Date."""
    headers = {"X-Sdk-Date": when.strftime("%Y%m%dT%H%M%SZ")}
    request = SdkRequest("GET", "http", HOST, path, query_params=list(params.items()), header_params=headers)
    return Signer(_Keys(MAIN_AK, sk)).sign(request).header_params


def _answer(app: ReferenceApp, probe: dict[str, str]) -> tuple:
    """One request through the WSGI app (no sockets: fast), reduced to what a client can compare."""
    params = {k: v for k, v in probe.items() if not k.startswith("@")}
    project = OTHER_PROJECT_ID if probe.get("@project") == "other" else MAIN_PROJECT_ID
    path = f"/v1/{project}/images/group"
    headers = {
        "token": lambda: {"X-Auth-Token": MAIN_TOKEN},
        "none": dict,
        "bad-token": lambda: {"X-Auth-Token": "invalid-" + "0" * 24},
        "bad-signature": lambda: _signed(path, params, "not-the-secret-key", datetime.now(UTC)),
        "signed": lambda: _signed(path, params, MAIN_SK, datetime.now(UTC)),
        "stale-date": lambda: _signed(path, params, MAIN_SK, datetime.now(UTC) - timedelta(hours=1)),
    }[probe.get("@auth", "token")]()
    headers |= {k.removeprefix("@header:"): v for k, v in probe.items() if k.startswith("@header:")}
    r = Client(app).get(path, query_string=params, headers=headers, base_url=f"http://{HOST}")
    return r.status_code, r.headers.get("Content-Type"), r.headers.get("Location"), r.get_data()


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    return default_dataset()


@pytest.fixture(scope="module")
def reference(dataset: Dataset) -> ReferenceApp:
    return build_app(dataset)


@pytest.mark.parametrize("name", NAMES)
def test_variant_is_well_formed(name: str):
    v = get(name)
    assert v.summary and "\n" not in v.summary, "a one-line summary"
    assert v.kind in ("mutant", "benign") and v.auth in ("token", "aksk")
    assert v.clauses and (v.kind == "benign" or v.app_cls.__doc__ or v.store_cls.__doc__)
    assert name == name.lower() and " " not in name and "_" not in name, "kebab-case"


def test_catalogue_partition_and_lookup():
    assert {v.name for v in mutants()} | {v.name for v in benign()} == set(CATALOGUE)
    assert len(mutants()) >= 50 and len(benign()) >= 10
    with pytest.raises(KeyError, match="known variants"):
        get("no-such-variant")


def test_every_mutant_has_a_probe():
    assert not [v.name for v in mutants() if v.name not in PROBES]
    assert not set(PROBES) - set(CATALOGUE)


@pytest.mark.parametrize("name", [n for n in NAMES if n in PROBES])
def test_variant_differs_from_the_reference(name: str, dataset: Dataset, reference: ReferenceApp):
    """Evidence that each mutant really misbehaves (and each benign variant takes its freedom)."""
    variant = get(name)
    if variant.dataset is not default_dataset:  # data of its own: the reference on the same data
        dataset, reference = variant.dataset(), build_app(variant.dataset())
    app = variant.build(dataset)
    differing = [p for p in PROBES[name] if _answer(app, p) != _answer(reference, p)]
    assert differing, f"{name} answers every probe exactly like the reference"


def _verdict_detail(result) -> str:
    return f"{result.verdict}; broken {result.broken}; exit {result.exit_code}\n{result.output_tail}"


@pytest.mark.slow
@pytest.mark.xdist_group("kill-matrix")
@pytest.mark.parametrize("name", NAMES)
def test_contract_suite_judges_variant(name: str, variant_result):
    variant: Variant = get(name)
    result = variant_result
    assert result.methods <= {"GET"}, f"R16: the server saw {sorted(result.methods)}"
    if variant.kind == "mutant":
        assert result.exit_code == 1, f"mutant survived: {_verdict_detail(result)}"
        assert set(variant.clauses) & set(result.broken), (
            f"killed by another clause: {_verdict_detail(result)}"
        )
    else:
        assert result.exit_code == 0, f"benign variant failed: {_verdict_detail(result)}"
