"""Customer money arithmetic (pure): what a return refunds or credits, and why.

One order of deductions — restocking fee, then the customer-paid label, then condition
deductions from grading — each capped by what is left, so the refund is never below zero,
never above what was paid, and `paid = refund + fees applied + deductions applied` exactly.
"""

from dataclasses import dataclass
from decimal import Decimal

from returns_portal.money import ZERO, clamp, money, percent_of


@dataclass(frozen=True)
class LineMoney:
    paid: Decimal
    restocking_fee: Decimal = ZERO
    deduction: Decimal = ZERO


@dataclass(frozen=True)
class RefundBreakdown:
    paid: Decimal
    restocking_fee: Decimal
    label_fee: Decimal
    deductions: Decimal
    refund: Decimal
    bonus: Decimal
    credit: Decimal  # refund + bonus, when paid out as store credit

    def as_json(self) -> dict:
        return {k: str(v) for k, v in self.__dict__.items()}

    def explain(self, currency: str = "USD") -> str:
        parts = [f"paid {self.paid}"]
        for label, amount in (
            ("restocking fee", self.restocking_fee),
            ("return label", self.label_fee),
            ("condition deductions", self.deductions),
        ):
            if amount:
                parts.append(f"− {label} {amount}")
        text = " ".join(parts) + f" = {self.refund} {currency}"
        if self.bonus:
            text += f"; store credit {self.credit} with the {self.bonus} bonus"
        return text


def _take(left: Decimal, wanted: Decimal) -> Decimal:
    """The part of `wanted` that still fits in `left` (never negative)."""
    return clamp(Decimal(wanted), high=left)


def refund_breakdown(
    *, lines: list[LineMoney], label_fee: Decimal = ZERO, bonus_percent: Decimal = ZERO
) -> RefundBreakdown:
    paid = money(sum((max(Decimal(line.paid), ZERO) for line in lines), ZERO))
    left = paid
    fee = _take(left, sum((Decimal(line.restocking_fee) for line in lines), ZERO))
    left -= fee
    label = _take(left, label_fee)
    left -= label
    deductions = _take(left, sum((Decimal(line.deduction) for line in lines), ZERO))
    refund = money(left - deductions)
    bonus = percent_of(refund, max(Decimal(bonus_percent), ZERO))
    return RefundBreakdown(
        paid=paid,
        restocking_fee=fee,
        label_fee=label,
        deductions=deductions,
        refund=refund,
        bonus=bonus,
        credit=money(refund + bonus),
    )


def spread(total: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """Split `total` over items in proportion to `weights`, in cents, summing exactly.

    Used for a liquidation lot's sale price and a supplier's credit note. Rounding leftovers
    go to the largest items first; with all-zero weights the total is split evenly.
    """
    total = money(total)
    n = len(weights)
    if n == 0:
        return []
    weights = [max(Decimal(w), ZERO) for w in weights]
    whole = sum(weights, ZERO)
    if whole == 0:
        weights, whole = [Decimal(1)] * n, Decimal(n)
    cents = int(total * 100)
    shares = [int(cents * w / whole) for w in weights]  # floor for non-negative totals
    leftover = cents - sum(shares)
    order = sorted(range(n), key=lambda i: (-weights[i], i))
    for k in range(leftover):
        shares[order[k % n]] += 1
    return [money(Decimal(s) / 100) for s in shares]
