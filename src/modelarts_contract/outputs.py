"""Files the suite writes for its user: checked before the first request, written atomically.

An output path that cannot be used (an existing file where a directory is asked for, a read-only
directory or mount, a parent that cannot be made) is found before any request goes out, so that a
run does not end in a traceback with its verdict lost. Every file is written to a temporary file in
its own directory and renamed into place: a reader never sees half a file, and a symlink already
at the path is replaced, never written through. Stdlib only.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def _existing_ancestor(path: Path) -> Path:
    """The nearest of `path`'s ancestors that exists (a bounded climb: the root exists)."""
    for parent in path.absolute().parents:
        if parent.exists():
            return parent
    return Path(path.absolute().anchor)


def _not_writable(directory: Path) -> str | None:
    """Why no file can be made in `directory` (a real try: access() knows no read-only mounts)."""
    try:
        with tempfile.TemporaryFile(dir=directory, prefix=".modelarts-contract-probe-"):
            return None
    except OSError as exc:
        return f"{directory} is not writable ({exc.strerror or type(exc).__name__})"


def directory_problem(path: Path) -> str | None:
    """Why `path` cannot become a directory the suite writes files into; None when it can."""
    if path.exists():
        return f"{path} exists and is not a directory" if not path.is_dir() else _not_writable(path)
    if path.is_symlink():
        return f"{path} is a symlink to nothing"
    ancestor = _existing_ancestor(path)
    if not ancestor.is_dir():
        return f"{path} cannot be made: {ancestor} is not a directory"
    return _not_writable(ancestor)


def file_problem(path: Path) -> str | None:
    """Why a file cannot be written at `path` (its directory made as needed); None when it can."""
    if path.is_dir():
        return f"{path} is a directory"
    if path.exists() and not os.access(path, os.W_OK):
        return f"{path} exists and is not writable"
    problem = directory_problem(path.parent)
    return None if problem is None else f"{path} cannot be written: {problem}"


def write_atomically(path: Path, text: str) -> None:
    """`text` into `path` through a temporary file in the same directory, renamed into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            os.fchmod(out.fileno(), 0o644)  # as a plain write would leave it, not mkstemp's 0600
            out.write(text)
        os.replace(temporary, path)  # replaces a symlink at `path` itself, not what it points to
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def write_problem(path: Path, exc: OSError) -> str:
    """One line saying which file was not written and why."""
    return f"modelarts-contract: could not write {path}: {exc.strerror or exc}"


def output_problems(report_dir: str | None, junit_xml: str | None) -> list[str]:
    """Why the run's output paths (--report-dir, --junitxml) cannot be used, one line each."""
    problems = []
    if report_dir:
        problem = directory_problem(Path(report_dir).expanduser())
        if problem is not None:
            problems.append(f"--report-dir: {problem}")
    if junit_xml:
        problem = file_problem(Path(os.path.expandvars(junit_xml)).expanduser())
        if problem is not None:
            problems.append(f"--junitxml: {problem}")
    return problems
