"""SQLite store of image versions; filtering, grouping, sorting and paging happen in SQL.

SEAMS for mutants: ``where``, ``order_by``, ``page``, ``count``, ``fetch``, ``list``.

The versions never change once loaded, so the groups of one WHERE clause are computed once, into a
temporary table, and every page and count of that filter reads the table: a large tenant's pages
cost a sort, not a GROUP BY over every version twice. The latest `GROUPED_TABLES` filters are kept.
"""

from __future__ import annotations

import itertools
import sqlite3
import threading
from collections import OrderedDict
from dataclasses import dataclass, fields
from operator import attrgetter
from typing import Any, TypeAlias

from .data import Dataset, Image
from .query import SORT_KEYS, ListQuery

_SCHEMA = """
CREATE TABLE versions (
    project_id TEXT NOT NULL, workspace_id TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL,
    tag TEXT NOT NULL, type TEXT NOT NULL, service_type TEXT NOT NULL,
    create_at INTEGER NOT NULL, update_at INTEGER NOT NULL
);
CREATE INDEX versions_scope ON versions (project_id, workspace_id, namespace, name);
"""

# One row per (namespace, name); the outer ORDER BY refers to these column names only.
_GROUPS = """
SELECT namespace, name, MIN(create_at) AS create_at, MAX(update_at) AS update_at, COUNT(*) AS version_count
FROM versions WHERE {where} GROUP BY namespace, name
"""

DEFAULT_SORT_KEY = "create_at"
GROUPED_TABLES = 64  # filters whose groups stay computed (a long-running server meets many)
# Named here because Store.list shadows the builtin inside the class body.
SqlArgs: TypeAlias = list[str | int]  # the values bound to a statement's "?"s: text columns and integers
Rows: TypeAlias = list[tuple[Any, ...]]  # what sqlite3 fetches: typed by the statement, not by Python
# An Image as its row (the fields are in column order); dataclasses.astuple deep-copies every value.
_ROW = attrgetter(*(f.name for f in fields(Image)))


@dataclass(frozen=True)
class Group:
    namespace: str
    name: str
    create_at: int
    update_at: int
    version_count: int


class Store:
    def __init__(self, dataset: Dataset) -> None:
        # One shared connection for the server's worker threads; the lock serialises access.
        self._db = sqlite3.connect(":memory:", check_same_thread=False)
        self._lock = threading.Lock()
        self._db.executescript(_SCHEMA)
        self._db.executemany(
            "INSERT INTO versions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [_ROW(i) for i in dataset.images],
        )
        self._db.commit()
        self._grouped: OrderedDict[tuple[str, tuple[str | int, ...]], str] = OrderedDict()  # filter -> table
        self._table_numbers = itertools.count()

    def where(self, q: ListQuery) -> tuple[str, SqlArgs]:
        clauses = ["project_id = ?", "workspace_id = ?"]
        args: SqlArgs = [q.project_id, q.workspace_id]
        if q.name:  # R4: empty = no filter
            # instr, not LIKE: LIKE treats '_' and '%' as wildcards and ignores ASCII case.
            clauses.append("instr(name, ?) > 0" if q.name_fuzzy_match else "name = ?")
            args.append(q.name)
        for column in ("namespace", "type", "service_type"):
            value = getattr(q, column)
            if value:
                clauses.append(f"{column} = ?")
                args.append(value)
        return " AND ".join(clauses), args

    def order_by(self, q: ListQuery) -> str:
        keys = [k for k in (q.sort_key or (DEFAULT_SORT_KEY,)) if k in SORT_KEYS]  # never raw SQL
        direction = "ASC" if q.sort_dir == "ASC" else "DESC"
        terms = [f"{k} {direction}" for k in keys]
        # Deterministic tie-break (R9): (namespace, name) is unique within a listing.
        return ", ".join([*terms, "namespace ASC", "name ASC"])

    def page(self, q: ListQuery) -> tuple[int, int]:
        return q.limit, q.offset

    def count(self, q: ListQuery) -> int:
        where, args = self.where(q)
        return int(self._query(where, args, "SELECT COUNT(*) FROM {groups}", [])[0][0])

    def fetch(self, q: ListQuery) -> list[Group]:
        where, args = self.where(q)
        limit, offset = self.page(q)
        sql = "SELECT * FROM {groups} ORDER BY " + self.order_by(q) + " LIMIT ? OFFSET ?"
        return [Group(*row) for row in self._query(where, args, sql, [limit, offset])]

    def list(self, q: ListQuery) -> tuple[list[Group], int]:
        return self.fetch(q), self.count(q)

    def _query(self, where: str, args: SqlArgs, sql: str, more_args: SqlArgs) -> Rows:
        """`sql` over the groups that `where` selects (`{groups}` in it names their table)."""
        with self._lock:
            table = self._groups_table(where, args)
            return self._db.execute(sql.replace("{groups}", table), more_args).fetchall()

    def _groups_table(self, where: str, args: SqlArgs) -> str:
        """The temporary table of the groups `where` selects, computed on first use (under the lock)."""
        key = (where, tuple(args))
        table = self._grouped.get(key)
        if table is not None:
            self._grouped.move_to_end(key)
            return table
        table = f"groups_{next(self._table_numbers)}"
        self._db.execute(f"CREATE TEMP TABLE {table} AS {_GROUPS.format(where=where)}", args)
        self._grouped[key] = table
        if len(self._grouped) > GROUPED_TABLES:
            _, oldest = self._grouped.popitem(last=False)
            self._db.execute(f"DROP TABLE {oldest}")
        return table
