"""Disposition engine (pure): where a graded item goes, by the best net recovery.

Every route is priced for the line — what it should bring back minus what it costs — and
routes that cannot apply are kept in the answer with the reason they were excluded, so the
staff page can show why an item was not restocked. No database access here: the services
gather `LineFacts` and `Rates` and store the `Choice`.
"""

from dataclasses import asdict, dataclass
from decimal import Decimal

from returns_portal.money import ZERO, money, percent_of

RESTOCK = "restock"
REFURBISH = "refurbish"
LIQUIDATE = "liquidate"
RETURN_TO_SUPPLIER = "return_to_supplier"
DISPOSE = "dispose"

# On equal net recovery, the earlier route wins: keep goods in our own stock first, and
# destroy them last.
PREFERENCE = (RESTOCK, RETURN_TO_SUPPLIER, REFURBISH, LIQUIDATE, DISPOSE)
LABELS = {
    RESTOCK: "Restock",
    REFURBISH: "Refurbish",
    LIQUIDATE: "Liquidate",
    RETURN_TO_SUPPLIER: "Return to supplier",
    DISPOSE: "Dispose / recycle",
}


@dataclass(frozen=True)
class Rates:
    """Per-unit costs and rates (the defaults, with the category's overrides applied)."""

    handling_cost: Decimal = Decimal("2.50")
    refurbish_cost: Decimal = Decimal("12.00")
    refurbished_resale_percent: Decimal = Decimal("75")
    liquidation_rate_percent: Decimal = Decimal("20")
    supplier_shipping_cost: Decimal = Decimal("4.00")
    disposal_fee: Decimal = Decimal("1.50")
    refurbishable: bool = True


@dataclass(frozen=True)
class LineFacts:
    quantity: int
    price: Decimal
    unit_cost: Decimal
    grade_code: str
    resale_percent: Decimal
    sellable: bool
    is_defect: bool = False
    supplier_accepts_credit: bool = False
    supplier_credit_rate_percent: Decimal = ZERO
    supplier_accepts_non_defective: bool = False
    supplier_is_dropship: bool = False
    recalled: bool = False


@dataclass(frozen=True)
class Option:
    route: str
    feasible: bool
    recovery: Decimal
    cost: Decimal
    explanation: str

    @property
    def net(self) -> Decimal:
        return money(self.recovery - self.cost)

    @property
    def label(self) -> str:
        return LABELS[self.route]

    def as_json(self) -> dict:
        data = asdict(self)
        data.update(
            recovery=str(self.recovery), cost=str(self.cost), net=str(self.net), label=self.label
        )
        return data


@dataclass(frozen=True)
class Choice:
    route: str
    recovery: Decimal
    cost: Decimal
    reason: str
    alternatives: tuple[Option, ...]

    @property
    def net(self) -> Decimal:
        return money(self.recovery - self.cost)

    def option(self, route: str) -> Option:
        return next(o for o in self.alternatives if o.route == route)

    def alternatives_json(self) -> list[dict]:
        return [o.as_json() for o in self.alternatives]


def _m(value: Decimal) -> str:
    return f"{money(value):,}"


def _pct(value: Decimal) -> str:
    return f"{Decimal(value).normalize():f}%"


def options(facts: LineFacts, rates: Rates) -> tuple[Option, ...]:
    """Every route, priced for the whole line, feasible or not (with the reason)."""
    qty = facts.quantity
    handling = money(rates.handling_cost * qty)
    resale_each = percent_of(facts.price, facts.resale_percent)
    refurb_each = percent_of(facts.price, rates.refurbished_resale_percent)
    liquidation_each = percent_of(facts.price, rates.liquidation_rate_percent)
    credit_each = percent_of(facts.unit_cost, facts.supplier_credit_rate_percent)
    grade = f"grade {facts.grade_code}"

    def option(route, feasible, recovery, cost, how, why_not=""):
        return Option(route, feasible, money(recovery), money(cost), why_not or how)

    restock_why_not = ""
    if facts.recalled:
        restock_why_not = "recalled product: it must not be sold again"
    elif not facts.sellable:
        restock_why_not = f"{grade} is not sellable"
    elif facts.supplier_is_dropship:
        restock_why_not = "drop-shipped product: we hold no stock of it"
    restock = option(
        RESTOCK,
        not restock_why_not,
        resale_each * qty,
        handling,
        f"resale at {grade}: {_pct(facts.resale_percent)} of {_m(facts.price)} × {qty}, "
        f"less {_m(handling)} handling",
        restock_why_not,
    )

    refurb_why_not = ""
    if facts.recalled:
        refurb_why_not = "recalled product: it must not be sold again"
    elif not rates.refurbishable:
        refurb_why_not = "this category is not refurbished"
    elif facts.supplier_is_dropship:
        refurb_why_not = "drop-shipped product: we hold no stock of it"
    elif facts.sellable and facts.resale_percent >= rates.refurbished_resale_percent:
        refurb_why_not = f"{grade} already sells for as much as a refurbished unit"
    refurb_cost = money(handling + rates.refurbish_cost * qty)
    refurbish = option(
        REFURBISH,
        not refurb_why_not,
        refurb_each * qty,
        refurb_cost,
        f"refurbished resale {_pct(rates.refurbished_resale_percent)} of {_m(facts.price)} × "
        f"{qty}, less {_m(rates.refurbish_cost * qty)} repair and {_m(handling)} handling",
        refurb_why_not,
    )

    liquidate_why_not = ""
    if facts.recalled:
        liquidate_why_not = "recalled product: it must not be sold again"
    elif not facts.sellable:
        liquidate_why_not = f"{grade} is not sellable, not even to a liquidator"
    liquidate = option(
        LIQUIDATE,
        not liquidate_why_not,
        liquidation_each * qty,
        handling,
        f"liquidation at {_pct(rates.liquidation_rate_percent)} of {_m(facts.price)} × {qty}, "
        f"less {_m(handling)} handling",
        liquidate_why_not,
    )

    rtv_why_not = ""
    if not facts.supplier_accepts_credit:
        rtv_why_not = "the supplier does not take returns for credit"
    elif not (facts.is_defect or facts.supplier_accepts_non_defective):
        rtv_why_not = "the supplier credits defects only, and this is not a defect"
    elif facts.supplier_credit_rate_percent <= 0:
        rtv_why_not = "the supplier's credit rate is 0%"
    shipping = money(rates.supplier_shipping_cost * qty)
    rtv = option(
        RETURN_TO_SUPPLIER,
        not rtv_why_not,
        credit_each * qty,
        handling + shipping,
        f"supplier credit {_pct(facts.supplier_credit_rate_percent)} of unit cost "
        f"{_m(facts.unit_cost)} × {qty}, less {_m(shipping)} shipping and {_m(handling)} handling",
        rtv_why_not,
    )

    disposal = money(rates.disposal_fee * qty)
    dispose = option(
        DISPOSE,
        True,
        ZERO,
        handling + disposal,
        f"nothing recovered; {_m(disposal)} disposal fee and {_m(handling)} handling",
    )
    return (restock, refurbish, liquidate, rtv, dispose)


def choose(facts: LineFacts, rates: Rates) -> Choice:
    """The feasible route with the best net recovery (ties: `PREFERENCE` order)."""
    if facts.quantity <= 0:
        nothing = Option(DISPOSE, True, ZERO, ZERO, "no units of this item arrived")
        return Choice(
            DISPOSE, ZERO, ZERO, "Nothing to route: no units of this item arrived.", (nothing,)
        )
    priced = options(facts, rates)
    feasible = [o for o in priced if o.feasible]
    best = max(feasible, key=lambda o: (o.net, -PREFERENCE.index(o.route)))
    return Choice(
        route=best.route,
        recovery=best.recovery,
        cost=best.cost,
        reason=_reason(best, feasible, priced),
        alternatives=priced,
    )


def chosen_by_staff(facts: LineFacts, rates: Rates, route: str) -> Choice:
    """The same pricing for a route staff picked (feasible or not)."""
    if route not in PREFERENCE:
        raise ValueError(f"unknown route {route!r}")
    priced = options(facts, rates) if facts.quantity > 0 else ()
    picked = next((o for o in priced if o.route == route), None)
    if picked is None:
        return Choice(route, ZERO, ZERO, "Chosen by staff.", priced)
    note = "" if picked.feasible else f" (the engine had excluded it: {picked.explanation})"
    return Choice(
        route,
        picked.recovery,
        picked.cost,
        f"{picked.label} chosen by staff{note}: net {_m(picked.net)}.",
        priced,
    )


def _reason(best: Option, feasible: list[Option], priced: tuple[Option, ...]) -> str:
    runner_up = max(
        (o for o in feasible if o is not best),
        key=lambda o: (o.net, -PREFERENCE.index(o.route)),
        default=None,
    )
    text = f"{best.label}: {best.explanation} = {_m(best.net)} net"
    if runner_up is None:
        text += ", the only possible route."
    elif runner_up.net == best.net:
        text += f"; ties with {runner_up.label.lower()} ({_m(runner_up.net)}), preferred."
    else:
        text += f", best of {len(feasible)} routes (next: {runner_up.label.lower()} "
        text += f"{_m(runner_up.net)})."
    excluded = [o for o in priced if not o.feasible]
    if excluded:
        text += " Not possible: " + "; ".join(
            f"{o.label.lower()} ({o.explanation})" for o in excluded
        )
        text += "."
    return text
