"""--record FILE and --replay FILE read with the other options: a replay takes its target from the
recording, and a base URL given too must be the recorded one."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from modelarts_contract.config import ConfigError, SuiteConfig
from modelarts_contract.options import OPTION
from modelarts_contract.recording.reader import Har, HarError
from modelarts_contract.recording.session import Recording, replay_config


def configure_recording(options: Mapping[str, Any]) -> tuple[SuiteConfig, Recording]:
    """The run's config from `options`, and its recording: ConfigError (exit 4) for an unusable file."""
    record = OPTION["record"].read(options.get("record"), os.environ)
    replay = OPTION["replay"].read(options.get("replay"), os.environ)
    record_path = Path(record) if record else None
    if record_path is not None and not record_path.parent.is_dir():
        raise ConfigError(
            f"--record: no directory {str(record_path.parent)!r} to write {record_path.name} in"
        )
    if replay is None:
        return SuiteConfig.from_sources(options), Recording(record_path)
    if record_path is not None and record_path.resolve() == Path(replay).resolve():
        raise ConfigError("--record and --replay name the same file")
    try:
        recording = Har(Path(replay))
    except HarError as exc:
        raise ConfigError(f"--replay: {exc}") from None
    variable = OPTION["base_url"].env
    base_url = options.get("base_url") or os.environ.get(variable) or None
    environment = {k: v for k, v in os.environ.items() if k != variable}
    given = SuiteConfig.from_sources({**options, "base_url": None}, environment)
    if base_url:
        given = dataclasses.replace(given, base_url=str(base_url).rstrip("/"))
    return replay_config(recording, given), Recording(record_path, recording)
