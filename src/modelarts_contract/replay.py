"""Re-send one GET from a failure report, with the credentials from the environment.

An AK/SK signature is bound to its moment, so a report cannot hold a runnable signed curl: this
signs anew (HUAWEICLOUD_SDK_AK/SK, or sends MODELARTS_AUTH_TOKEN) through the guarded transport
(GET only, no redirects, TLS verified, MODELARTS_CA_BUNDLE honoured).

    python -m modelarts_contract.replay 'https://host/v1/PROJECT/images/group?limit=1' [-H 'Name: value']
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from urllib.parse import unquote, urlsplit

from modelarts_contract.auth import auth_for
from modelarts_contract.config import ConfigError, SuiteConfig
from modelarts_contract.environment import EXIT_ENVIRONMENT
from modelarts_contract.meter import Meter
from modelarts_contract.neutral import header_text, neutral
from modelarts_contract.redact import Redactor
from modelarts_contract.stops import SuiteStop
from modelarts_contract.transport import MAX_RETRIES, Guard, GuardedSession, Limits

_PROJECT = re.compile(r"/v1/([^/]+)/")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m modelarts_contract.replay", description=__doc__.splitlines()[0]
    )
    parser.add_argument("url")
    parser.add_argument("-H", dest="headers", action="append", default=[], help="'Name: value'")
    args = parser.parse_args(argv)
    parts = urlsplit(args.url)
    found = _PROJECT.search(parts.path)
    project = os.environ.get("MODELARTS_PROJECT_ID") or (unquote(found.group(1)) if found else None)
    options = {"base_url": f"{parts.scheme}://{parts.netloc}", "project_id": project, "rate_limit": "none"}
    try:
        config = SuiteConfig.from_sources(options, os.environ)
    except ConfigError as exc:
        print(f"replay: {exc}", file=sys.stderr)
        return 4
    assert config.base_url is not None
    redactor = Redactor(config.secrets)  # the target may echo the token or the signature back
    limits = Limits(timeout=config.timeout, max_body_bytes=config.max_response_bytes)
    guard = Guard(config.base_url, Meter(1 + MAX_RETRIES), limits, witness=redactor.remember_signature)
    session = GuardedSession(guard, verify=config.verify)
    session.auth = auth_for(config.auth_token, config.ak, config.sk, config.project_id, config.security_token)
    headers = dict(tuple(part.strip() for part in h.split(":", 1)) for h in args.headers if ":" in h)
    try:
        response = session.get(args.url, headers=headers)
    except SuiteStop as exc:
        print(f"replay: {redactor.text(str(exc))}", file=sys.stderr)
        return EXIT_ENVIRONMENT
    lines = [f"HTTP {response.status_code} {response.reason}"]
    lines += [f"{name}: {header_text(value)}" for name, value in response.headers.items()]
    lines += ["", response.text]
    if getattr(response, "truncated_at", None) is not None:
        lines.append(f"(cut at {config.max_response_bytes} bytes: --max-response-bytes)")
    print(neutral(redactor.text("\n".join(lines)), lines=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
