"""Data model and datasets of the reference server.

An ``Image`` is one image VERSION; the API lists GROUPS, the versions of one
(namespace, name) in a project + workspace (create_at = min, update_at = max,
version_count = count). Every dataset is deterministic: no wall clock, and
randomness only through ``random.Random(seed)``.

JSON format (``Dataset.to_json`` / ``load_dataset``; the reference CLI's ``--data``)::

    {"projects": [{"project_id": "...", "token": "...", "ak": "...", "sk": "..."}, ...],
     "images": [{"project_id": "...", "workspace_id": "0", "namespace": "...", "name": "...",
                 "tag": "...", "type": "DEDICATED", "service_type": "TRAIN",
                 "create_at": 1600000000000, "update_at": 1600000000000}, ...]}

Every key is required; values are strings, except create_at and update_at (integers,
UTC milliseconds); type is BUILD_IN or DEDICATED; service_type is COMMON, INFERENCE,
TRAIN, DEV or UNKNOWN. At least one project: the first is the "main" one the suite
uses; the second, if any, is the "other" project whose credentials must not read the
main project. Each image is one version; the server groups them.

A complete example to start from, in the source tree: ``examples/datasets/small-tenant.json``
(two projects, two workspaces, names that test the filters, a group of 12 versions).
"""

from __future__ import annotations

import json
import random
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

T = TypeVar("T", bound="DataclassInstance")  # Image or Credentials

TYPES = ("BUILD_IN", "DEDICATED")
SERVICE_TYPES = ("COMMON", "INFERENCE", "TRAIN", "DEV", "UNKNOWN")

# Distinctive secrets so that tests can grep outputs for leaks.
MAIN_PROJECT_ID = "5f2d8c1e9a7b4c3d8e6f0a1b2c3d4e5f"
MAIN_TOKEN = "reftoken-main-0f6b1d2c3e4a5968778695a4b3c2d1e0"
MAIN_AK = "REFAKMAIN7Q2W4E6R8T0Y"
MAIN_SK = "refsk-main-Zx81Kq27Lm39Np45Ob63Ju02Hy"
OTHER_PROJECT_ID = "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b"
OTHER_TOKEN = "reftoken-other-7a1c9e3b5d7f9a1c3e5b7d9f1a3c5e7b"
OTHER_AK = "REFAKOTHER3U5I7O9P1A"
OTHER_SK = "refsk-other-Qw12Er34Ty56Ui78Op90As"

DEFAULT_WORKSPACE_ID = "0"
SECOND_WORKSPACE_ID = "3f9k2m7q8x1c5v6b0n4h2j7l9p3r8t1w"  # 32 chars of [0-9a-z]

START_MS = 1577836800000  # 2020-01-01T00:00:00Z
END_MS = 1717200000000  # 2024-06-01T00:00:00Z
DAY_MS = 86_400_000


class DatasetError(ValueError):
    """A dataset the reference server cannot use: one line that says where and why."""


@dataclass(frozen=True)
class Image:
    project_id: str
    workspace_id: str
    namespace: str
    name: str
    tag: str
    type: str
    service_type: str
    create_at: int
    update_at: int


@dataclass(frozen=True)
class Credentials:
    project_id: str
    token: str
    ak: str
    sk: str


@dataclass
class Dataset:
    images: list[Image] = field(default_factory=list)
    projects: list[Credentials] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "projects": [asdict(p) for p in self.projects],
            "images": [asdict(i) for i in self.images],
        }

    @classmethod
    def from_json(cls, doc: object) -> Dataset:
        """The dataset a JSON document describes; DatasetError names the first entry that is wrong."""
        if not isinstance(doc, dict):
            raise DatasetError(f'expected an object with "projects" and "images", got {_kind(doc)}')
        projects = _entries(doc, "projects", Credentials)
        if not projects:
            raise DatasetError('"projects" is empty: the first project is the one the suite reads')
        return cls(images=_entries(doc, "images", Image), projects=projects)


_ENUMS = {"type": TYPES, "service_type": SERVICE_TYPES}
_JSON_TYPES = {"int": (int, "an integer"), "str": (str, "a string")}  # field annotation -> JSON type


def _kind(value: object) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}.get(
        type(value), "null" if value is None else "a number"
    )


def _entries(doc: dict[str, Any], key: str, kind: type[T]) -> list[T]:
    items = doc.get(key, [])
    if not isinstance(items, list):
        raise DatasetError(f'"{key}" must be an array, got {_kind(items)}')
    return [_entry(kind, item, f"{key}[{n}]") for n, item in enumerate(items)]


def _entry(kind: type[T], item: object, where: str) -> T:
    if not isinstance(item, dict):
        raise DatasetError(f"{where} must be an object, got {_kind(item)}")
    missing = [f.name for f in fields(kind) if f.name not in item]
    if missing:
        raise DatasetError(f"{where} lacks {', '.join(missing)}")
    for f in fields(kind):
        value, (wanted, called) = item[f.name], _JSON_TYPES[str(f.type)]
        if type(value) is not wanted:  # not isinstance: a JSON true is no timestamp
            raise DatasetError(f"{where}.{f.name} must be {called}, got {_kind(value)}")
        if f.name in _ENUMS and value not in _ENUMS[f.name]:
            raise DatasetError(f"{where}.{f.name} must be one of {', '.join(_ENUMS[f.name])}, got {value!r}")
    return kind(**{f.name: item[f.name] for f in fields(kind)})


def default_projects() -> list[Credentials]:
    return [
        Credentials(MAIN_PROJECT_ID, MAIN_TOKEN, MAIN_AK, MAIN_SK),
        Credentials(OTHER_PROJECT_ID, OTHER_TOKEN, OTHER_AK, OTHER_SK),
    ]


def load_dataset(path: str | Path) -> Dataset:
    """The dataset in a JSON file; DatasetError, one line starting with the path, if it is unusable."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DatasetError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise DatasetError(f"{path}: is a directory, not a JSON file") from None
    except UnicodeDecodeError as exc:
        raise DatasetError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise DatasetError(f"{path}: cannot read it: {exc.strerror or exc}") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DatasetError(
            f"{path}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None
    except (ValueError, RecursionError) as exc:  # a number too long to convert, nesting too deep
        raise DatasetError(f"{path}: unusable JSON: {exc}") from None
    try:
        return Dataset.from_json(doc)
    except DatasetError as exc:
        raise DatasetError(f"{path}: {exc}") from None


NAMESPACES = (
    "modelarts-team",
    "ai-lab",
    "op_svc_modelarts_container2",
    "infer-dev",
    "research.group",
    "mock-service1",
)
# Names that are substrings of other names, with '_', '-', '.' and digits.
KEY_NAMES = ("pytorch", "pytorch_1_8", "my-pytorch-infer", "123", "mock-service-python", "tf2.6")
BASES: tuple[str, ...] = (
    "pytorch",
    "tensorflow",
    "mindspore",
    "notebook",
    "custom",
    "cuda",
    "python",
    "ubuntu",
)
BASES += ("mxnet", "spark", "jupyter", "llama", "bert", "resnet", "yolo", "opencv")
PREFIXES = ("", "", "my-", "team_", "x.")
SUFFIXES = ("", "_1_8", "-gpu", "-cpu", ".v2", "-infer", "_train", "-dev", "2", "-base")


def _versions(
    rng: random.Random, project: str, workspace: str, ns: str, name: str, count: int | None = None
) -> list[Image]:
    count = count or rng.randint(1, 5)
    mixed = rng.random() < 0.15  # some groups mix types across versions
    gtype = rng.choice(TYPES)
    out = []
    for k in range(count):
        create = rng.randint(START_MS, END_MS - 40 * DAY_MS)
        update = create + rng.choice((0, rng.randint(1, 30 * DAY_MS)))
        vtype = rng.choice(TYPES) if mixed else gtype
        svc = rng.choice(SERVICE_TYPES)
        out.append(Image(project, workspace, ns, name, f"v{k + 1}", vtype, svc, create, update))
    return out


def _pinned(group: list[Image], create: int, update: int) -> list[Image]:
    """Every version at the same instants: the group's create_at/update_at become exactly these."""
    return [replace(i, create_at=create, update_at=update) for i in group]


def _group_keys(rng: random.Random, n: int) -> list[tuple[str, str]]:
    names = sorted({p + b + s for p in PREFIXES for b in BASES for s in SUFFIXES} | set(KEY_NAMES))
    keys = {(ns, k) for ns in NAMESPACES[:3] for k in KEY_NAMES}  # same names in several namespaces
    keys |= {("mock-service1", "mock-service-python"), ("xxxxx-infer-model-dev", "123")}
    while len(keys) < n:
        keys.add((rng.choice(NAMESPACES), rng.choice(names)))
    return sorted(keys)


def _groups(
    rng: random.Random, project: str, workspace: str, keys: list[tuple[str, str]]
) -> list[list[Image]]:
    return [_versions(rng, project, workspace, ns, name) for ns, name in keys]


# Version counts of one and two digits, on groups that tie in create_at and update_at: sorted by
# (create_at, version_count) the second key decides, and 9 < 10 < 11 < 12 only as numbers, not as text.
WIDE_VERSION_COUNTS = (9, 10, 11, 12)
TIE_GROUPS = 16 + len(WIDE_VERSION_COUNTS)  # the groups _with_ties rewrites


def _with_ties(rng: random.Random, groups: list[list[Image]]) -> list[list[Image]]:
    """Make ties in the sort keys: identical create_at, update_at and version_count; and groups of
    one- and two-digit version counts that tie in the timestamps."""
    picks = rng.sample(range(len(groups)), TIE_GROUPS)
    tie_create, tie_update = START_MS + 400 * DAY_MS, START_MS + 410 * DAY_MS
    for i in picks[:8]:  # full ties: same create_at, update_at and (forced) version_count 2
        ns, name = groups[i][0].namespace, groups[i][0].name
        two = _versions(rng, groups[i][0].project_id, groups[i][0].workspace_id, ns, name, count=2)
        groups[i] = _pinned(two, tie_create, tie_update)
    for n, i in enumerate(picks[8:16]):  # same create_at only / same update_at only
        shift = n * DAY_MS
        create, update = (tie_create, tie_update + shift) if n % 2 else (tie_create - shift, tie_update)
        groups[i] = _pinned(groups[i], create, update)
    wide_create, wide_update = START_MS + 500 * DAY_MS, START_MS + 520 * DAY_MS
    for count, i in zip(WIDE_VERSION_COUNTS, picks[16:], strict=True):
        ns, name = groups[i][0].namespace, groups[i][0].name
        many = _versions(rng, groups[i][0].project_id, groups[i][0].workspace_id, ns, name, count=count)
        groups[i] = _pinned(many, wide_create, wide_update)
    return groups


def _flatten(groups: list[list[Image]]) -> list[Image]:
    return [image for group in groups for image in group]


def default_dataset(seed: int = 20240618) -> Dataset:
    rng = random.Random(seed)
    keys = _group_keys(rng, 340)
    main = _with_ties(rng, _groups(rng, MAIN_PROJECT_ID, DEFAULT_WORKSPACE_ID, keys))
    # Second workspace: some groups share namespace + name with workspace "0".
    ws_keys = sorted(set(rng.sample(keys, 20)) | {("ai-lab", f"ws-only-{i}") for i in range(15)})
    ws2 = _groups(rng, MAIN_PROJECT_ID, SECOND_WORKSPACE_ID, ws_keys)
    other_keys = sorted(
        {("modelarts-team", "pytorch"), ("ai-lab", "pytorch_1_8")}
        | {("other-org", f"other-image-{i}") for i in range(18)}
    )
    other = _groups(rng, OTHER_PROJECT_ID, DEFAULT_WORKSPACE_ID, other_keys)
    return Dataset(images=_flatten(main + ws2 + other), projects=default_projects())


def empty_dataset() -> Dataset:
    return Dataset(images=[], projects=default_projects())


def single_group_dataset() -> Dataset:
    rng = random.Random(1)
    group = _versions(rng, MAIN_PROJECT_ID, DEFAULT_WORKSPACE_ID, "modelarts-team", "pytorch_1_8", count=2)
    return Dataset(images=group, projects=default_projects())


def large_dataset(groups: int = 1200, seed: int = 7) -> Dataset:
    """A tenant of exactly `groups` groups in workspace "0" of the main project, any number from 0
    (R18); with ties in the sort keys once there are enough groups to make them."""
    rng = random.Random(seed)
    keys = sorted({(rng.choice(NAMESPACES), f"{rng.choice(BASES)}-{i}") for i in range(groups)})
    main = _groups(rng, MAIN_PROJECT_ID, DEFAULT_WORKSPACE_ID, keys)
    if len(main) >= TIE_GROUPS:
        main = _with_ties(rng, main)
    return Dataset(images=_flatten(main), projects=default_projects())
