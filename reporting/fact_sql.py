"""The rollup statements: plain INSERT … SELECT … GROUP BY, one per table and date range.

Every source table is read once per statement through hash joins against grouped
subqueries (no correlated subquery per return), which is what makes the full rebuild of a
year as fast as a hand-written GROUP BY. The SQL is portable (PostgreSQL and SQLite); the
only vendor-specific pieces are produced by Django's own backend operations (the local-day
cast) or by `_seconds_between`, so day boundaries in settings.TIME_ZONE are computed
exactly as the ORM's TruncDate would compute them.

Each builder returns (sql, params) for the local days whose bounds are given.
"""

from django.db import connection

from assessment.models import Grade, Inspection
from catalog.models import Order, OrderLine, Product
from reporting.models import (
    CycleDaily,
    GraderDaily,
    LineDaily,
    MixDaily,
    ProductDaily,
    ProductRunning,
    ReturnFact,
    SalesDaily,
    SegmentDaily,
)
from resolution.models import CostEntry, Disposition, MoneyMovement
from rma.models import ReturnEvent, ReturnLine, ReturnReason, ReturnRequest

REFUND_KINDS = ("refund", "store_credit", "goodwill_refund", "goodwill_credit")
EVENT_COLUMNS = {
    "approved_at": "approved",
    "label_at": "label_issued",
    "first_scan_at": "in_transit",
    "received_at": "received",
    "graded_at": "graded",
    "resolved_at": "resolved",
}
COST_COLUMNS = {
    "cost_label": (CostEntry.Kind.LABEL,),
    "cost_labor": (CostEntry.Kind.LABOR,),
    "cost_write_down": (CostEntry.Kind.WRITE_DOWN,),
    "cost_customer_service": (CostEntry.Kind.CUSTOMER_SERVICE,),
    "cost_other": (CostEntry.Kind.SHIPPING, CostEntry.Kind.HANDLING),
}
CYCLES = {
    "requested_to_received": ("requested_at", "received_at"),
    "received_to_refunded": ("received_at", "refunded_at"),
    "requested_to_refunded": ("requested_at", "refunded_at"),
}
TOTALS_FROM_RETURNS = {
    "returns": "1",
    "refunded": "refund_amount",
    **{c: c for c in COST_COLUMNS},
    "grading_minutes": "grading_minutes",
    "refunds_due": "CASE WHEN refund_due_on IS NULL THEN 0 ELSE 1 END",
    "refunds_on_time": "0",  # needs the local-day cast: see product_totals_sql
}
TOTALS_FROM_LINES = {
    "line_returns": "returns",
    "defect_returns": "CASE WHEN is_defect THEN returns ELSE 0 END",
    "returned_units": "units",
    "original_value": "original_value",
    "recovered_value": "recovered_value",
    "write_down": "write_down",
}
TOTALS_FROM_SALES = {"sold_units": "units"}
TOTALS = [*TOTALS_FROM_RETURNS, *TOTALS_FROM_LINES, *TOTALS_FROM_SALES]


def _t(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _local_day(column: str, zone: str) -> tuple[str, list]:
    sql, params = connection.ops.datetime_cast_date_sql(column, (), zone)
    return sql, list(params)


def _seconds_between(start: str, end: str) -> str:
    if connection.vendor == "postgresql":
        return f"EXTRACT(EPOCH FROM ({end} - {start}))"
    if connection.vendor == "sqlite":
        return f"((julianday({end}) - julianday({start})) * 86400.0)"
    raise NotImplementedError(f"No interval expression for {connection.vendor}")


def _in_range(alias: str = "rr") -> str:
    return f"{alias}.created_at >= %s AND {alias}.created_at < %s"


def _insert(model, columns: list[str], select: str) -> str:
    cols = ", ".join(connection.ops.quote_name(c) for c in columns)
    return f"INSERT INTO {_t(model)} ({cols}) {select}"


def lines_sql(lo, hi, zone: str) -> tuple[str, list]:
    day, day_params = _local_day("r.created_at", zone)
    columns = [
        "day",
        "product_id",
        "supplier_id",
        "category_id",
        "batch_id",
        "reason_code",
        "is_defect",
        "grade_code",
        "route",
        "returns",
        "units",
        "original_value",
        "recovered_value",
        "route_cost",
        "write_down",
    ]
    select = f"""
        SELECT {day}, ol.product_id, p.supplier_id, p.category_id, ol.batch_id,
               rs.code, rs.is_defect, COALESCE(g.code, ''), COALESCE(d.route, ''),
               COUNT(DISTINCT r.id), SUM(l.quantity),
               COALESCE(SUM(l.quantity * l.unit_price), 0),
               COALESCE(SUM(d.recovered_value), 0), COALESCE(SUM(d.route_cost), 0),
               COALESCE(SUM(d.write_down), 0)
        FROM {_t(ReturnLine)} l
        JOIN {_t(ReturnRequest)} r ON r.id = l.return_request_id
        JOIN {_t(OrderLine)} ol ON ol.id = l.order_line_id
        JOIN {_t(Product)} p ON p.id = ol.product_id
        JOIN {_t(ReturnReason)} rs ON rs.id = l.reason_id
        LEFT JOIN {_t(Inspection)} i ON i.return_line_id = l.id AND i.kind = %s
        LEFT JOIN {_t(Grade)} g ON g.id = i.grade_id
        LEFT JOIN {_t(Disposition)} d ON d.return_line_id = l.id
        WHERE {_in_range("r")}
        GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9
    """
    params = [*day_params, Inspection.Kind.PRIMARY, lo, hi]
    return _insert(LineDaily, columns, select), params


def _grouped(table, key_columns: str, aggregates: str, where: str = "", *, every=False) -> str:
    """Per-return aggregates of `table`, limited to the returns created in the range
    (`every`: the range holds every return, so the join that limits it is left out)."""
    if every:
        return f"""
        (SELECT x.return_request_id, {aggregates} FROM {table} x
         {"WHERE " + where if where else ""} GROUP BY x.return_request_id) {key_columns}"""
    extra = f" AND {where}" if where else ""
    return f"""
        (SELECT x.return_request_id, {aggregates}
         FROM {table} x JOIN {_t(ReturnRequest)} rr ON rr.id = x.return_request_id
         WHERE {_in_range()}{extra}
         GROUP BY x.return_request_id) {key_columns}"""


def returns_sql(lo, hi, zone: str) -> tuple[str, list]:
    day, day_params = _local_day("r.created_at", zone)
    params = list(day_params)
    every = not (
        ReturnRequest.objects.filter(created_at__lt=lo).exists()
        or ReturnRequest.objects.filter(created_at__gte=hi).exists()
    )
    rng = [] if every else [lo, hi]

    def first(status):
        params.append(status)
        return "MIN(CASE WHEN x.to_status = %s THEN x.created_at END)"

    events = _grouped(
        _t(ReturnEvent),
        "e",
        ", ".join(f"{first(status)} AS {col}" for col, status in EVENT_COLUMNS.items()),
        every=every,
    )
    params += rng
    succeeded = MoneyMovement.Status.SUCCEEDED
    money = _grouped(
        _t(MoneyMovement),
        "m",
        "MIN(x.due_on) AS due_on,"
        " MIN(CASE WHEN x.status = %s THEN x.completed_at END) AS refunded_at,"
        " SUM(CASE WHEN x.status = %s THEN x.amount END) AS amount",
        f"x.kind IN ({', '.join(['%s'] * len(REFUND_KINDS))})",
        every=every,
    )
    params += [succeeded, succeeded, *rng, *REFUND_KINDS]
    cost_parts = []
    for col, kinds in COST_COLUMNS.items():
        cost_parts.append(
            f"SUM(CASE WHEN x.kind IN ({', '.join(['%s'] * len(kinds))}) THEN x.amount END)"
            f" AS {col}"
        )
        params += list(kinds)
    costs = _grouped(_t(CostEntry), "c", ", ".join(cost_parts), every=every)
    params += rng
    minutes = _grouped(_t(Inspection), "ins", "SUM(x.minutes_spent) AS minutes", every=every)
    params += rng
    first_line = _grouped(_t(ReturnLine), "fl", "MIN(x.id) AS line_id", every=every)
    params += rng
    params += [lo, hi]  # the outer WHERE

    columns = [
        "return_id",
        "day",
        "kind",
        "status",
        "product_id",
        "supplier_id",
        "category_id",
        "requested_at",
        *EVENT_COLUMNS,
        "refunded_at",
        "refund_due_on",
        "refund_amount",
        *COST_COLUMNS,
        "grading_minutes",
    ]
    select = f"""
        SELECT r.id, {day}, r.kind, r.status, ol.product_id, p.supplier_id, p.category_id,
               r.created_at, {", ".join(f"e.{c}" for c in EVENT_COLUMNS)},
               m.refunded_at, m.due_on, COALESCE(m.amount, 0),
               {", ".join(f"COALESCE(c.{c}, 0)" for c in COST_COLUMNS)},
               COALESCE(ins.minutes, 0)
        FROM {_t(ReturnRequest)} r
        LEFT JOIN {events} ON e.return_request_id = r.id
        LEFT JOIN {money} ON m.return_request_id = r.id
        LEFT JOIN {costs} ON c.return_request_id = r.id
        LEFT JOIN {minutes} ON ins.return_request_id = r.id
        LEFT JOIN {first_line} ON fl.return_request_id = r.id
        LEFT JOIN {_t(ReturnLine)} l ON l.id = fl.line_id
        LEFT JOIN {_t(OrderLine)} ol ON ol.id = l.order_line_id
        LEFT JOIN {_t(Product)} p ON p.id = ol.product_id
        WHERE {_in_range("r")}
    """
    return _insert(ReturnFact, columns, select), params


def sales_sql(lo, hi, zone: str) -> tuple[str, list]:
    day, day_params = _local_day("o.placed_at", zone)
    select = f"""
        SELECT {day}, ol.product_id, p.supplier_id, p.category_id, SUM(ol.quantity)
        FROM {_t(OrderLine)} ol
        JOIN {_t(Order)} o ON o.id = ol.order_id
        JOIN {_t(Product)} p ON p.id = ol.product_id
        WHERE o.placed_at >= %s AND o.placed_at < %s
        GROUP BY 1, 2, 3, 4
    """
    columns = ["day", "product_id", "supplier_id", "category_id", "units"]
    return _insert(SalesDaily, columns, select), [*day_params, lo, hi]


def graders_sql(lo, hi, zone: str) -> tuple[str, list]:
    day, day_params = _local_day("i.graded_at", zone)
    select = f"""
        SELECT {day}, i.inspector_id, COUNT(i.id), COUNT(DISTINCT i.return_request_id),
               COALESCE(SUM(i.minutes_spent), 0)
        FROM {_t(Inspection)} i
        WHERE i.graded_at >= %s AND i.graded_at < %s
        GROUP BY 1, 2
    """
    columns = ["day", "inspector_id", "inspections", "returns", "minutes"]
    return _insert(GraderDaily, columns, select), [*day_params, lo, hi]


# --- dashboard summaries, built from the fact tables above (days, not timestamps) ---------


def _branch(table, sources: dict[str, str], keys: str) -> str:
    """One UNION ALL branch: every total column, named, 0 where this table has no say."""
    values = ", ".join(f"{sources.get(name, '0')} AS {name}" for name in TOTALS)
    return f"SELECT {keys}, {values} FROM {table} WHERE day >= %s AND day <= %s"


def product_totals_sql(start, end, zone: str) -> tuple[str, list]:
    keys = "day, product_id, supplier_id, category_id"
    on_day, on_day_params = _local_day("refunded_at", zone)
    on_time = f"CASE WHEN {on_day} <= refund_due_on THEN 1 ELSE 0 END"
    parts = " UNION ALL ".join(
        (
            _branch(_t(ReturnFact), {**TOTALS_FROM_RETURNS, "refunds_on_time": on_time}, keys),
            _branch(_t(LineDaily), TOTALS_FROM_LINES, keys),
            _branch(_t(SalesDaily), TOTALS_FROM_SALES, keys),
        )
    )
    sums = ", ".join(f"SUM({name})" for name in TOTALS)
    # One row per day × product even if a product moved supplier between two statements.
    select = (
        "SELECT day, product_id, MAX(supplier_id), MAX(category_id), "
        f"{sums} FROM ({parts}) parts GROUP BY day, product_id"
    )
    params = [*on_day_params, start, end, start, end, start, end]
    return _insert(ProductDaily, [*keys.split(", "), *TOTALS], select), params


def segment_totals_sql(start, end, zone: str) -> tuple[str, list]:
    keys = "day, supplier_id, category_id"
    select = f"""
        SELECT {keys}, {", ".join(f"SUM({name})" for name in TOTALS)}
        FROM {_t(ProductDaily)} WHERE day >= %s AND day <= %s GROUP BY {keys}
    """
    return _insert(SegmentDaily, [*keys.split(", "), *TOTALS], select), [start, end]


def mix_sql(start, end, zone: str) -> tuple[str, list]:
    keys = "day, supplier_id, category_id"
    parts = " UNION ALL ".join(
        f"SELECT {keys}, %s AS dimension, {column} AS value, SUM(returns) AS returns"
        f" FROM {_t(LineDaily)} WHERE day >= %s AND day <= %s GROUP BY {keys}, {column}"
        for column in ("reason_code", "grade_code", "route")
    )
    params = []
    for dimension in MixDaily.Dimension.values:
        params += [dimension, start, end]
    columns = [*keys.split(", "), "dimension", "value", "returns"]
    return _insert(MixDaily, columns, f"SELECT * FROM ({parts}) mix"), params


def _cycle_buckets(where: str, where_params: list, keys: str) -> tuple[str, list]:
    """SELECT <keys>, cycle, 0.1 h bucket, count, seconds over the ReturnFact rows `where`."""
    parts, params = [], []
    for name, (a, b) in CYCLES.items():
        parts.append(
            f"SELECT {keys}%s AS cycle, {_seconds_between(a, b)} AS seconds"
            f" FROM {_t(ReturnFact)} WHERE {where} AND {a} IS NOT NULL AND {b} IS NOT NULL"
        )
        params += [name, *where_params]
    # 0.1 h buckets, halves rounded up: the p90 read off them is the duration to 0.1 h.
    group = ", ".join(str(i + 1) for i in range(keys.count(",") + 2))
    outer = "".join(f"{key.split(' AS ')[-1].strip()}, " for key in keys.split(",")[:-1])
    select = f"""
        SELECT {outer}cycle, FLOOR(seconds / 360.0 + 0.5), COUNT(*), SUM(seconds)
        FROM ({" UNION ALL ".join(parts)}) c GROUP BY {group}
    """
    return select, params


def cycles_sql(start, end, zone: str) -> tuple[str, list]:
    scopes = (
        ("all", "CAST(NULL AS INTEGER)", ""),
        ("supplier", "supplier_id", " AND supplier_id IS NOT NULL"),
        ("category", "category_id", " AND category_id IS NOT NULL"),
    )
    selects, params = [], []
    for scope, scope_id, where in scopes:
        select, select_params = _cycle_buckets(
            "day >= %s AND day <= %s" + where,
            [start, end],
            f"day, '{scope}' AS scope, {scope_id} AS scope_id, ",
        )
        selects.append(select)
        params += select_params
    columns = ["day", "scope", "scope_id", "cycle", "tenth_hours", "returns", "seconds"]
    return _insert(CycleDaily, columns, " UNION ALL ".join(selects)), params


def cycle_slice_sql(where: dict, start, end) -> tuple[str, list]:
    """Cycle histogram of a slice of ReturnFact (column = value filters) over start..end.

    The slice is read once (a CTE used three times is materialized), not once per cycle.
    """
    conditions = ["day >= %s", "day <= %s", *(f"{column} = %s" for column in where)]
    stamps = sorted({c for pair in CYCLES.values() for c in pair})
    branches, params = [], [start, end, *where.values()]
    for name, (a, b) in CYCLES.items():
        branches.append(
            f"SELECT %s AS cycle, {_seconds_between(a, b)} AS seconds FROM f"
            f" WHERE {a} IS NOT NULL AND {b} IS NOT NULL"
        )
        params.append(name)
    sql = f"""
        WITH f AS (SELECT {", ".join(stamps)} FROM {_t(ReturnFact)}
                   WHERE {" AND ".join(conditions)})
        SELECT cycle, FLOOR(seconds / 360.0 + 0.5), COUNT(*), SUM(seconds)
        FROM ({" UNION ALL ".join(branches)}) c GROUP BY 1, 2
    """
    return sql, params


RUNNING = ("line_returns", "returned_units", "sold_units")


def running_sql(start, zone: str) -> tuple[str, list]:
    """ProductRunning from `start` on: the last total before it plus a running sum."""
    run = _t(ProductRunning)
    base = f"""
        (SELECT r.product_id, {", ".join(f"r.{c}" for c in RUNNING)}
         FROM {run} r JOIN (SELECT product_id, MAX(day) AS day FROM {run}
                            WHERE day < %s GROUP BY product_id) last
           ON last.product_id = r.product_id AND last.day = r.day) b"""
    sums = ", ".join(
        f"COALESCE(b.{c}, 0) + SUM(d.{c}) OVER (PARTITION BY d.product_id ORDER BY d.day"
        " ROWS UNBOUNDED PRECEDING)"
        for c in RUNNING
    )
    select = f"""
        SELECT d.day, d.product_id, d.supplier_id, d.category_id, {sums}
        FROM {_t(ProductDaily)} d LEFT JOIN {base} ON b.product_id = d.product_id
        WHERE d.day >= %s AND d.product_id IS NOT NULL
    """
    columns = ["day", "product_id", "supplier_id", "category_id", *RUNNING]
    return _insert(ProductRunning, columns, select), [start, start]


# (model, builder, bounds) in dependency order: facts from timestamps, summaries from days.
FACTS = (
    (LineDaily, lines_sql),
    (ReturnFact, returns_sql),
    (SalesDaily, sales_sql),
    (GraderDaily, graders_sql),
)
SUMMARIES = (
    (ProductDaily, product_totals_sql),
    (SegmentDaily, segment_totals_sql),
    (MixDaily, mix_sql),
    (CycleDaily, cycles_sql),
)
