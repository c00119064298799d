"""Pure grading rules: disputes and deductions, QC sampling, labour cost. No database access.

Each function takes plain values and returns a small dataclass that explains itself, so the
dispute table can be tested row by row and the "why" shown to the customer is the same text
the rule produced.
"""

import hashlib
from dataclasses import dataclass
from decimal import Decimal

from returns_portal.money import ZERO, clamp, money, percent_of

NOT_DEFECTIVE = "not_defective"
CUSTOMER_DAMAGE = "customer_damage"
NOT_AS_RETURNED = "not_as_returned"

CHECKLIST_KEYS = ("unused", "original_packaging", "complete", "damaged", "as_described")
CHECKLIST_LABELS = {
    "unused": "Unused",
    "original_packaging": "Original packaging",
    "complete": "Complete",
    "damaged": "Damaged",
    "as_described": "As described / working",
}


@dataclass(frozen=True)
class DisputeInput:
    reason_label: str
    reason_is_fault: bool  # merchant fault or defect: the customer says it is not their doing
    arrived_as: str  # ArrivedAs value
    checklist: dict
    grade_code: str
    grade_damage_percent: Decimal
    unit_price: Decimal
    quantity_expected: int
    quantity_received: int
    restocking_fee_percent: Decimal
    missing_parts_percent: Decimal
    wrong_item_percent: Decimal
    empty_box_percent: Decimal
    damaged_flag_percent: Decimal
    product_name: str = "your item"


@dataclass(frozen=True)
class DisputeFinding:
    dispute: str  # "" when what arrived matches what the customer said
    deduction: Decimal  # taken off this line's refund, on top of fees charged at filing
    why: str  # plain language, shown on the customer's timeline
    percent: Decimal = ZERO


NO_DISPUTE = DisputeFinding(dispute="", deduction=ZERO, why="")


def checklist_clean(raw: dict | None) -> dict[str, bool]:
    """Only the known keys, as booleans (unknown keys from a client are dropped)."""
    raw = raw or {}
    return {key: bool(raw.get(key, False)) for key in CHECKLIST_KEYS}


def dispute_assess(data: DisputeInput) -> DisputeFinding:
    """Does what arrived contradict the reason the customer gave? If so, what is deducted.

    Order matters: a parcel that is not what was returned is judged on that alone; then a
    fault claim on an unused, working item; then damage on a reason that is not a fault.
    """
    checks = checklist_clean(data.checklist)
    expected = max(int(data.quantity_expected), 0)
    received = min(max(int(data.quantity_received), 0), expected)
    line_value = money(data.unit_price * expected)
    received_value = money(data.unit_price * received)
    missing_value = money(data.unit_price * (expected - received))
    name = data.product_name

    if data.arrived_as == "empty_box":
        amount = percent_of(line_value, data.empty_box_percent)
        return _finding(
            NOT_AS_RETURNED,
            amount,
            line_value,
            data.empty_box_percent,
            f"The parcel for {name} arrived empty, so {_pct(data.empty_box_percent)} of the "
            f"item's value ({amount}) is deducted from your refund.",
        )
    if data.arrived_as == "wrong_item":
        amount = percent_of(line_value, data.wrong_item_percent)
        return _finding(
            NOT_AS_RETURNED,
            amount,
            line_value,
            data.wrong_item_percent,
            f"The parcel contained a different item than {name}, so "
            f"{_pct(data.wrong_item_percent)} of its value ({amount}) is deducted "
            "from your refund.",
        )
    if data.arrived_as == "missing_parts":
        amount = percent_of(received_value, data.missing_parts_percent) + missing_value
        why = (
            f"{name} came back with parts missing, so {_pct(data.missing_parts_percent)} of its "
            f"value is deducted from your refund"
        )
        return _finding(
            NOT_AS_RETURNED,
            amount,
            line_value,
            data.missing_parts_percent,
            why + _short_text(expected, received, missing_value) + f" (total {money(amount)}).",
        )
    if received < expected:
        return _finding(
            NOT_AS_RETURNED,
            missing_value,
            line_value,
            ZERO,
            f"We received {received} of the {expected} × {name} you returned; "
            f"the {expected - received} missing ({missing_value}) cannot be refunded.",
        )
    if (
        data.reason_is_fault
        and checks["unused"]
        and checks["as_described"]
        and not checks["damaged"]
    ):
        amount = percent_of(received_value, data.restocking_fee_percent)
        return _finding(
            NOT_DEFECTIVE,
            amount,
            line_value,
            data.restocking_fee_percent,
            f"You returned {name} as “{data.reason_label}”, but our inspection found it unused, "
            f"working and as described. The {_pct(data.restocking_fee_percent)} restocking fee "
            f"({amount}) applies.",
        )
    if not data.reason_is_fault:
        percent = Decimal(data.grade_damage_percent or 0)
        if checks["damaged"]:
            percent = max(percent, Decimal(data.damaged_flag_percent or 0))
        if percent > 0:
            amount = percent_of(received_value, percent)
            return _finding(
                CUSTOMER_DAMAGE,
                amount,
                line_value,
                percent,
                f"{name} came back damaged (condition grade {data.grade_code or '—'}), which "
                f"“{data.reason_label}” does not cover. A {_pct(percent)} condition deduction "
                f"({amount}) applies.",
            )
    return NO_DISPUTE


def _finding(
    dispute: str, amount: Decimal, cap: Decimal, percent: Decimal, why: str
) -> DisputeFinding:
    return DisputeFinding(
        dispute=dispute,
        deduction=clamp(amount, high=cap),
        why=why,
        percent=Decimal(percent).quantize(Decimal("0.01")),
    )


def _pct(percent: Decimal) -> str:
    value = Decimal(percent).normalize()
    return f"{value:f}%"


def _short_text(expected: int, received: int, missing_value: Decimal) -> str:
    if received >= expected:
        return ""
    return f", and the {expected - received} unit(s) that did not arrive ({missing_value})"


# --- QC sampling ----------------------------------------------------------------------
def qc_selected(*, inspection_id: int, percent: Decimal) -> bool:
    """Deterministic: the same inspection is always in or out of the sample.

    A hash of the id (not `random`) so tests can force 0 % / 100 % and a rerun of the demo
    picks the same items; 10,000 buckets give a resolution of 0.01 %.
    """
    percent = Decimal(percent)
    if percent <= 0:
        return False
    if percent >= 100:
        return True
    digest = hashlib.sha256(f"qc-sample:{int(inspection_id)}".encode()).digest()
    bucket = int.from_bytes(digest[:8], "big") % 10_000
    return bucket < int(percent * 100)


# --- Labour -----------------------------------------------------------------------------
def labor_cost(*, minutes: Decimal, hourly_rate: Decimal) -> Decimal:
    return money(Decimal(minutes) * Decimal(hourly_rate) / Decimal(60))
