"""The policy engine alone: facts in, decision + plain-language reasons + money out."""

import datetime as dt
from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rma.policy import (
    LineFacts,
    ListEntryFacts,
    PolicyFacts,
    ProductFacts,
    QuoteRequest,
    ReasonFacts,
    evaluate,
    months_after,
    photo_problems,
)

TODAY = dt.date(2026, 11, 20)
CHANGED_MIND = ReasonFacts("changed-mind", "Changed my mind")
DAMAGED = ReasonFacts(
    "arrived-damaged", "Arrived damaged", is_merchant_fault=True, requires_photo=True
)
DEFECTIVE = ReasonFacts(
    "defective", "Defective", is_merchant_fault=True, is_defect=True, requires_photo=True
)
SHIRT = ProductFacts(
    id=1, sku="SHIRT-M", name="Shirt", category_id=10, category_name="Apparel", warranty_months=0
)
WATCH = ProductFacts(
    id=2,
    sku="WATCH-1",
    name="Watch",
    category_id=20,
    category_name="Electronics",
    warranty_months=24,
)


def line(product=SHIRT, reason=CHANGED_MIND, *, days=10, qty=1, price="40.00", photos=0, lid=1):
    return LineFacts(
        order_line_id=lid,
        product=product,
        reason=reason,
        quantity=qty,
        unit_price=Decimal(price),
        delivered_on=None if days is None else TODAY - dt.timedelta(days=days),
        photo_count=photos,
    )


def quote(*lines, policy=None, **kw):
    return evaluate(
        QuoteRequest(
            policy=policy or PolicyFacts(), lines=tuple(lines) or (line(),), today=TODAY, **kw
        )
    )


def rule(q, code):
    found = [r for r in q.rules if r.code == code]
    assert found, f"no {code} rule in {[r.code for r in q.rules]}"
    return found[0]


# --- Rules, table-driven ---------------------------------------------------------------
CASES = [
    # (id, kwargs for quote(), rule code, passed, outcome, message, decision)
    (
        "inside window",
        {"lines": [line(days=10)]},
        "window",
        True,
        "approve",
        "Inside the 30-day window: delivered 10 days ago",
        "approve",
    ),
    (
        "last day of window",
        {"lines": [line(days=30)]},
        "window",
        True,
        "approve",
        "Inside the 30-day window: delivered 30 days ago",
        "approve",
    ),
    (
        "outside window",
        {"lines": [line(days=41)]},
        "window",
        False,
        "decline",
        "Outside the 30-day window: delivered 41 days ago",
        "decline",
    ),
    (
        "category window",
        {"lines": [line(WATCH, days=15)], "policy": PolicyFacts(category_windows={20: 14})},
        "window",
        False,
        "decline",
        "Outside the 14-day window for Electronics: delivered 15 days ago",
        "decline",
    ),
    (
        "delivered yesterday",
        {"lines": [line(days=1)]},
        "window",
        True,
        "approve",
        "Inside the 30-day window: delivered 1 day ago",
        "approve",
    ),
    (
        "not returnable",
        {"lines": [line(replace(SHIRT, is_returnable=False))]},
        "returnable",
        False,
        "decline",
        "This item cannot be returned.",
        "decline",
    ),
    (
        "not returnable but our fault",
        {"lines": [line(replace(SHIRT, is_returnable=False), DAMAGED, photos=1)]},
        "returnable",
        True,
        "approve",
        "Not normally returnable, but accepted because: arrived damaged.",
        "approve",
    ),
    (
        "final sale category",
        {"lines": [line()], "policy": PolicyFacts(final_sale_category_ids=frozenset({10}))},
        "final_sale",
        False,
        "decline",
        "Final sale: it can only be returned if it arrived damaged, faulty or wrong.",
        "decline",
    ),
    (
        "final sale product",
        {"lines": [line()], "policy": PolicyFacts(final_sale_product_ids=frozenset({1}))},
        "final_sale",
        False,
        "decline",
        "Final sale: it can only be returned if it arrived damaged, faulty or wrong.",
        "decline",
    ),
    (
        "final sale, our fault",
        {
            "lines": [line(reason=DAMAGED, photos=1)],
            "policy": PolicyFacts(final_sale_product_ids=frozenset({1})),
        },
        "final_sale",
        True,
        "approve",
        "Final sale, but accepted because the fault is ours.",
        "approve",
    ),
    (
        "not delivered",
        {"lines": [line(days=None)]},
        "delivered",
        False,
        "decline",
        "Not delivered yet: you can return it once it has arrived.",
        "decline",
    ),
    (
        "not delivered, our fault",
        {"lines": [line(reason=DAMAGED, days=None, photos=1)]},
        "delivered",
        False,
        "review",
        "Not delivered yet: our team will check with the carrier.",
        "review",
    ),
    (
        "warranty inside",
        {"lines": [line(WATCH, DEFECTIVE, days=200, photos=1)], "kind": "warranty"},
        "warranty",
        True,
        "approve",
        "Inside the 24-month warranty: it runs until 04 May 2028.",
        "approve",
    ),
    (
        "warranty expired",
        {"lines": [line(WATCH, DEFECTIVE, days=800, photos=1)], "kind": "warranty"},
        "warranty",
        False,
        "decline",
        "Outside the 24-month warranty: it ended on 11 Sep 2026.",
        "decline",
    ),
    (
        "warranty not a defect",
        {"lines": [line(WATCH, CHANGED_MIND, days=100)], "kind": "warranty"},
        "warranty",
        False,
        "decline",
        "“Changed my mind” is not a defect, so the warranty does not cover it.",
        "decline",
    ),
    (
        "no warranty",
        {"lines": [line(SHIRT, DEFECTIVE, days=100, photos=1)], "kind": "warranty"},
        "warranty",
        False,
        "decline",
        "This item has no warranty.",
        "decline",
    ),
    (
        "warranty disabled",
        {
            "lines": [line(WATCH, DEFECTIVE, days=100, photos=1)],
            "kind": "warranty",
            "policy": PolicyFacts(warranty_claims_enabled=False),
        },
        "warranty",
        False,
        "decline",
        "Warranty claims are not accepted online.",
        "decline",
    ),
    (
        "block list email",
        {
            "customer_email": "Bad@Example.com",
            "list_entries": (ListEntryFacts("block", "email", "bad@example.com", "chargebacks"),),
        },
        "block_list",
        False,
        "decline",
        "Returns for your email address are handled by customer service, not online (chargebacks).",
        "decline",
    ),
    (
        "block list order",
        {"order_number": "ORD-1", "list_entries": (ListEntryFacts("block", "order", "ord-1"),)},
        "block_list",
        False,
        "decline",
        "Returns for this order are handled by customer service, not online.",
        "decline",
    ),
    (
        "block list product",
        {"list_entries": (ListEntryFacts("block", "product", "shirt-m"),)},
        "block_list",
        False,
        "decline",
        "Returns for this product are handled by customer service, not online.",
        "decline",
    ),
    (
        "serial returner",
        {
            "customer_email": "s@example.com",
            "list_entries": (ListEntryFacts("serial_returner", "email", "s@example.com"),),
        },
        "serial_returner",
        False,
        "review",
        "Returns on this account are always checked by our team.",
        "review",
    ),
    (
        "above value limit",
        {"lines": [line(price="260.00", qty=2)]},
        "max_value",
        False,
        "review",
        "Items worth $520.00 are above the $500.00 automatic approval limit: our team checks it.",
        "review",
    ),
    (
        "at value limit",
        {"lines": [line(price="250.00", qty=2)]},
        "max_value",
        True,
        "approve",
        "Items worth $500.00 are within the $500.00 automatic approval limit.",
        "approve",
    ),
    (
        "allow list skips value limit",
        {
            "lines": [line(price="900.00")],
            "customer_email": "vip@x.io",
            "list_entries": (ListEntryFacts("allow", "email", "vip@x.io"),),
        },
        "allow_list",
        True,
        "approve",
        "Trusted (your email address): the value and frequency limits do not apply.",
        "approve",
    ),
    (
        "too many returns",
        {"recent_return_count": 5},
        "frequency",
        False,
        "review",
        "This is return number 6 in 90 days (more than 5): our team checks it.",
        "review",
    ),
    (
        "few returns",
        {"recent_return_count": 4},
        "frequency",
        True,
        "approve",
        "Return 5 of at most 5 in 90 days.",
        "approve",
    ),
]


@pytest.mark.parametrize(
    ("kwargs", "code", "passed", "outcome", "message", "decision"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_rule(kwargs, code, passed, outcome, message, decision):
    kwargs = dict(kwargs)
    lines = kwargs.pop("lines", [line()])
    q = quote(*lines, **kwargs)
    result = rule(q, code)
    assert (result.passed, result.outcome, result.message) == (passed, outcome, message)
    assert q.decision == decision


def test_allow_list_skips_the_frequency_limit_too():
    q = quote(
        customer_email="vip@x.io",
        recent_return_count=50,
        list_entries=(ListEntryFacts("allow", "email", "vip@x.io"),),
    )
    assert q.decision == "approve"
    assert not [r for r in q.rules if r.code in {"frequency", "max_value"}]


def test_decline_beats_review_and_summary_names_the_reasons():
    # given one line outside the window and a value above the limit
    q = quote(line(days=41, price="600.00"))
    assert q.decision == "decline"
    assert q.summary == "Declined: Shirt: Outside the 30-day window: delivered 41 days ago."
    assert rule(q, "max_value").outcome == "review"


def test_review_summary_is_one_plain_sentence():
    q = quote(line(price="600.00"))
    assert q.decision == "review"
    assert q.summary == (
        "Our team will review it: Items worth $600.00 are above the $500.00 automatic approval "
        "limit: our team checks it."
    )


def test_photo_required_is_an_input_problem_not_a_decision():
    lines = [line(), line(reason=DAMAGED, lid=2), line(reason=DAMAGED, photos=2, lid=3)]
    problems = photo_problems(lines)
    assert [(p.line_index, p.field) for p in problems] == [(1, "items[1].photos")]
    assert "Arrived damaged" in problems[0].message
    assert quote(*lines).decision == "approve"


def test_rules_json_is_what_the_return_stores():
    q = quote(line(days=41))
    stored = q.as_rules_json()
    assert {
        "code": "window",
        "passed": False,
        "outcome": "decline",
        "message": "Outside the 30-day window: delivered 41 days ago",
        "subject": "Shirt",
    } in stored


# --- Money -----------------------------------------------------------------------------
def test_change_of_mind_pays_restocking_fee_and_label_once():
    # given two non-fault lines worth 40 + 2×25, customer pays the label
    q = quote(line(price="40.00"), line(price="25.00", qty=2, lid=2))
    assert q.items_value == Decimal("90.00")
    assert [lq.restocking_fee for lq in q.lines] == [Decimal("4.00"), Decimal("5.00")]
    assert q.restocking_fee == Decimal("9.00")
    assert q.label_payer == "customer"
    assert q.label_fee == Decimal("6.95")  # once per return, not per line
    assert q.expected_refund == Decimal("74.05")
    assert rule(q, "restocking_fee").message == (
        "Restocking fee of 10% ($9.00) because the item is not faulty."
    )
    assert rule(q, "label_fee").message == "Return label $6.95, taken off your refund."


def test_merchant_fault_has_no_fees_and_a_prepaid_label():
    q = quote(line(reason=DAMAGED, photos=1), line(price="30.00", lid=2))
    assert q.label_payer == "merchant"
    assert q.label_fee == Decimal("0.00")
    assert [lq.restocking_fee for lq in q.lines] == [Decimal("0.00"), Decimal("3.00")]
    assert q.expected_refund == Decimal("67.00")


def test_warranty_has_no_fees_and_a_prepaid_label():
    q = quote(line(WATCH, DEFECTIVE, days=300, photos=1, price="120.00"), kind="warranty")
    assert (q.label_payer, q.restocking_fee, q.label_fee) == ("merchant", 0, 0)
    assert q.expected_refund == Decimal("120.00")


def test_own_carrier_policy_has_no_label_fee():
    q = quote(policy=PolicyFacts(non_fault_label_payer="own_carrier"))
    assert q.label_payer == "own_carrier"
    assert q.label_fee == 0
    assert q.expected_refund == Decimal("36.00")


def test_cheap_item_is_refunded_without_return():
    # given an item worth less than label 7.50 + handling 4.00
    q = quote(line(price="11.49"))
    assert q.refund_without_return is True
    assert q.label_payer == "none"
    assert (q.restocking_fee, q.label_fee) == (0, 0)
    assert q.expected_refund == Decimal("11.49")
    assert rule(q, "returnless").message == (
        "Worth $11.49, less than shipping it back would cost: no need to send it back."
    )
    assert q.summary == "Approved: $11.49 back, and you can keep the item."


def test_returnless_uses_the_total_value_and_the_switch():
    assert quote(line(price="11.50")).refund_without_return is False  # not below 11.50
    assert quote(line(price="6.00", qty=2)).refund_without_return is False  # 12.00 in total
    off = PolicyFacts(returnless_enabled=False)
    assert quote(line(price="5.00"), policy=off).refund_without_return is False
    assert quote(line(price="5.00"), kind="recall").refund_without_return is False


def test_store_credit_adds_the_bonus_on_the_net_refund():
    q = quote(line(price="100.00"), preferred_outcome="store_credit")
    # 100 − 10 restocking − 6.95 label = 83.05; +10% = 8.31 (half-up)
    assert q.store_credit_bonus == Decimal("8.31")
    assert q.expected_refund == Decimal("91.36")
    assert rule(q, "store_credit_bonus").message == "Store credit bonus of 10% ($8.31)."


def test_label_fee_never_makes_the_refund_negative():
    # given an item barely above the returnless threshold, with a huge label fee
    policy = PolicyFacts(customer_label_fee=Decimal("50.00"), restocking_fee_percent=Decimal("50"))
    q = quote(line(price="12.00"), policy=policy)
    assert q.expected_refund == Decimal("0.00")
    assert q.label_fee == Decimal("6.00")  # only what was left after the restocking fee


@given(
    price=st.decimals(min_value=0, max_value=5000, places=2),
    qty=st.integers(1, 5),
    fee_pct=st.decimals(min_value=0, max_value=100, places=2),
    label_fee=st.decimals(min_value=0, max_value=100, places=2),
    fault=st.booleans(),
    outcome=st.sampled_from(["refund", "store_credit", "exchange"]),
)
def test_money_is_never_negative_and_adds_up(price, qty, fee_pct, label_fee, fault, outcome):
    policy = PolicyFacts(restocking_fee_percent=fee_pct, customer_label_fee=label_fee)
    reason = DAMAGED if fault else CHANGED_MIND
    q = quote(
        line(reason=reason, price=str(price), qty=qty, photos=1),
        policy=policy,
        preferred_outcome=outcome,
    )
    assert q.expected_refund >= 0
    assert q.restocking_fee <= q.items_value
    assert q.expected_refund == (
        max(q.items_value - q.restocking_fee - q.label_fee, 0) + q.store_credit_bonus
    )
    assert all(x == x.quantize(Decimal("0.01")) for x in (q.expected_refund, q.label_fee))


def test_months_after_clamps_to_month_end():
    assert months_after(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert months_after(dt.date(2026, 11, 30), 14) == dt.date(2028, 1, 30)
