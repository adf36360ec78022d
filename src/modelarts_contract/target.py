"""The target under test: where it is, how to reach it, and how to check what it answers."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import quote, urlsplit

import pytest
import requests

from modelarts_contract.auth import auth_for
from modelarts_contract.checks.core import Exchange, Ledger, Verifier
from modelarts_contract.config import SuiteConfig
from modelarts_contract.contract import OPERATION_PATH, Contract
from modelarts_contract.meter import Meter
from modelarts_contract.redact import Redactor
from modelarts_contract.timings import ResponseTimes
from modelarts_contract.transport import Guard, GuardedSession, Limits


class Target:
    def __init__(
        self,
        config: SuiteConfig,
        contract: Contract,
        ledger: Ledger | None = None,
        meter: Meter | None = None,
        redactor: Redactor | None = None,
        times: ResponseTimes | None = None,
        auth: requests.auth.AuthBase | None = None,  # default: from the config's credentials
    ) -> None:
        if config.base_url is None or config.project_id is None:
            raise ValueError("a target needs a base URL and a project id")
        self.config = config
        self.base_url = config.base_url
        self.project_id = config.project_id
        self.contract = contract
        self.redactor = redactor or Redactor(config.secrets)
        self.verifier = Verifier(
            contract, self.redactor, ledger or Ledger(), strict=config.strict, times=times
        )
        self.auth = auth or auth_for(
            config.auth_token, config.ak, config.sk, config.project_id, config.security_token
        )
        guard = Guard(
            config.base_url,
            meter or Meter(config.max_requests, config.rate_per_second),
            Limits(timeout=config.timeout, max_body_bytes=config.max_response_bytes),
            # The configured project and the one it may not read: no other path ever goes out.
            paths={urlsplit(self.url(p)).path for p in (self.project_id, config.other_project_id) if p},
            witness=self.redactor.remember_signature,
            sleep=self.verifier.times.sleep,  # the guard's waits are taken off the response times
        )
        self.session = GuardedSession(guard, verify=config.verify)
        self.session.auth = self.auth
        self.session.hooks["response"].append(self.verifier.times.answered)  # the waits off `elapsed`
        # What other modules keep for this target's run (under a StashKey of their own), never in globals.
        self.stash = pytest.Stash()

    def url(self, project_id: str | None = None) -> str:
        path = OPERATION_PATH.replace("{project_id}", quote(project_id or self.project_id, safe=""))
        return self.base_url + path

    def get(
        self,
        params: Mapping[str, str] | None = None,
        *,
        project_id: str | None = None,
        auth: requests.auth.AuthBase | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Exchange:
        """One GET of the operation with wire-ready string params, through the guarded session."""
        response = self.session.get(
            self.url(project_id),
            params=dict(params or {}),
            auth=auth or self.auth,
            headers=dict(headers or {}),
        )
        return Exchange.from_response(response, self.redactor)
