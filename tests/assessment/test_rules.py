"""The pure grading rules: the dispute table, QC sampling, labour cost."""

from decimal import Decimal

import pytest

from assessment.rules import (
    CUSTOMER_DAMAGE,
    NOT_AS_RETURNED,
    NOT_DEFECTIVE,
    DisputeInput,
    dispute_assess,
    labor_cost,
    qc_selected,
)

CLEAN = {"unused": True, "original_packaging": True, "complete": True, "as_described": True}
USED = {"unused": False, "complete": True, "as_described": True}
DAMAGED = {"unused": False, "complete": True, "as_described": True, "damaged": True}
FAULTY = {"unused": True, "complete": True, "as_described": False}


def _input(**overrides) -> DisputeInput:
    values = {
        "reason_label": "Changed my mind",
        "reason_is_fault": False,
        "arrived_as": "as_expected",
        "checklist": CLEAN,
        "grade_code": "A",
        "grade_damage_percent": Decimal("0"),
        "unit_price": Decimal("50.00"),
        "quantity_expected": 2,
        "quantity_received": 2,
        "restocking_fee_percent": Decimal("10"),
        "missing_parts_percent": Decimal("30"),
        "wrong_item_percent": Decimal("100"),
        "empty_box_percent": Decimal("100"),
        "damaged_flag_percent": Decimal("20"),
        "product_name": "Trail Boot",
    }
    values.update(overrides)
    return DisputeInput(**values)


@pytest.mark.parametrize(
    ("case", "overrides", "dispute", "deduction"),
    [
        ("non-fault reason, clean item", {}, "", "0.00"),
        (
            "defect claimed, arrived unused and working",
            {"reason_is_fault": True},
            NOT_DEFECTIVE,
            "10.00",  # 10 % restocking of 100.00
        ),
        (
            "defect claimed, item really faulty",
            {"reason_is_fault": True, "checklist": FAULTY, "grade_code": "D"},
            "",
            "0.00",
        ),
        (
            "defect claimed, used but working: not provably unused, no dispute",
            {"reason_is_fault": True, "checklist": USED},
            "",
            "0.00",
        ),
        (
            "merchant fault claimed, arrived damaged: consistent",
            {"reason_is_fault": True, "checklist": DAMAGED, "grade_code": "C"},
            "",
            "0.00",
        ),
        (
            "changed mind, grade C (30 %)",
            {"grade_code": "C", "grade_damage_percent": Decimal("30"), "checklist": USED},
            CUSTOMER_DAMAGE,
            "30.00",
        ),
        (
            "changed mind, grade D (70 %)",
            {"grade_code": "D", "grade_damage_percent": Decimal("70"), "checklist": DAMAGED},
            CUSTOMER_DAMAGE,
            "70.00",
        ),
        (
            "changed mind, ticked damaged at grade B: the damaged-flag minimum",
            {"grade_code": "B", "checklist": DAMAGED},
            CUSTOMER_DAMAGE,
            "20.00",
        ),
        ("empty box: 100 % of the line", {"arrived_as": "empty_box"}, NOT_AS_RETURNED, "100.00"),
        (
            "empty box beats a defect claim",
            {"arrived_as": "empty_box", "reason_is_fault": True, "quantity_received": 0},
            NOT_AS_RETURNED,
            "100.00",
        ),
        ("wrong item", {"arrived_as": "wrong_item"}, NOT_AS_RETURNED, "100.00"),
        (
            "missing parts: 30 % of what came",
            {"arrived_as": "missing_parts"},
            NOT_AS_RETURNED,
            "30.00",
        ),
        (
            "missing parts and one unit short",
            {"arrived_as": "missing_parts", "quantity_received": 1},
            NOT_AS_RETURNED,
            "65.00",  # 30 % of 50 + the missing 50
        ),
        (
            "one of two units never arrived",
            {"quantity_received": 1},
            NOT_AS_RETURNED,
            "50.00",
        ),
    ],
)
def test_dispute_table(case, overrides, dispute, deduction):
    # given what the grader saw against the customer's reason
    finding = dispute_assess(_input(**overrides))
    # then the dispute and the deduction follow the policy table
    assert finding.dispute == dispute, case
    assert finding.deduction == Decimal(deduction), case
    if dispute:
        assert "Trail Boot" in finding.why
        assert str(finding.deduction) in finding.why
    else:
        assert finding.why == ""


def test_deduction_is_capped_at_the_line_value():
    finding = dispute_assess(
        _input(arrived_as="wrong_item", wrong_item_percent=Decimal("100"), quantity_received=0)
    )
    assert finding.deduction == Decimal("100.00")
    damaged = dispute_assess(
        _input(grade_code="D", grade_damage_percent=Decimal("100"), damaged_flag_percent=100)
    )
    assert damaged.deduction == Decimal("100.00")


def test_not_defective_explains_in_plain_language():
    finding = dispute_assess(_input(reason_is_fault=True, reason_label="Defective"))
    assert finding.why == (
        "You returned Trail Boot as “Defective”, but our inspection found it unused, working "
        "and as described. The 10% restocking fee (10.00) applies."
    )


def test_unknown_checklist_keys_are_ignored():
    finding = dispute_assess(_input(checklist={**CLEAN, "bogus": True, "damaged": "yes"}))
    # "damaged": "yes" is truthy: the damaged flag applies on a non-fault reason
    assert finding.dispute == CUSTOMER_DAMAGE


def test_sampling_is_deterministic_and_forced_at_the_ends():
    ids = range(1, 2001)
    assert all(qc_selected(inspection_id=i, percent=Decimal("100")) for i in ids)
    assert not any(qc_selected(inspection_id=i, percent=Decimal("0")) for i in ids)
    picked = [i for i in ids if qc_selected(inspection_id=i, percent=Decimal("5"))]
    assert picked == [i for i in ids if qc_selected(inspection_id=i, percent=Decimal("5"))]
    # about 5 % of 2000 = 100; a hash, so allow a generous band
    assert 60 <= len(picked) <= 140
    # a bigger rate keeps every item the smaller rate picked (same buckets)
    assert set(picked) <= {i for i in ids if qc_selected(inspection_id=i, percent=Decimal("20"))}


@pytest.mark.parametrize(
    ("minutes", "rate", "amount"),
    [
        ("12", "24.00", "4.80"),
        ("0", "24.00", "0.00"),
        ("7.5", "30.00", "3.75"),
        ("1", "25", "0.42"),
    ],
)
def test_labor_cost_is_minutes_times_rate(minutes, rate, amount):
    assert labor_cost(minutes=Decimal(minutes), hourly_rate=Decimal(rate)) == Decimal(amount)
