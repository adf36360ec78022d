"""A replay of a large recording holds one entry at a time: peak memory stays far below its size."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest
from tests.self.helpers import ROOT

from modelarts_contract.recording import har
from modelarts_contract.redact import Redactor

ENTRIES, BODY = 50, 1 << 20  # 50 answers of 1 MiB: a 50 MB recording
BASE = "http://127.0.0.1:9"
PATH = "/v1/p0123456789/images/group"

# Run in a fresh process: the baseline is the memory in use after the imports (VmRSS), the peak
# after the replay; the difference is what opening and replaying cost at most. The peak is the
# kernel's VmHWM: getrusage's ru_maxrss would do in a process started from a small parent, but Linux
# keeps it across fork and exec, so under pytest it starts at the pytest process's own peak.
MEASURE = textwrap.dedent(
    f"""
    import json, sys
    from pathlib import Path
    import requests
    from modelarts_contract.recording.credentials import CredentialLabels
    from modelarts_contract.recording.player import Player
    from modelarts_contract.recording.reader import Har

    def kib(field):
        status = Path("/proc/self/status").read_text().splitlines()
        return int(next(line for line in status if line.startswith(field)).split()[1])

    before = kib("VmRSS:")
    player = Player(Har(Path(sys.argv[1])), CredentialLabels("token-0000000000", None, None), 8 << 20)
    sizes = []
    for n in range({ENTRIES}):
        request = requests.Request("GET", "{BASE}{PATH}", params={{"offset": str(n)}}).prepare()
        request.headers["X-Auth-Token"] = "token-0000000000"
        sizes.append(len(player(request).content))
    after = kib("VmHWM:")
    print(json.dumps({{"grew_kib": after - before, "sizes": sizes}}))
    """
)


def _write_recording(path) -> None:
    part = path.with_suffix(".part")
    redactor = Redactor()
    with part.open("w", encoding="utf-8") as out:
        for n in range(ENTRIES):
            body = (f'{{"n": {n}, "pad": "' + "x" * (BODY - 30)).encode() + b'"}'
            made = har.Exchanged(
                "GET", f"{BASE}{PATH}?offset={n}", {"X-Auth-Token": "t"}, 200, "OK",
                [("Content-Type", "application/json")], body, None, 1_700_000_000 + n, 0.01, "configured",
            )  # fmt: skip
            item = har.entry(made, redactor)
            har.append(out, item)
    meta = {"base_url": BASE, "project_id": "p0123456789", "other_project_id": "p9", "target": BASE}
    har.write_recording(path, meta, [part])


@pytest.mark.slow  # writes and replays 50 MB
def test_replaying_a_50_mb_recording_stays_within_bounded_memory(tmp_path):
    recording = tmp_path / "large.har"
    _write_recording(recording)
    assert recording.stat().st_size > 50 * 10**6
    proc = subprocess.run(
        [sys.executable, "-c", MEASURE, str(recording)], cwd=ROOT, capture_output=True, text=True,
        timeout=300, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    measured = json.loads(proc.stdout)
    assert len(measured["sizes"]) == ENTRIES and min(measured["sizes"]) >= BODY - 30
    # One entry in flight (its line, its parsed text, its body): a few MiB, never the whole file.
    assert measured["grew_kib"] < 16 * 1024, measured["grew_kib"]
    print(f"peak RSS grew {measured['grew_kib']} KiB replaying {recording.stat().st_size} bytes")
