"""The EXPLAIN pass: does every query a measured page makes use an index at the bench's scale?

Each page's SQL, captured in process (`run.probe`, the second request), is the statement as it
ran, its values bound (psycopg's client-side binding, `connection.ops.last_executed_query`). One
statement per distinct query shape is planned with `EXPLAIN (FORMAT JSON)` on the same connection
and settings, never with ANALYZE: nothing is executed, so INSERT, UPDATE and DELETE are planned
too. Statements that cannot be planned (SAVEPOINT, RELEASE, ...) are skipped and counted.

A plan is flagged when one of its nodes is a Seq Scan of a table holding more than
`BIG_TABLE_ROWS` rows by the planner's own estimate (pg_class.reltuples, as after ANALYZE): the
scan reads the whole table whatever its filter keeps. Report only: nothing here changes the
bench's exit code.
"""

import json
import re
from dataclasses import dataclass, field

from django.db import connection


BIG_TABLE_ROWS = 1_000
# Statements EXPLAIN accepts; anything else (SAVEPOINT, RELEASE, SET, ...) is skipped.
EXPLAINABLE = {"SELECT", "WITH", "VALUES", "TABLE", "INSERT", "UPDATE", "DELETE", "MERGE"}
# A server-side cursor (QuerySet.iterator(), a streamed export) is captured as its DECLARE.
DECLARE = re.compile(r"^\s*DECLARE\s.*?\bCURSOR\b(?:\s+WITH(?:OUT)?\s+HOLD)?\s+FOR\s+", re.IGNORECASE | re.DOTALL)
# executemany() is captured as "<n> times <sql>".
EXECUTEMANY = re.compile(r"^(?:\d+|\?) times ")
SHAPE_WIDTH = 260
FILTER_WIDTH = 160
SMALL_TABLES_SHOWN = 4


@dataclass
class Scan:
    table: str
    node: str
    table_rows: int
    plan_rows: int
    condition: str = ""

    def describe(self):
        text = f"{self.node} on {self.table}: table ~{self.table_rows:,} rows, estimated {self.plan_rows:,} out"
        return text + (f"; {self.condition}" if self.condition else "")


@dataclass
class Plan:
    """What EXPLAIN said about one query shape."""

    statement: str
    skipped: str = ""  # the statement's kind when it cannot be planned
    error: str = ""
    big_scans: list = field(default_factory=list)
    small_scans: set = field(default_factory=set)


def table_rows():
    """{table name: estimated rows} for the tables of the current schema (reltuples, else the live count)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname, COALESCE(NULLIF(c.reltuples, -1), s.n_live_tup, 0)
            FROM pg_class c
            JOIN pg_namespace n ON n.oid = c.relnamespace
            LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid
            WHERE c.relkind IN ('r', 'p', 'm') AND n.nspname = ANY (current_schemas(false))
            """
        )
        return {name: int(rows) for name, rows in cursor.fetchall()}


def error_text(error):
    message = str(error).splitlines()[0][:150] if str(error) else ""
    return f"{type(error).__name__}: {message}"


def plan_nodes(node, limit=None):
    """(node, rows of the nearest Limit above it or None), depth first."""
    yield node, limit
    if node.get("Node Type") == "Limit":
        limit = int(node.get("Plan Rows", 0))
    for child in node.get("Plans", ()):
        yield from plan_nodes(child, limit)


def statement_kind(statement):
    words = statement.lstrip(" (").split(None, 1)
    return words[0].upper() if words else ""


def explain(statement, sizes):
    statement = DECLARE.sub("", statement, count=1)
    kind = statement_kind(statement)
    if EXECUTEMANY.match(statement):
        return Plan(statement, skipped="executemany")
    if kind not in EXPLAINABLE:
        return Plan(statement, skipped=kind or "empty")
    plan = Plan(statement)
    try:
        with connection.cursor() as cursor:
            # No parameters: the captured text has its values bound already (a "%" is literal).
            cursor.execute(f"EXPLAIN (FORMAT JSON) {statement}")
            document = cursor.fetchone()[0]
    except Exception as error:
        plan.error = error_text(error)
        return plan
    document = json.loads(document) if isinstance(document, str) else document
    for node, limit in plan_nodes(document[0]["Plan"]):
        if node.get("Node Type") != "Seq Scan":
            continue
        table = node.get("Relation Name", "?")
        rows = sizes.get(table, 0)
        if rows > BIG_TABLE_ROWS:
            condition = node.get("Filter", "")
            condition = (
                f"Filter: {condition[:FILTER_WIDTH]}{'…' if len(condition) > FILTER_WIDTH else ''}"
                if condition
                else "no filter"
            )
            if limit is not None:
                # Read in order until the Limit has its rows: fewer than the table when few are kept.
                condition += f"; under a Limit of ~{limit:,} rows"
            node_type = "Parallel Seq Scan" if node.get("Parallel Aware") else "Seq Scan"
            plan.big_scans.append(Scan(table, node_type, rows, int(node.get("Plan Rows", 0)), condition))
        else:
            plan.small_scans.add(table)
    return plan


def shape_display(query_shape):
    """The shape on one line, the select list left out, cut to SHAPE_WIDTH."""
    text = " ".join(query_shape.split())
    text = re.sub(
        r"^SELECT (DISTINCT (ON \([^)]*\) )?)?.*? FROM ",
        r"SELECT \1… FROM ",
        text,
        count=1,
    )
    return text if len(text) <= SHAPE_WIDTH else text[: SHAPE_WIDTH - 1] + "…"


class Explainer:
    """One EXPLAIN per distinct query shape, across all pages."""

    def __init__(self, shape):
        self.shape = shape
        self.plans = {}
        self.sizes = table_rows()

    def page(self, statements):
        """[(shape, Plan)] for a page's statements, one per distinct shape, in the order they ran."""
        seen = {}
        for statement in statements:
            if statement is None:
                continue
            query_shape = self.shape(DECLARE.sub("", statement, count=1))
            if query_shape in seen:
                continue
            if query_shape not in self.plans:
                self.plans[query_shape] = explain(statement, self.sizes)
            seen[query_shape] = self.plans[query_shape]
        return list(seen.items())


def plural(count, noun):
    return f"{count} {noun}" + ("" if count == 1 else "s")


def page_lines(label, pairs):
    explained = [(query_shape, plan) for query_shape, plan in pairs if not plan.skipped and not plan.error]
    skipped = {}
    for _shape, plan in pairs:
        if plan.skipped:
            skipped[plan.skipped] = skipped.get(plan.skipped, 0) + 1
    failed = [(query_shape, plan) for query_shape, plan in pairs if plan.error]
    offending = [(query_shape, plan) for query_shape, plan in explained if plan.big_scans]
    small = sorted({table for _shape, plan in explained for table in plan.small_scans})
    if offending:
        head = f"!! {label}: SEQ SCAN of a big table in {len(offending)} of {plural(len(explained), 'query shape')}"
    else:
        head = f"   {label}: all queries use indexes ({plural(len(explained), 'query shape')}"
        shown = ", ".join(small[:SMALL_TABLES_SHOWN]) + (
            f" +{len(small) - SMALL_TABLES_SHOWN}" if len(small) > SMALL_TABLES_SHOWN else ""
        )
        head += f"; Seq Scan only of small tables: {shown})" if small else ")"
    extras = [f"{count} {kind}" for kind, count in sorted(skipped.items())]
    if extras:
        head += f" [not planned: {', '.join(extras)}]"
    lines = [head]
    for query_shape, plan in offending:
        lines.append(f"       query: {shape_display(query_shape)}")
        lines += [f"       plan:  {scan.describe()}" for scan in plan.big_scans]
    for query_shape, plan in failed:
        lines.append(f"    ?  could not EXPLAIN {shape_display(query_shape)}: {plan.error}")
    return lines


def section(pages, shape):
    """The printed section. `pages`: [(label, captured statements or None when the page failed)]."""
    lines = [
        "Index use (EXPLAIN):",
        "  each distinct query shape of the captured request, planned with EXPLAIN (FORMAT JSON), no ANALYZE"
        " (nothing runs);",
        f"  flagged (!!): a Seq Scan of a table of more than {BIG_TABLE_ROWS:,} rows (planner's estimate).",
    ]
    try:
        explainer = Explainer(shape)
        flagged = []
        for label, statements in pages:
            if statements is None:
                lines.append(f"    {label}: not explained (the page failed)")
                continue
            page = page_lines(label, explainer.page(statements))
            if page[0].startswith("!!"):
                flagged.append(label)
            lines += [f" {line}" for line in page]
        distinct = len(explainer.plans)
        if flagged:
            lines.append(
                f"  {len(flagged)} page(s) seq-scan a big table: {'; '.join(flagged)} ({distinct} distinct shapes)"
            )
        else:
            lines.append(f"  Every explained query of every page uses indexes ({distinct} distinct shapes).")
    except Exception as error:
        lines.append(f"  The EXPLAIN pass failed: {error_text(error)}")
    return lines
