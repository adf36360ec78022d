"""`--record`: each exchange the transport makes, as it is made, into a part file of entry lines.

Every process of a run (each pytest-xdist worker, or the only one) records into a part of its own in
the recording's directory; at the end of the run the controller merges the parts by start time into
the recording (har.write_recording) and removes them.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import requests

from modelarts_contract.recording import har
from modelarts_contract.recording.credentials import CredentialLabels
from modelarts_contract.redact import Redactor
from modelarts_contract.stops import TargetUnreachable


class Recorder:
    """The transport's `tap`: one redacted HAR entry per exchange, appended to this process's part."""

    def __init__(self, recording: Path, redactor: Redactor, labels: CredentialLabels) -> None:
        self._redactor = redactor
        self._labels = labels
        handle, name = tempfile.mkstemp(dir=recording.parent, prefix=f".{recording.name}.", suffix=".part")
        self.part = Path(name)
        self._out = os.fdopen(handle, "w", encoding="utf-8")

    def __call__(
        self,
        request: requests.PreparedRequest,
        outcome: requests.Response | TargetUnreachable,
        started: float,
        seconds: float,
    ) -> None:
        method, url, credential = request.method or "GET", request.url or "", self._labels.label(request)
        if isinstance(outcome, TargetUnreachable):
            made = har.Exchanged(
                method, url, request.headers, 0, "", [], b"", None, started, seconds, credential, str(outcome)
            )
        else:
            raw_headers = getattr(outcome.raw, "headers", None)
            pairs = list((raw_headers if raw_headers is not None else outcome.headers).items())
            made = har.Exchanged(
                method, url, request.headers, outcome.status_code, outcome.reason or "", pairs,
                outcome.content, getattr(outcome, "truncated_at", None), started, seconds, credential,
                short_of=getattr(outcome, "short_of", None),
            )  # fmt: skip
        har.append(self._out, har.entry(made, self._redactor))

    def close(self) -> Path:
        """Done recording: the part, for the controller to merge."""
        if not self._out.closed:
            self._out.close()
        return self.part
