"""A JUnit XML file for a run that never started: a usage error (exit 4) is one error test case.

pytest writes no `--junitxml` file when the configuration fails, and a CI dashboard would show a
missing file instead of "MODELARTS_BASE_URL is set but empty". Exits 6 and 7 need nothing here:
those runs start, and pytest's own JUnit writer records their stop test case.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from modelarts_contract.outputs import write_atomically

SUITE = "modelarts-contract"


def write_usage_error(path: Path, message: str) -> None:
    """Write (atomically) a JUnit document with one error case, `modelarts-contract::usage-error`."""
    suites = ET.Element("testsuites")
    suite = ET.SubElement(suites, "testsuite", name=SUITE, tests="1", errors="1", failures="0", skipped="0")
    case = ET.SubElement(suite, "testcase", classname=SUITE, name="usage-error")
    error = ET.SubElement(case, "error", message=f"usage error (exit 4): {message}")
    error.text = message
    write_atomically(path, ET.tostring(suites, encoding="unicode", xml_declaration=True))
