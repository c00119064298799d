"""The disposition engine, as a table of cases: the route chosen and why others were not."""

from decimal import Decimal as D

import pytest

from resolution.routing import LineFacts, Rates, choose, chosen_by_staff

RATES = Rates(
    handling_cost=D("2.00"),
    refurbish_cost=D("10.00"),
    refurbished_resale_percent=D("70"),
    liquidation_rate_percent=D("20"),
    supplier_shipping_cost=D("5.00"),
    disposal_fee=D("1.00"),
)


def facts(**kw) -> LineFacts:
    base = {
        "quantity": 1,
        "price": D("100.00"),
        "unit_cost": D("50.00"),
        "grade_code": "A",
        "resale_percent": D("95"),
        "sellable": True,
    }
    return LineFacts(**{**base, **kw})


CASES = [
    # (name, facts overrides, rates overrides, expected route, expected net)
    ("like new goes back on the shelf", {}, {}, "restock", D("93.00")),
    (
        "scuffed but sellable still restocks when refurbishing gains less than it costs",
        {"grade_code": "B", "resale_percent": D("65")},
        {},
        "restock",
        D("63.00"),
    ),
    (
        "damaged: refurbishing beats selling it damaged",
        {"grade_code": "C", "resale_percent": D("30")},
        {},
        "refurbish",
        D("58.00"),  # 70 - 10 - 2
    ),
    (
        "unsellable with a supplier that credits defects: back to the supplier",
        {
            "grade_code": "D",
            "resale_percent": D("0"),
            "sellable": False,
            "is_defect": True,
            "supplier_accepts_credit": True,
            "supplier_credit_rate_percent": D("80"),
        },
        {"refurbishable": False},
        "return_to_supplier",
        D("33.00"),  # 40 - 5 - 2
    ),
    (
        "unsellable, not refurbishable, no supplier credit: dispose",
        {"grade_code": "D", "resale_percent": D("0"), "sellable": False},
        {"refurbishable": False},
        "dispose",
        D("-3.00"),
    ),
    (
        "supplier credits defects only: a non-defect is not sent back",
        {
            "grade_code": "C",
            "resale_percent": D("10"),
            "supplier_accepts_credit": True,
            "supplier_credit_rate_percent": D("100"),
        },
        {"refurbishable": False},
        "liquidate",
        D("18.00"),  # 20 - 2 beats restock 10 - 2
    ),
    (
        "supplier terms take non-defective goods: credit wins",
        {
            "grade_code": "C",
            "resale_percent": D("10"),
            "supplier_accepts_credit": True,
            "supplier_credit_rate_percent": D("100"),
            "supplier_accepts_non_defective": True,
        },
        {"refurbishable": False},
        "return_to_supplier",
        D("43.00"),
    ),
    (
        "recalled product is never resold",
        {"recalled": True},
        {},
        "dispose",
        D("-3.00"),
    ),
    (
        "drop-shipped product cannot be restocked: liquidated",
        {"supplier_is_dropship": True},
        {},
        "liquidate",
        D("18.00"),
    ),
    (
        "quantity scales recovery and cost",
        {"quantity": 3, "grade_code": "B", "resale_percent": D("80")},
        {},
        "restock",
        D("234.00"),  # 3 × 80 - 3 × 2
    ),
    (
        "a tie prefers keeping the goods (restock before refurbish)",
        {"grade_code": "B", "resale_percent": D("60")},
        {"refurbished_resale_percent": D("70"), "refurbish_cost": D("10.00")},
        "restock",
        D("58.00"),
    ),
]


@pytest.mark.parametrize(
    ("name", "overrides", "rate_overrides", "route", "net"), CASES, ids=[c[0] for c in CASES]
)
def test_the_engine_picks_the_best_feasible_route(name, overrides, rate_overrides, route, net):
    rates = Rates(**{**RATES.__dict__, **rate_overrides})
    choice = choose(facts(**overrides), rates)
    assert (choice.route, choice.net) == (route, net)
    # every route is priced and explained, and the winner is the best feasible one
    assert len(choice.alternatives) == 5
    feasible = [o for o in choice.alternatives if o.feasible]
    assert choice.net == max(o.net for o in feasible)
    assert choice.reason.startswith(choice.option(route).label)


def test_excluded_routes_say_why_in_the_reason():
    choice = choose(facts(grade_code="D", resale_percent=D("0"), sellable=False), RATES)
    restock = choice.option("restock")
    assert not restock.feasible and restock.explanation == "grade D is not sellable"
    rtv = choice.option("return_to_supplier")
    assert rtv.explanation == "the supplier does not take returns for credit"
    assert "Not possible: restock (grade D is not sellable)" in choice.reason


def test_the_reason_names_the_numbers_the_runner_up_and_the_excluded():
    assert choose(facts(), RATES).reason == (
        "Restock: resale at grade A: 95% of 100.00 × 1, less 2.00 handling = 93.00 net, "
        "best of 3 routes (next: liquidate 18.00). Not possible: refurbish (grade A already "
        "sells for as much as a refurbished unit); return to supplier (the supplier does not "
        "take returns for credit)."
    )


def test_nothing_arrived_routes_nothing():
    choice = choose(facts(quantity=0), RATES)
    assert (choice.route, choice.recovery, choice.cost) == ("dispose", D("0"), D("0"))
    assert "no units" in choice.reason


def test_staff_can_pick_an_excluded_route_and_the_reason_says_so():
    choice = chosen_by_staff(facts(grade_code="D", sellable=False), RATES, "restock")
    assert choice.route == "restock"
    assert "the engine had excluded it: grade D is not sellable" in choice.reason
    with pytest.raises(ValueError):
        chosen_by_staff(facts(), RATES, "bin")


def test_alternatives_serialise_for_the_database():
    data = choose(facts(), RATES).alternatives_json()
    assert data[0] == {
        "route": "restock",
        "feasible": True,
        "recovery": "95.00",
        "cost": "2.00",
        "explanation": "resale at grade A: 95% of 100.00 × 1, less 2.00 handling",
        "net": "93.00",
        "label": "Restock",
    }
