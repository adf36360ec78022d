"""Reference server: a faithful implementation of rulings R1-R15 over SQLite, on 127.0.0.1."""

from .app import BadParameter, ReferenceApp, build_app
from .data import (
    MAIN_AK,
    MAIN_PROJECT_ID,
    MAIN_SK,
    MAIN_TOKEN,
    OTHER_AK,
    OTHER_PROJECT_ID,
    OTHER_SK,
    OTHER_TOKEN,
    SECOND_WORKSPACE_ID,
    Credentials,
    Dataset,
    Image,
    default_dataset,
    empty_dataset,
    large_dataset,
    load_dataset,
    single_group_dataset,
)
from .query import ListQuery
from .server import RecordedRequest, RunningServer, serve, start
from .store import Group, Store

__all__ = [
    "MAIN_AK",
    "MAIN_PROJECT_ID",
    "MAIN_SK",
    "MAIN_TOKEN",
    "OTHER_AK",
    "OTHER_PROJECT_ID",
    "OTHER_SK",
    "OTHER_TOKEN",
    "SECOND_WORKSPACE_ID",
    "BadParameter",
    "Credentials",
    "Dataset",
    "Group",
    "Image",
    "ListQuery",
    "RecordedRequest",
    "ReferenceApp",
    "RunningServer",
    "Store",
    "build_app",
    "default_dataset",
    "empty_dataset",
    "large_dataset",
    "load_dataset",
    "serve",
    "single_group_dataset",
    "start",
]
