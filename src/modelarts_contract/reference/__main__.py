"""CLI: ``python -m modelarts_contract.reference [--host H] [--port P] [--data F.json]``.

``--variant NAME`` needs the variant catalogue, which sits above the reference (docs/architecture.md,
Layers): ``modelarts-reference`` (`modelarts_contract.matrix.serve`) passes it to `main`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

from modelarts_contract.parsing import is_loopback_host

from .app import ReferenceApp, build_app
from .data import Credentials, Dataset, DatasetError, default_dataset, load_dataset
from .iam import IamApp, Issuer, write_credentials
from .server import RunningServer, start

EXAMPLE_DATA = "examples/datasets/small-tenant.json"  # in the source tree
FORMAT_DOC = "python -m pydoc modelarts_contract.reference.data"
SERVES_VARIANTS = "modelarts-reference"  # the console script: this command with the catalogue


class Servable(Protocol):
    """A variant of the reference (`modelarts_contract.variants.Variant` is one)."""

    def build(self, dataset: Dataset | None = None) -> ReferenceApp: ...


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="modelarts-reference", description="ModelArts image-group reference server"
    )
    p.add_argument("--host", default="127.0.0.1", help="bind address (loopback only unless --allow-remote)")
    p.add_argument("--port", type=int, default=8080, help="port; 0 picks a free one")
    p.add_argument("--data", help=f"dataset JSON file (example: {EXAMPLE_DATA}; format: {FORMAT_DOC})")
    p.add_argument("--variant", help=f"serve a named variant of the catalogue instead ({SERVES_VARIANTS})")
    p.add_argument("--allow-remote", action="store_true", help="allow a non-loopback --host")
    p.add_argument(
        "--iam-port",
        type=int,
        help="also serve an IAM stand-in on this port (password tokens, temporary AK/SK); 0 picks one",
    )
    p.add_argument(
        "--credentials-dir",
        help="with --iam-port: write clouds.yaml, secure.yaml, an SDK credentials file and temporary.env here",
    )
    return p


def _exports(url: str, main: Credentials | None, other: Credentials | None) -> list[str]:
    exports = [f"MODELARTS_BASE_URL={url}"]
    if main:
        exports += [f"MODELARTS_PROJECT_ID={main.project_id}", f"MODELARTS_AUTH_TOKEN={main.token}"]
    if other:
        exports.append(f"MODELARTS_OTHER_PROJECT_ID={other.project_id}")
    # A target given by URL is paced at 10/s by default, loopback included (a tunnel to staging
    # looks like localhost too); this local stand-in needs no pacing.
    exports.append("MODELARTS_RATE_LIMIT=none")
    return exports


def _refusal(args: argparse.Namespace) -> str | None:
    if not args.allow_remote and not is_loopback_host(args.host):
        return f"refusing to bind {args.host}: not a loopback address (use --allow-remote)"
    if args.credentials_dir and args.iam_port is None:
        return "--credentials-dir needs --iam-port (the IAM stand-in the credentials are for)"
    return None


def _start_iam(app: ReferenceApp, dataset: Dataset, args: argparse.Namespace) -> RunningServer | None:
    """With --iam-port: the IAM stand-in, whose tokens and temporary keys `app` then accepts."""
    if args.iam_port is None:
        return None
    app.iam = Issuer(dataset.projects)
    running = start(IamApp(app.iam), args.host, args.iam_port, log_requests=True)
    if args.credentials_dir:
        print("\n".join(write_credentials(Path(args.credentials_dir), running.url, app.iam)))
    else:
        print(f"IAM stand-in on {running.url}/v3 (--credentials-dir DIR writes a clouds.yaml for it)")
    return running


def _build(dataset: Dataset, variant: str | None, catalogue: Mapping[str, Servable] | None) -> ReferenceApp:
    if variant is None:
        return build_app(dataset)
    if catalogue is None:
        raise LookupError(
            f"this command serves the reference only; {SERVES_VARIANTS} --variant NAME serves a variant"
        )
    if variant not in catalogue:
        raise LookupError("no such variant; python -m modelarts_contract.matrix --list shows them all")
    return catalogue[variant].build(dataset)


def main(argv: list[str] | None = None, catalogue: Mapping[str, Servable] | None = None) -> int:
    """The server; `catalogue` (variants by name) lets --variant serve one of them."""
    args = _parser().parse_args(argv)
    refusal = _refusal(args)
    if refusal is not None:
        print(refusal, file=sys.stderr)
        return 2
    try:
        dataset = load_dataset(args.data) if args.data else default_dataset()
    except DatasetError as exc:
        print(f"--data {exc}. Start from {EXAMPLE_DATA}; the format: {FORMAT_DOC}", file=sys.stderr)
        return 2
    try:
        app = _build(dataset, args.variant, catalogue)
    except (LookupError, ValueError) as exc:  # no catalogue, or an unknown name
        print(f"cannot build variant {args.variant!r}: {exc}", file=sys.stderr)
        return 2
    running = start(app, args.host, args.port, log_requests=True)
    iam = _start_iam(app, dataset, args)
    main_p = dataset.projects[0] if dataset.projects else None
    other = dataset.projects[1] if len(dataset.projects) > 1 else None
    print(f"Reference server listening on {running.url}")
    if main_p:
        print(f"project id: {main_p.project_id}\ntoken: {main_p.token}\nAK: {main_p.ak}\nSK: {main_p.sk}")
    if other:
        print(f"other project id: {other.project_id}")
    print("\n".join(f"export {e}" for e in _exports(running.url, main_p, other)), flush=True)
    try:
        running.thread.join()
    except KeyboardInterrupt:
        pass
    finally:
        for server in filter(None, (running, iam)):
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
