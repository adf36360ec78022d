"""The variant catalogue: each mutant really misbehaves on the probes declared with it, and (slow) the
contract suite kills every mutant by its clause, passes every benign variant, and sends nothing but GET.
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
from modelarts_contract.variants import CATALOGUE, Variant, get, mutants
from modelarts_contract.variants.base import Probe, mutant
from modelarts_contract.variants.base import benign as benign_variant

NAMES = list(CATALOGUE)
HOST = "127.0.0.1:8080"
PROBED = [name for name, v in CATALOGUE.items() if v.probes]  # others: other datasets, AK/SK auth


@dataclass(frozen=True)
class _Keys:  # what Signer reads; BasicCredentials would write $HOME/.huaweicloud
    ak: str
    sk: str


def _signed(path: str, params: dict[str, str], sk: str, when: datetime) -> dict[str, str]:
    """AK/SK headers as the SDK's signer makes them, with a chosen secret key and X-Sdk-Date."""
    headers = {"X-Sdk-Date": when.strftime("%Y%m%dT%H%M%SZ")}
    request = SdkRequest("GET", "http", HOST, path, query_params=list(params.items()), header_params=headers)
    return Signer(_Keys(MAIN_AK, sk)).sign(request).header_params


def _answer(app: ReferenceApp, probe: Probe) -> tuple:
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


def test_every_mutant_has_a_probe():
    assert not [v.name for v in mutants() if not v.probes]
    with pytest.raises(ValueError, match="no probe"):
        mutant("probe-less", "R9.pages", ReferenceApp, probes=[])


def test_a_declaration_is_refused_without_a_readable_name_and_summary():
    with pytest.raises(ValueError, match="kebab-case"):
        mutant("Pages_Floor", "R9.pages", ReferenceApp, probes=[{}], summary="pages floored")
    with pytest.raises(ValueError, match="one-line summary"):
        benign_variant("no-summary", "R9.pages", summary="")
    with pytest.raises(KeyError, match="unknown variant"):
        get("no-such-variant")


@pytest.mark.parametrize("name", PROBED)
def test_variant_differs_from_the_reference(name: str, dataset: Dataset, reference: ReferenceApp):
    """Evidence that each mutant really misbehaves (and each benign variant takes its freedom)."""
    variant = get(name)
    if variant.dataset is not default_dataset:  # data of its own: the reference on the same data
        dataset, reference = variant.dataset(), build_app(variant.dataset())
    app = variant.build(dataset)
    differing = [p for p in variant.probes if _answer(app, p) != _answer(reference, p)]
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
