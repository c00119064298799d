"""Pure destination choice: which rule sends a return where, and why. No database access."""

from dataclasses import dataclass

PRODUCT_SUPPLIER = "product_supplier"


@dataclass(frozen=True)
class LineFacts:
    product_id: int
    supplier_id: int
    category_id: int
    reason_id: int
    reason_is_defect: bool
    supplier_is_dropship: bool
    supplier_accepts_credit: bool


@dataclass(frozen=True)
class RuleSpec:
    """A routing rule as plain data. `target` is a destination id or PRODUCT_SUPPLIER."""

    name: str
    target: int | str
    priority: int = 100
    product_id: int | None = None
    supplier_id: int | None = None
    category_id: int | None = None
    reason_id: int | None = None
    defect: bool | None = None
    dropship: bool | None = None
    supplier_accepts_credit: bool | None = None

    def matches(self, facts: LineFacts) -> bool:
        wanted = (
            (self.product_id, facts.product_id),
            (self.supplier_id, facts.supplier_id),
            (self.category_id, facts.category_id),
            (self.reason_id, facts.reason_id),
            (self.defect, facts.reason_is_defect),
            (self.dropship, facts.supplier_is_dropship),
            (self.supplier_accepts_credit, facts.supplier_accepts_credit),
        )
        return all(want is None or want == have for want, have in wanted)


# Applied after the configured rules, in this order.
BUILT_IN_RULES = (
    RuleSpec(
        name="Dropship products go back to their supplier",
        target=PRODUCT_SUPPLIER,
        dropship=True,
        priority=10_000,
    ),
    RuleSpec(
        name="Defects go to suppliers that take returns for credit",
        target=PRODUCT_SUPPLIER,
        defect=True,
        supplier_accepts_credit=True,
        priority=10_001,
    ),
)


@dataclass(frozen=True)
class Route:
    """Where to send a parcel: a destination id, or a supplier id (its supplier destination)."""

    destination_id: int | None
    supplier_id: int | None
    rule: str
    reason: str


def route_line(*, facts: LineFacts, rules: list[RuleSpec], default_destination_id: int) -> Route:
    for rule in [*sorted(rules, key=lambda r: r.priority), *BUILT_IN_RULES]:
        if rule.matches(facts):
            if rule.target == PRODUCT_SUPPLIER:
                return Route(
                    None,
                    facts.supplier_id,
                    rule.name,
                    f"Rule “{rule.name}” matched: back to the product's supplier.",
                )
            return Route(int(rule.target), None, rule.name, f"Rule “{rule.name}” matched.")
    return Route(
        default_destination_id, None, "Default warehouse", "No rule matched: the default warehouse."
    )


def route_return(
    *, lines: list[LineFacts], rules: list[RuleSpec], default_destination_id: int
) -> Route:
    """One parcel per return: if its lines disagree, it goes to the default warehouse."""
    if not lines:
        return Route(default_destination_id, None, "Default warehouse", "No items to route.")
    routes = [
        route_line(facts=f, rules=rules, default_destination_id=default_destination_id)
        for f in lines
    ]
    first = routes[0]
    if all(
        (r.destination_id, r.supplier_id) == (first.destination_id, first.supplier_id)
        for r in routes
    ):
        return first
    return Route(
        default_destination_id,
        None,
        "Mixed destinations",
        "The items would go to different places, so the parcel goes to the default "
        "warehouse, which forwards them.",
    )
