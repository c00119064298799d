"""The return policy as a pure function: facts in, an explained quote out. No database access.

`evaluate()` runs every rule and says in plain language why each passed or failed, then
prices the return (restocking fee, who pays the label, refund without return, store-credit
bonus). `rma.services` gathers the facts from the database and stores the result.
"""

import calendar
import datetime as dt
from dataclasses import asdict, dataclass, field
from decimal import Decimal

from returns_portal.money import ZERO, money, percent_of
from rma.states import Decision, LabelPayer, Outcome, ReturnKind

BLOCK, ALLOW, SERIAL = "block", "allow", "serial_returner"
# Kinds a customer files against the return window; the others have their own rules.
WINDOW_KINDS = frozenset({ReturnKind.STANDARD, ReturnKind.EXCHANGE})
# Kinds where the merchant wants the item back whatever it is worth.
ALWAYS_SHIPPED_KINDS = frozenset({ReturnKind.RECALL, ReturnKind.END_OF_LIFE})


# --- Facts ---------------------------------------------------------------------------
@dataclass(frozen=True)
class PolicyFacts:
    version: int = 1
    window_days: int = 30
    category_windows: dict = field(default_factory=dict)  # category_id -> days
    warranty_claims_enabled: bool = True
    final_sale_category_ids: frozenset = frozenset()
    final_sale_product_ids: frozenset = frozenset()
    restocking_fee_percent: Decimal = Decimal("10.00")
    non_fault_label_payer: str = LabelPayer.CUSTOMER
    customer_label_fee: Decimal = Decimal("6.95")
    returnless_enabled: bool = True
    label_cost_estimate: Decimal = Decimal("7.50")
    handling_cost_estimate: Decimal = Decimal("4.00")
    auto_approve_max_order_value: Decimal = Decimal("500.00")
    max_returns_in_period: int = 5
    returns_period_days: int = 90
    store_credit_bonus_percent: Decimal = Decimal("10.00")

    @classmethod
    def from_model(cls, policy) -> "PolicyFacts":
        """Read a `ReturnPolicy` row (3 small queries for its related rows)."""
        return cls(
            version=policy.version,
            window_days=policy.window_days,
            category_windows=dict(
                policy.category_windows.values_list("category_id", "window_days")
            ),
            warranty_claims_enabled=policy.warranty_claims_enabled,
            final_sale_category_ids=frozenset(
                policy.final_sale_categories.values_list("pk", flat=True)
            ),
            final_sale_product_ids=frozenset(
                policy.final_sale_products.values_list("pk", flat=True)
            ),
            restocking_fee_percent=policy.restocking_fee_percent,
            non_fault_label_payer=policy.non_fault_label_payer,
            customer_label_fee=policy.customer_label_fee,
            returnless_enabled=policy.returnless_enabled,
            label_cost_estimate=policy.label_cost_estimate,
            handling_cost_estimate=policy.handling_cost_estimate,
            auto_approve_max_order_value=policy.auto_approve_max_order_value,
            max_returns_in_period=policy.max_returns_in_period,
            returns_period_days=policy.returns_period_days,
            store_credit_bonus_percent=policy.store_credit_bonus_percent,
        )


@dataclass(frozen=True)
class ReasonFacts:
    code: str
    label: str
    is_merchant_fault: bool = False
    is_defect: bool = False
    requires_photo: bool = False


@dataclass(frozen=True)
class ProductFacts:
    id: int
    sku: str
    name: str
    category_id: int
    category_name: str = ""
    is_returnable: bool = True
    warranty_months: int = 0


@dataclass(frozen=True)
class LineFacts:
    order_line_id: int
    product: ProductFacts
    reason: ReasonFacts
    quantity: int
    unit_price: Decimal
    delivered_on: dt.date | None
    photo_count: int = 0


@dataclass(frozen=True)
class ListEntryFacts:
    list_kind: str  # block / allow / serial_returner
    match_on: str  # email / order / product
    value: str
    reason: str = ""


@dataclass(frozen=True)
class QuoteRequest:
    policy: PolicyFacts
    lines: tuple[LineFacts, ...]
    today: dt.date
    kind: str = ReturnKind.STANDARD
    preferred_outcome: str = Outcome.REFUND
    customer_email: str = ""
    order_number: str = ""
    recent_return_count: int = 0  # the customer's other returns in the policy period
    list_entries: tuple[ListEntryFacts, ...] = ()
    currency: str = "USD"


# --- Results -------------------------------------------------------------------------
@dataclass(frozen=True)
class RuleResult:
    code: str
    passed: bool
    outcome: str  # Decision: approve (passed), decline or review
    message: str
    subject: str = ""  # the product a per-line rule is about; "" for the whole return


@dataclass(frozen=True)
class LineQuote:
    """Money for one line. `expected_refund` is before the return's label fee and bonus."""

    order_line_id: int
    quantity: int
    unit_price: Decimal
    value: Decimal
    restocking_fee: Decimal
    expected_refund: Decimal


@dataclass(frozen=True)
class Quote:
    decision: str
    summary: str
    rules: list[RuleResult]
    lines: list[LineQuote]
    items_value: Decimal
    restocking_fee: Decimal
    label_payer: str
    label_fee: Decimal
    store_credit_bonus: Decimal
    expected_refund: Decimal
    refund_without_return: bool
    policy_version: int

    def as_rules_json(self) -> list[dict]:
        return [asdict(rule) for rule in self.rules]

    @property
    def reasons(self) -> list[str]:
        """The messages behind the decision (the failed rules, or all when approved)."""
        failing = [r for r in self.rules if not r.passed and r.outcome == self.decision]
        return [_with_subject(r) for r in (failing or self.rules)]


@dataclass(frozen=True)
class InputProblem:
    line_index: int
    field: str
    message: str


def _with_subject(rule: RuleResult) -> str:
    return f"{rule.subject}: {rule.message}" if rule.subject else rule.message


# --- Small helpers -------------------------------------------------------------------
def months_after(day: dt.date, months: int) -> dt.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def format_money(amount: Decimal, currency: str = "USD") -> str:
    amount = money(amount)
    return f"${amount:,}" if currency == "USD" else f"{amount:,} {currency}"


def _days(n: int) -> str:
    return "1 day" if n == 1 else f"{n} days"


def _passed(code: str, message: str, subject: str = "") -> RuleResult:
    return RuleResult(code, True, str(Decision.APPROVE), message, subject)


def _failed(code: str, outcome: str, message: str, subject: str = "") -> RuleResult:
    return RuleResult(code, False, str(outcome), message, subject)


def photo_problems(lines: tuple[LineFacts, ...] | list[LineFacts]) -> list[InputProblem]:
    """Lines whose reason needs a photo but have none: an input error, not a decision."""
    return [
        InputProblem(
            i,
            f"items[{i}].photos",
            f"Please add a photo: “{line.reason.label}” needs one so we can see the problem.",
        )
        for i, line in enumerate(lines)
        if line.reason.requires_photo and line.photo_count == 0
    ]


# --- Rules ---------------------------------------------------------------------------
def _line_rules(req: QuoteRequest, line: LineFacts) -> list[RuleResult]:
    p, product, reason = req.policy, line.product, line.reason
    name = product.name
    rules: list[RuleResult] = []
    warranty = req.kind == ReturnKind.WARRANTY

    if not warranty:
        if product.is_returnable:
            rules.append(_passed("returnable", "This item can be returned.", name))
        elif reason.is_merchant_fault:
            rules.append(
                _passed(
                    "returnable",
                    f"Not normally returnable, but accepted because: {reason.label.lower()}.",
                    name,
                )
            )
        else:
            rules.append(
                _failed("returnable", Decision.DECLINE, "This item cannot be returned.", name)
            )

        final_sale = (
            product.id in p.final_sale_product_ids
            or product.category_id in p.final_sale_category_ids
        )
        if final_sale and not reason.is_merchant_fault:
            rules.append(
                _failed(
                    "final_sale",
                    Decision.DECLINE,
                    "Final sale: it can only be returned if it arrived damaged, faulty or wrong.",
                    name,
                )
            )
        elif final_sale:
            rules.append(
                _passed("final_sale", "Final sale, but accepted because the fault is ours.", name)
            )

    if line.delivered_on is None:
        if reason.is_merchant_fault:
            rules.append(
                _failed(
                    "delivered",
                    Decision.REVIEW,
                    "Not delivered yet: our team will check with the carrier.",
                    name,
                )
            )
        else:
            rules.append(
                _failed(
                    "delivered",
                    Decision.DECLINE,
                    "Not delivered yet: you can return it once it has arrived.",
                    name,
                )
            )
        return rules

    age = (req.today - line.delivered_on).days
    if req.kind in WINDOW_KINDS:
        window = p.category_windows.get(product.category_id, p.window_days)
        where = (
            f" for {product.category_name}"
            if product.category_id in p.category_windows and product.category_name
            else ""
        )
        if age <= window:
            rules.append(
                _passed(
                    "window",
                    f"Inside the {window}-day window{where}: delivered {_days(age)} ago",
                    name,
                )
            )
        else:
            rules.append(
                _failed(
                    "window",
                    Decision.DECLINE,
                    f"Outside the {window}-day window{where}: delivered {_days(age)} ago",
                    name,
                )
            )

    if warranty:
        rules.append(_warranty_rule(p, line, age))
    return rules


def _warranty_rule(p: PolicyFacts, line: LineFacts, age: int) -> RuleResult:
    name, months = line.product.name, line.product.warranty_months
    if not p.warranty_claims_enabled:
        return _failed(
            "warranty", Decision.DECLINE, "Warranty claims are not accepted online.", name
        )
    if not line.reason.is_defect:
        return _failed(
            "warranty",
            Decision.DECLINE,
            f"“{line.reason.label}” is not a defect, so the warranty does not cover it.",
            name,
        )
    if months <= 0:
        return _failed("warranty", Decision.DECLINE, "This item has no warranty.", name)
    ends = months_after(line.delivered_on, months)
    if ends < line.delivered_on + dt.timedelta(days=age):
        return _failed(
            "warranty",
            Decision.DECLINE,
            f"Outside the {months}-month warranty: it ended on {ends:%d %b %Y}.",
            name,
        )
    return _passed(
        "warranty", f"Inside the {months}-month warranty: it runs until {ends:%d %b %Y}.", name
    )


def _list_matches(req: QuoteRequest, kind: str) -> list[ListEntryFacts]:
    email = req.customer_email.strip().lower()
    number = req.order_number.strip().lower()
    skus = {line.product.sku.lower() for line in req.lines}
    found = []
    for entry in req.list_entries:
        if entry.list_kind != kind:
            continue
        value = entry.value.strip().lower()
        if (
            (entry.match_on == "email" and value == email)
            or (entry.match_on == "order" and value == number)
            or (entry.match_on == "product" and value in skus)
        ):
            found.append(entry)
    return found


def _what(entry: ListEntryFacts) -> str:
    return {"email": "your email address", "order": "this order", "product": "this product"}.get(
        entry.match_on, entry.match_on
    )


def _return_rules(req: QuoteRequest, items_value: Decimal) -> list[RuleResult]:
    p = req.policy
    rules = []
    for entry in _list_matches(req, BLOCK):
        why = f" ({entry.reason})" if entry.reason else ""
        rules.append(
            _failed(
                "block_list",
                Decision.DECLINE,
                f"Returns for {_what(entry)} are handled by customer service, not online{why}.",
            )
        )
    allowed = _list_matches(req, ALLOW)
    if allowed:
        rules.append(
            _passed(
                "allow_list",
                f"Trusted ({_what(allowed[0])}): the value and frequency limits do not apply.",
            )
        )
    if _list_matches(req, SERIAL):
        rules.append(
            _failed(
                "serial_returner",
                Decision.REVIEW,
                "Returns on this account are always checked by our team.",
            )
        )
    if allowed:
        return rules

    limit = p.auto_approve_max_order_value
    if items_value > limit:
        rules.append(
            _failed(
                "max_value",
                Decision.REVIEW,
                f"Items worth {format_money(items_value, req.currency)} are above the "
                f"{format_money(limit, req.currency)} automatic approval limit: "
                "our team checks it.",
            )
        )
    else:
        rules.append(
            _passed(
                "max_value",
                f"Items worth {format_money(items_value, req.currency)} are within the "
                f"{format_money(limit, req.currency)} automatic approval limit.",
            )
        )
    count = req.recent_return_count + 1  # this one included
    if count > p.max_returns_in_period:
        rules.append(
            _failed(
                "frequency",
                Decision.REVIEW,
                f"This is return number {count} in {p.returns_period_days} days (more than "
                f"{p.max_returns_in_period}): our team checks it.",
            )
        )
    else:
        rules.append(
            _passed(
                "frequency",
                f"Return {count} of at most {p.max_returns_in_period} in "
                f"{p.returns_period_days} days.",
            )
        )
    return rules


# --- Money ---------------------------------------------------------------------------
def _price(req: QuoteRequest) -> dict:
    p = req.policy
    warranty = req.kind == ReturnKind.WARRANTY
    values = [money(line.unit_price * line.quantity) for line in req.lines]
    items_value = money(sum(values, ZERO))
    merchant_pays = (
        warranty
        or req.kind not in WINDOW_KINDS
        or any(line.reason.is_merchant_fault for line in req.lines)
    )
    returnless = (
        p.returnless_enabled
        and req.kind not in ALWAYS_SHIPPED_KINDS
        and req.preferred_outcome != Outcome.REPAIR
        and items_value < money(p.label_cost_estimate + p.handling_cost_estimate)
    )
    lines = []
    for line, value in zip(req.lines, values, strict=True):
        fee_free = returnless or warranty or line.reason.is_merchant_fault
        fee = ZERO if fee_free else min(value, percent_of(value, p.restocking_fee_percent))
        lines.append(
            LineQuote(
                order_line_id=line.order_line_id,
                quantity=line.quantity,
                unit_price=money(line.unit_price),
                value=value,
                restocking_fee=fee,
                expected_refund=money(value - fee),
            )
        )
    restocking_fee = money(sum((lq.restocking_fee for lq in lines), ZERO))
    if returnless:
        label_payer = LabelPayer.NONE
    elif merchant_pays:
        label_payer = LabelPayer.MERCHANT
    else:
        label_payer = p.non_fault_label_payer
    after_fees = items_value - restocking_fee
    label_fee = ZERO
    if label_payer == LabelPayer.CUSTOMER:
        # Charged once per return, and never more than is left to refund.
        label_fee = money(min(p.customer_label_fee, max(after_fees, ZERO)))
    base = money(max(after_fees - label_fee, ZERO))
    bonus = (
        percent_of(base, p.store_credit_bonus_percent)
        if req.preferred_outcome == Outcome.STORE_CREDIT
        else ZERO
    )
    return {
        "lines": lines,
        "items_value": items_value,
        "restocking_fee": restocking_fee,
        "label_payer": str(label_payer),
        "label_fee": label_fee,
        "store_credit_bonus": bonus,
        "expected_refund": money(base + bonus),
        "refund_without_return": returnless,
    }


def _money_rules(req: QuoteRequest, priced: dict) -> list[RuleResult]:
    cur = req.currency
    rules = []
    if priced["refund_without_return"]:
        rules.append(
            _passed(
                "returnless",
                f"Worth {format_money(priced['items_value'], cur)}, less than shipping it back "
                "would cost: no need to send it back.",
            )
        )
    if priced["restocking_fee"] > 0:
        rules.append(
            _passed(
                "restocking_fee",
                f"Restocking fee of {req.policy.restocking_fee_percent.normalize():f}% "
                f"({format_money(priced['restocking_fee'], cur)}) because the item is not faulty.",
            )
        )
    if priced["label_fee"] > 0:
        rules.append(
            _passed(
                "label_fee",
                f"Return label {format_money(priced['label_fee'], cur)}, taken off your refund.",
            )
        )
    if priced["store_credit_bonus"] > 0:
        rules.append(
            _passed(
                "store_credit_bonus",
                f"Store credit bonus of {req.policy.store_credit_bonus_percent.normalize():f}% "
                f"({format_money(priced['store_credit_bonus'], cur)}).",
            )
        )
    return rules


def _summary(decision: str, rules: list[RuleResult], priced: dict, currency: str) -> str:
    if decision == Decision.APPROVE:
        amount = format_money(priced["expected_refund"], currency)
        if priced["refund_without_return"]:
            return f"Approved: {amount} back, and you can keep the item."
        return f"Approved: {amount} back once the return is processed."
    failing = [
        _with_subject(r).rstrip(".") for r in rules if not r.passed and r.outcome == decision
    ]
    head = "Declined" if decision == Decision.DECLINE else "Our team will review it"
    text = f"{head}: {'; '.join(failing)}."
    return text if len(text) <= 300 else text[:297] + "…"


def evaluate(req: QuoteRequest) -> Quote:
    """Run every rule and price the return. Any decline declines; else any review reviews."""
    priced = _price(req)
    rules: list[RuleResult] = []
    for line in req.lines:
        rules.extend(_line_rules(req, line))
    rules.extend(_return_rules(req, priced["items_value"]))
    rules.extend(_money_rules(req, priced))
    outcomes = {r.outcome for r in rules if not r.passed}
    if Decision.DECLINE in outcomes:
        decision = Decision.DECLINE
    elif Decision.REVIEW in outcomes:
        decision = Decision.REVIEW
    else:
        decision = Decision.APPROVE
    return Quote(
        decision=str(decision),
        summary=_summary(decision, rules, priced, req.currency),
        rules=rules,
        policy_version=req.policy.version,
        **priced,
    )
