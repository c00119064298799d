"""Refund arithmetic, property-based: never negative, never above paid, always reconciles."""

from decimal import Decimal as D

from hypothesis import given
from hypothesis import strategies as st

from resolution.amounts import LineMoney, refund_breakdown, spread

cents = st.integers(min_value=0, max_value=5_000_000).map(lambda c: D(c) / 100)
percents = st.integers(min_value=0, max_value=10_000).map(lambda p: D(p) / 100)
lines = st.lists(
    st.builds(LineMoney, paid=cents, restocking_fee=cents, deduction=cents), min_size=1, max_size=6
)


@given(lines=lines, label_fee=cents, bonus=percents)
def test_refund_is_between_zero_and_paid_and_the_parts_add_up(lines, label_fee, bonus):
    b = refund_breakdown(lines=lines, label_fee=label_fee, bonus_percent=bonus)
    assert D("0") <= b.refund <= b.paid
    assert b.paid == sum((line.paid for line in lines), D("0"))
    assert b.refund + b.restocking_fee + b.label_fee + b.deductions == b.paid
    for part in (b.refund, b.restocking_fee, b.label_fee, b.deductions, b.bonus, b.credit):
        assert part == part.quantize(D("0.01")) and part >= 0
    assert b.credit == b.refund + b.bonus
    assert b.bonus <= b.refund  # a bonus of at most 100%


@given(lines=lines, label_fee=cents)
def test_fees_apply_in_order_and_only_while_money_is_left(lines, label_fee):
    b = refund_breakdown(lines=lines, label_fee=label_fee)
    fees = sum((line.restocking_fee for line in lines), D("0"))
    assert b.restocking_fee == min(fees, b.paid)
    assert b.label_fee == min(label_fee, b.paid - b.restocking_fee)


def test_a_worked_example():
    b = refund_breakdown(
        lines=[
            LineMoney(paid=D("80.00"), restocking_fee=D("8.00"), deduction=D("12.00")),
            LineMoney(paid=D("40.00"), restocking_fee=D("4.00")),
        ],
        label_fee=D("6.95"),
        bonus_percent=D("10"),
    )
    assert (b.refund, b.bonus, b.credit) == (D("89.05"), D("8.91"), D("97.96"))
    assert b.explain() == (
        "paid 120.00 − restocking fee 12.00 − return label 6.95 − condition deductions 12.00 "
        "= 89.05 USD; store credit 97.96 with the 8.91 bonus"
    )


def test_deductions_larger_than_what_is_left_stop_at_zero():
    b = refund_breakdown(lines=[LineMoney(paid=D("10.00"), deduction=D("50.00"))], label_fee=D("3"))
    assert (b.label_fee, b.deductions, b.refund) == (D("3.00"), D("7.00"), D("0.00"))


@given(
    total=cents,
    weights=st.lists(cents, min_size=1, max_size=12),
)
def test_spread_sums_exactly_to_the_total_in_cents(total, weights):
    shares = spread(total, weights)
    assert len(shares) == len(weights)
    assert sum(shares, D("0")) == total
    assert all(s >= 0 and s == s.quantize(D("0.01")) for s in shares)


def test_spread_follows_the_weights():
    assert spread(D("100.00"), [D("30"), D("10")]) == [D("75.00"), D("25.00")]
    assert spread(D("10.00"), [D("1"), D("1"), D("1")]) == [D("3.34"), D("3.33"), D("3.33")]
    assert spread(D("1.00"), [D("0"), D("0")]) == [D("0.50"), D("0.50")]
