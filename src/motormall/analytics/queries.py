"""The dashboards' figures, computed by DuckDB over the Parquet copy of the events: one
aggregate statement per figure, never a Python loop over events."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb

from motormall.analytics import rules
from motormall.analytics.store import Store

_EMPTY = """
CREATE TEMP TABLE events (id BIGINT, "at" TIMESTAMP, type VARCHAR, person UBIGINT,
    entity UBIGINT, dealer_id INTEGER, brand_id INTEGER, powertrain VARCHAR,
    decision VARCHAR, survey_dealer_id INTEGER, csat TINYINT, nps TINYINT,
    incentive BOOLEAN, survey_seconds DOUBLE)
"""


@dataclass(frozen=True)
class Filters:
    period: rules.Period
    brand_id: int | None = None
    dealer_ids: tuple[int, ...] | None = None  # a city's dealers; None: every dealer


def _connect(files: list[str]) -> duckdb.DuckDBPyConnection:
    duck = duckdb.connect()
    if files:
        listed = ", ".join(f"'{f}'" for f in files)
        duck.execute(f"CREATE VIEW events AS SELECT * FROM read_parquet([{listed}])")
    else:
        duck.execute(_EMPTY)
    return duck


def _run(
    store: Store, sql: str, params: dict, setup: tuple[str, dict] | None = None
) -> list[tuple]:
    """Runs on the files listed now; a merge that removed one between listing and reading
    is answered by listing again. `setup` runs first on the same connection."""
    for attempt in (1, 2):
        duck = _connect(store.files())
        try:
            if setup is not None:
                duck.execute(*setup)
            return duck.execute(sql, params).fetchall()
        except duckdb.IOException:
            if attempt == 2:
                raise
        finally:
            duck.close()
    return []


def _where(f: Filters, *, brand: bool = True) -> tuple[str, dict]:
    start, end = f.period.naive
    clauses, params = ['"at" >= $start', '"at" < $end'], {"start": start, "end": end}
    if brand and f.brand_id is not None:
        clauses.append("brand_id = $brand")
        params["brand"] = f.brand_id
    if f.dealer_ids is not None:
        clauses.append("list_contains($dealers, dealer_id)")
        params["dealers"] = list(f.dealer_ids)
    return " AND ".join(clauses), params


def _types(types: tuple[str, ...]) -> str:
    return ", ".join(f"'{t}'" for t in types)


# A merged-away account counts as its survivor: the copy keeps each event's own account
# (hashed, as `person`), and the merges that stand now are applied when counting, so a merge
# made or undone after the export is counted right at once.
_MERGED = """
CREATE TEMP TABLE merged AS
SELECT hash(m.account) AS person, hash(m.survivor) AS survivor
FROM (SELECT unnest($accounts) AS account, unnest($survivors) AS survivor) m
"""


def funnel(store: Store, f: Filters, merged: dict[str, str] | None = None) -> dict[str, int]:
    """People per stage in the period (each stage counted on its own); `merged` maps a
    merged-away account to the account it now belongs to."""
    where, params = _where(f)
    who, join, setup = "person", "", None
    if merged:
        who, join = "COALESCE(m.survivor, e.person)", " e LEFT JOIN merged m USING (person)"
        setup = (_MERGED, {"accounts": list(merged), "survivors": list(merged.values())})
    parts = [
        f"count(DISTINCT {who}) FILTER (WHERE type IN ({_types(rules.STAGE_TYPES[s])}))"
        for s in rules.STAGES
    ]
    sql = (
        f"SELECT {', '.join(parts)} FROM events{join} "
        f"WHERE type IN ({_types(rules.STAGE_TYPES['visit'])}) AND {where}"
    )
    row = _run(store, sql, params, setup)[0]
    return {stage: int(n or 0) for stage, n in zip(rules.STAGES, row, strict=True)}


def new_energy(store: Store, f: Filters) -> list[dict]:
    """Orders reserved per month, and how many were new-energy vehicles."""
    where, params = _where(f)
    rows = _run(
        store,
        f"""SELECT strftime(date_trunc('month', "at"), '%Y-%m') AS month, count(*),
                   count(*) FILTER (WHERE powertrain IN ({_types(rules.NEW_ENERGY)}))
            FROM events WHERE type = 'order.reserved' AND {where}
            GROUP BY 1 ORDER BY 1""",
        params,
    )
    return [
        {"month": m, "orders": n, "new_energy": ne, "share": rules.rate(ne, n)} for m, n, ne in rows
    ]


_DRIVES = _types(rules.STAGE_TYPES["test_drive"])
# Each part reads only its own event types (DuckDB pushes the filters into the Parquet
# scan); leads are counted from the (dealer, lead) pairs the response times need anyway.
_LEAGUE = f"""
WITH assigned AS (
    SELECT dealer_id, entity, min("at") AS at_ FROM events
    WHERE type = 'lead.assigned' AND {{where}} GROUP BY ALL),
contacted AS (
    SELECT dealer_id, entity, min("at") AS at_ FROM events
    WHERE type = 'lead.contacted' AND {{where}} GROUP BY ALL),
lead_figures AS (
    SELECT a.dealer_id, count(*) AS leads,
        median(epoch(c.at_) - epoch(a.at_)) FILTER (WHERE c.at_ >= a.at_) / 60 AS minutes
    FROM assigned a LEFT JOIN contacted c USING (dealer_id, entity) GROUP BY 1),
drives AS (
    SELECT dealer_id, count(DISTINCT entity) AS test_drives FROM events
    WHERE type IN ({_DRIVES}) AND {{where}} GROUP BY 1),
sales AS (
    SELECT dealer_id,
        count(*) FILTER (WHERE type = 'order.reserved') AS orders,
        count(*) FILTER (WHERE type = 'order.handed_over') AS handovers,
        count(*) FILTER (WHERE type LIKE 'finance.%' AND decision = 'approved') AS approvals
    FROM events
    WHERE type IN ('order.reserved', 'order.handed_over', 'finance.application_decided',
                   'finance.application_reviewed') AND {{where}}
    GROUP BY 1)
SELECT dealer_id, coalesce(leads, 0), coalesce(test_drives, 0), coalesce(orders, 0),
    coalesce(handovers, 0), coalesce(approvals, 0), minutes
FROM lead_figures FULL JOIN drives USING (dealer_id) FULL JOIN sales USING (dealer_id)
WHERE dealer_id IS NOT NULL
"""
_ANSWERS = """
SELECT survey_dealer_id, count(*), sum(csat),
    count(*) FILTER (WHERE csat = 5 AND nps = 10),
    count(*) FILTER (WHERE incentive),
    count(*) FILTER (WHERE survey_seconds < $spot),
    count(*) FILTER (WHERE NOT incentive AND survey_seconds >= $spot),
    sum(csat) FILTER (WHERE NOT incentive AND survey_seconds >= $spot),
    count(*) FILTER (WHERE csat <= 3 OR nps <= 6)
FROM events
WHERE type = 'survey.answered' AND survey_dealer_id IS NOT NULL AND {where}
GROUP BY 1
"""


@dataclass(frozen=True)
class DealerFigures:
    leads: int = 0
    test_drives: int = 0
    orders: int = 0
    handovers: int = 0
    finance_approvals: int = 0
    response_minutes: float | None = None


@dataclass(frozen=True)
class Answers:
    responses: int
    csat_sum: int
    perfect: int
    incentives: int
    on_the_spot: int
    clean: int
    clean_csat_sum: int
    unhappy: int


def league(
    store: Store, f: Filters, *, on_the_spot: dt.timedelta
) -> tuple[dict[int, DealerFigures], dict[int, Answers]]:
    """Per dealer: lead and sales figures (brand filter applies), and survey answers counted
    for the integrity signals (answers carry no brand)."""
    where, params = _where(f)
    figures = {
        d: DealerFigures(
            leads=leads,
            test_drives=drives,
            orders=orders,
            handovers=handovers,
            finance_approvals=approvals,
            response_minutes=None if minutes is None else round(float(minutes), 1),
        )
        for d, leads, drives, orders, handovers, approvals, minutes in _run(
            store, _LEAGUE.format(where=where), params
        )
    }
    spot = on_the_spot.total_seconds()
    where, params = _where(f, brand=False)
    where = where.replace("dealer_id", "survey_dealer_id")
    answers = {
        row[0]: Answers(*(int(v or 0) for v in row[1:]))
        for row in _run(store, _ANSWERS.format(where=where), {**params, "spot": spot})
    }
    return figures, answers
