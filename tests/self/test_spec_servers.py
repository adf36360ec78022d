"""The spec's servers are documentation: each is a valid --base-url, and none changes where requests go.

schemathesis takes the path of the first server as a base path for every operation, so a server URL
with a path (say .../v1) would move every generated request. The contract suite's own requests are
checked against the embedded server in test_safety_readonly.py.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from modelarts_contract.config import SuiteConfig
from modelarts_contract.contract import load_document
from modelarts_contract.generation import load_schema

SERVERS = load_document()["servers"]


def expand(server: dict) -> list[str]:
    """Every URL a server stands for: one per value of its (single) variable, or the URL itself."""
    variables = server.get("variables", {})
    assert len(variables) <= 1, "one variable per server: the region"
    if not variables:
        return [server["url"]]
    ((name, variable),) = variables.items()
    assert variable["default"] in variable["enum"]
    return [server["url"].replace(f"{{{name}}}", value) for value in variable["enum"]]


@pytest.mark.parametrize("server", SERVERS, ids=[s["url"] for s in SERVERS])
def test_every_server_is_a_base_url_the_suite_accepts(server):
    for url in expand(server):
        assert urlsplit(url).scheme == "https" and urlsplit(url).path == ""
        env = {
            "MODELARTS_BASE_URL": url,
            "MODELARTS_PROJECT_ID": "p1",
            "MODELARTS_AUTH_TOKEN": "tok-0123456789",
        }
        assert SuiteConfig.from_sources({}, env).base_url == url


def test_the_servers_add_no_base_path_to_generated_requests():
    assert load_schema(SuiteConfig.from_sources({}, {})).base_path == "/"
