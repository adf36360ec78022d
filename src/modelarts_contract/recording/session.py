"""A run's recording or replay: what the pytest plugin and the run hold, one object per process."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from modelarts_contract import __version__
from modelarts_contract.config import ConfigError, SuiteConfig
from modelarts_contract.neutral import neutral
from modelarts_contract.recording import har
from modelarts_contract.recording.credentials import CredentialLabels
from modelarts_contract.recording.player import Player
from modelarts_contract.recording.reader import Har, HarError
from modelarts_contract.recording.recorder import Recorder
from modelarts_contract.redact import Redactor
from modelarts_contract.transport import Guard

# Credentials a replay signs with when none are given: the recording has none, and a request carries
# the configured credentials or not whichever they are (credentials.py labels them so).
STAND_IN_TOKEN = "replay-stand-in-token-00000000"
STAND_IN_AK, STAND_IN_SK = "REPLAYSTANDINACCESSKEY", "replay-stand-in-secret-key-0000"
_SAME = ("base_url", "project_id", "other_project_id")


def _label(option: str) -> str:
    return f"--{option.replace('_', '-')}"


def replay_config(recording: Har, config: SuiteConfig) -> SuiteConfig:
    """The run's options for a replay of `recording`: its target, stand-in credentials, no pace.
    ConfigError (a usage error) when the recording is not ours or not of the target asked for."""
    try:
        ours = recording.ours
    except HarError as exc:
        raise ConfigError(f"--replay: {exc}") from None
    if ours is None:
        raise ConfigError(
            f"--replay: {recording.where} is not a recording of modelarts-contract --record (no "
            f"{har.META_KEY} field); a HAR from elsewhere is judged with python -m modelarts_contract.judge"
        )
    recorded: dict[str, str] = {n: ours[n] for n in _SAME if isinstance(ours.get(n), str)}
    if len(recorded) != len(_SAME):
        raise ConfigError(f"--replay: {recording.where}: its {har.META_KEY} field lacks the target")
    _same_target(recording, recorded, config)
    if config.reference_variant is not None:
        raise ConfigError("--replay answers from the recording: leave out --reference-variant")
    aksk = ours.get("auth") == "aksk"
    if config.secrets and (config.auth_mode == "aksk") != aksk:
        raise ConfigError(f"--replay: {recording.where} was recorded with {ours.get('auth')} credentials")
    if not config.secrets:
        config = dataclasses.replace(
            config,
            auth_token=None if aksk else STAND_IN_TOKEN,
            ak=STAND_IN_AK if aksk else None,
            sk=STAND_IN_SK if aksk else None,
        )
    return dataclasses.replace(
        config,
        rate_per_second=None,
        base_url=recorded["base_url"],
        project_id=recorded["project_id"],
        other_project_id=recorded["other_project_id"],
    )


def _same_target(recording: Har, recorded: dict[str, str], config: SuiteConfig) -> None:
    for name in _SAME:
        given = getattr(config, name)
        if given is not None and given != recorded[name]:
            raise ConfigError(
                f"--replay: {recording.where} is a recording of another {name.replace('_', ' ')} "
                f"({neutral(str(recorded[name]))[:200]}); {_label(name)} asks for {neutral(given)[:200]}"
            )


class Recording:
    """`--record FILE` and/or `--replay FILE` of one run (or one xdist worker of it)."""

    def __init__(self, record: Path | None = None, replay: Har | None = None) -> None:
        self.record, self.replay = record, replay
        self.meta: dict[str, Any] = {}
        self.parts: list[Path] = []
        self.not_recorded: list[str] = []  # "test: request" of each test a replay could not answer
        self._recorder: Recorder | None = None
        self.written: int | None = None  # entries in the recording written at the end

    def attach(self, guard: Guard, config: SuiteConfig, redactor: Redactor, where: str) -> None:
        """Put the player and the recorder at the guard's seam, for the target `config` describes."""
        labels = CredentialLabels(config.auth_token, config.ak, config.sk)
        if self.replay is not None:
            guard.wire = Player(self.replay, labels, config.max_response_bytes)
        if self.record is not None:
            self._recorder = Recorder(self.record, redactor, labels)
            guard.tap = self._recorder
            self.meta = meta_of(config, where)

    def describe(self) -> str | None:
        """What a replay answers from, as the run's header and summary say it."""
        if self.replay is None:
            return None
        return f"replay of {self.replay.where} (recorded from {self.recorded_target()})"

    def recorded_target(self) -> str | None:
        """The target of the run the replayed recording holds (a base URL, or the embedded server)."""
        ours = (self.replay.ours or {}) if self.replay is not None else {}
        return neutral(str(ours["target"])) if "target" in ours else None

    def replayed(self) -> dict[str, Any] | None:
        """For the ledger: the recording a replay answered from."""
        if self.replay is None:
            return None
        return {"file": self.replay.where, "use": "replay", "not_in_recording": sorted(self.not_recorded)}

    def summary_lines(self) -> list[str]:
        """What the run's summary says of its recording or replay."""
        lines = []
        if self.replay is not None:
            missing = len(self.not_recorded)
            lines.append(
                f"{self.describe()}: no request sent; {missing} test(s) not exercised: not in the recording"
            )
        if self.record is not None and self.written is not None:
            lines.append(
                f"recorded {self.written} exchange(s), credentials redacted, to {neutral(str(self.record))}"
            )
        return lines

    def worker_output(self) -> dict[str, Any]:
        """An xdist worker's recording, for the controller: its part file and what it recorded from."""
        part = self._recorder.close() if self._recorder is not None else None
        return {"part": str(part) if part else None, "meta": self.meta, "not_recorded": self.not_recorded}

    def collect(self, output: dict[str, Any]) -> None:
        """xdist controller: a worker's part, merged at the end."""
        if output.get("part"):
            self.parts.append(Path(output["part"]))
        self.meta = self.meta or output.get("meta") or {}
        self.not_recorded += output.get("not_recorded") or []

    def finish(self) -> int | None:
        """Controller: the recording written from every part (None when not recording)."""
        if self.record is None:
            return None
        if self._recorder is not None:
            self.parts.append(self._recorder.close())
        try:
            self.written = har.write_recording(self.record, self.meta, self.parts)
            return self.written
        finally:
            for part in self.parts:
                part.unlink(missing_ok=True)


def meta_of(config: SuiteConfig, where: str) -> dict[str, Any]:
    """What a recording says of the run it recorded (our custom field): enough to replay it."""
    return {
        "target": where,
        "base_url": config.base_url,
        "project_id": config.project_id,
        "other_project_id": config.other_project_id,
        "auth": config.auth_mode,
        "suite_version": __version__,
        "seed": config.seed,
        "max_examples": config.max_examples,
        "max_response_bytes": config.max_response_bytes,
        "strict_fields": config.strict,
    }
