"""Output shapes of the returns API (inputs live next to the view that reads them).

The list row is rendered by hand: it is the hot path (store platforms poll it), and DRF's
per-field machinery costs more than the rest of the request. Its declared fields still
describe it in the OpenAPI schema, and a test keeps both in step.
"""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from rma.states import Decision, LabelPayer, Outcome, ReturnKind, ReturnStatus

MONEY = {"max_digits": 12, "decimal_places": 2}


_ENUM_FIELDS: dict[str, type] = {}


def enum_field(choices, name: str, **kwargs) -> serializers.ChoiceField:
    """A choice field documented as the named enum component `name`.

    drf-spectacular otherwise names enums after the field ("status", "kind"); other apps use
    those field names for other choice sets, and the clash fails `--fail-on-warn`. One class
    per name: the schema registry tells components apart by the class behind them.
    """
    if name not in _ENUM_FIELDS:
        values = [value for value, _ in choices]
        annotate = extend_schema_field({"type": "string", "enum": values}, component_name=name)
        _ENUM_FIELDS[name] = annotate(type(name, (serializers.ChoiceField,), {}))
    return _ENUM_FIELDS[name](choices=choices, **kwargs)


def status_field(**kwargs):
    return enum_field(ReturnStatus.choices, "ReturnStatusEnum", **kwargs)


def kind_field(**kwargs):
    return enum_field(ReturnKind.choices, "ReturnKindEnum", **kwargs)


def outcome_field(**kwargs):
    return enum_field(Outcome.choices, "ReturnOutcomeEnum", **kwargs)


def decision_field(**kwargs):
    return enum_field(Decision.choices, "ReturnDecisionEnum", **kwargs)


# --- Errors ----------------------------------------------------------------------------
class ApiErrorOut(serializers.Serializer):
    """Any 4xx: a sentence for people, a code for programs; field errors under their name."""

    detail = serializers.CharField()
    code = serializers.CharField(required=False)
    details = serializers.JSONField(required=False)


class ApiValidationErrorOut(serializers.Serializer):
    """400: `{field: [messages]}`, by index for items: `{"items": {"0": {"quantity": [...]}}}`;
    a domain refusal adds `detail` and `code`, and names the field (`items[0].quantity`)."""

    detail = serializers.CharField(required=False)
    code = serializers.CharField(required=False)
    details = serializers.JSONField(required=False)


# --- Policy ----------------------------------------------------------------------------
class RuleOut(serializers.Serializer):
    code = serializers.CharField()
    passed = serializers.BooleanField()
    outcome = decision_field()
    message = serializers.CharField()
    subject = serializers.CharField(required=False, help_text="The product a line rule is about.")


class MoneyOut(serializers.Serializer):
    currency = serializers.CharField()
    items_value = serializers.DecimalField(**MONEY)
    restocking_fee = serializers.DecimalField(**MONEY)
    label_payer = enum_field(LabelPayer.choices, "ReturnLabelPayerEnum")
    label_fee = serializers.DecimalField(**MONEY)
    store_credit_bonus = serializers.DecimalField(**MONEY)
    expected_refund = serializers.DecimalField(**MONEY)
    refund_without_return = serializers.BooleanField()


class QuoteLineOut(serializers.Serializer):
    order_line_id = serializers.IntegerField()
    quantity = serializers.IntegerField()
    unit_price = serializers.DecimalField(**MONEY)
    value = serializers.DecimalField(**MONEY)
    restocking_fee = serializers.DecimalField(**MONEY)
    expected_refund = serializers.DecimalField(**MONEY)


class QuoteOut(serializers.Serializer):
    decision = decision_field()
    summary = serializers.CharField()
    reasons = serializers.ListField(
        child=serializers.CharField(), help_text="The messages behind the decision."
    )
    rules = RuleOut(many=True)
    lines = QuoteLineOut(many=True)
    money = MoneyOut()
    policy_version = serializers.IntegerField()


def quote_data(quote, *, currency: str) -> dict:
    return QuoteOut(
        {
            "decision": quote.decision,
            "summary": quote.summary,
            "reasons": quote.reasons,
            "rules": quote.as_rules_json(),
            "lines": quote.lines,
            "money": {
                "currency": currency,
                "items_value": quote.items_value,
                "restocking_fee": quote.restocking_fee,
                "label_payer": quote.label_payer,
                "label_fee": quote.label_fee,
                "store_credit_bonus": quote.store_credit_bonus,
                "expected_refund": quote.expected_refund,
                "refund_without_return": quote.refund_without_return,
            },
            "policy_version": quote.policy_version,
        }
    ).data


# --- Returns ---------------------------------------------------------------------------
class ReturnLineOut(serializers.Serializer):
    id = serializers.IntegerField()
    order_line_id = serializers.IntegerField()
    line_number = serializers.IntegerField(source="order_line.line_number")
    sku = serializers.CharField(source="order_line.product.sku")
    product_name = serializers.CharField(source="order_line.product.name")
    quantity = serializers.IntegerField()
    reason_code = serializers.CharField(source="reason.code")
    reason_label = serializers.CharField(source="reason.label")
    customer_note = serializers.CharField()
    exchange_sku = serializers.CharField(
        source="exchange_product.sku", allow_null=True, default=None
    )
    unit_price = serializers.DecimalField(**MONEY)
    restocking_fee = serializers.DecimalField(**MONEY)
    expected_refund = serializers.DecimalField(**MONEY)
    photo_count = serializers.IntegerField()


class OrderRefOut(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()


class CustomerRefOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    email = serializers.EmailField()


# Built once (DRF deep-copies declared fields for every new instance); stateless to use.
_MONEY_OUT = MoneyOut()


class ReturnOut(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField(help_text="The RMA number once approved, else REQ-<id>.")
    rma_number = serializers.CharField(allow_null=True)
    status = status_field()
    status_label = serializers.CharField(source="get_status_display")
    kind = kind_field()
    preferred_outcome = outcome_field()
    channel = serializers.CharField()
    order = OrderRefOut()
    customer = CustomerRefOut()
    decision = serializers.CharField(help_text="approve, decline, review; empty before deciding.")
    decision_summary = serializers.CharField()
    rules = RuleOut(many=True, source="decision_rules")
    policy_version = serializers.IntegerField(
        source="policy.version", allow_null=True, default=None
    )
    money = serializers.SerializerMethodField()
    lines = ReturnLineOut(many=True, source="api_lines")
    actions = serializers.ListField(
        child=enum_field([(k, k) for k in ("cancel", "approve", "decline")], "ReturnActionEnum"),
        source="api_actions",
        help_text="What the caller may do to it now.",
    )
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    status_changed_at = serializers.DateTimeField(allow_null=True)

    def get_money(self, rr) -> MoneyOut:
        return _MONEY_OUT.to_representation(
            {
                "currency": rr.order.currency,
                "items_value": rr.items_value,
                "restocking_fee": rr.restocking_fee,
                "label_payer": rr.label_payer,
                "label_fee": rr.label_fee,
                "store_credit_bonus": rr.store_credit_bonus,
                "expected_refund": rr.expected_refund,
                "refund_without_return": rr.refund_without_return,
            }
        )


class ReturnListLineOut(serializers.Serializer):
    id = serializers.IntegerField()
    sku = serializers.CharField()
    product_name = serializers.CharField()
    quantity = serializers.IntegerField()
    reason_code = serializers.CharField()


class ReturnListItemOut(serializers.Serializer):
    """One row of the list: enough to show and filter; the detail has the rest."""

    id = serializers.IntegerField()
    reference = serializers.CharField()
    rma_number = serializers.CharField(allow_null=True)
    status = status_field()
    kind = kind_field()
    decision = serializers.CharField()
    order_id = serializers.IntegerField()
    order_number = serializers.CharField()
    customer_id = serializers.IntegerField()
    customer_name = serializers.CharField()
    currency = serializers.CharField()
    expected_refund = serializers.DecimalField(**MONEY)
    created_at = serializers.DateTimeField()
    lines = ReturnListLineOut(many=True)

    def to_representation(self, row) -> dict:
        """`row` is a dict from `selectors.return_list_page` (plain values, no model
        instances: a page of 200 would otherwise build ~1,400 of them)."""
        created = row["created_at"].isoformat()
        if created.endswith("+00:00"):
            created = created[:-6] + "Z"  # what DRF's DateTimeField writes for UTC
        return {
            "id": row["id"],
            "reference": row["rma_number"] or f"REQ-{row['id']:06d}",
            "rma_number": row["rma_number"],
            "status": row["status"],
            "kind": row["kind"],
            "decision": row["decision"],
            "order_id": row["order_id"],
            "order_number": row["order_number"],
            "customer_id": row["customer_id"],
            "customer_name": row["customer_name"],
            "currency": row["currency"],
            "expected_refund": f"{row['expected_refund']:.2f}",
            "created_at": created,
            "lines": row["lines"],
        }


class EventOut(serializers.Serializer):
    id = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    kind = serializers.CharField(help_text="status, note, tracking, …")
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    message = serializers.CharField()
    actor_kind = enum_field(
        [(k, k) for k in ("customer", "staff", "system", "carrier")], "ReturnEventActorEnum"
    )
    actor = serializers.CharField(
        allow_null=True, help_text="Username of the staff member (staff only; null otherwise)."
    )
    details = serializers.JSONField(help_text="Machine-readable details (staff only; {} else).")
    visible_to_customer = serializers.BooleanField()


def event_data(event, *, for_staff: bool) -> dict:
    return {
        "id": event.pk,
        "created_at": event.created_at,
        "kind": event.kind,
        "from_status": event.from_status,
        "to_status": event.to_status,
        "message": event.message,
        "actor_kind": event.actor_kind,
        "actor": event.actor.get_username() if for_staff and event.actor else None,
        "details": event.details if for_staff else {},
        "visible_to_customer": event.visible_to_customer,
    }


# --- Reference data --------------------------------------------------------------------
class ReasonOut(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    is_merchant_fault = serializers.BooleanField()
    is_defect = serializers.BooleanField(help_text="Valid for warranty claims.")
    requires_photo = serializers.BooleanField()


class ReturnableLineOut(serializers.Serializer):
    order_line_id = serializers.IntegerField(source="order_line.pk")
    line_number = serializers.IntegerField(source="order_line.line_number")
    sku = serializers.CharField(source="order_line.product.sku")
    product_name = serializers.CharField(source="order_line.product.name")
    variant = serializers.CharField(source="order_line.product.variant")
    unit_price = serializers.DecimalField(source="order_line.unit_price", **MONEY)
    bought = serializers.IntegerField()
    already_returned = serializers.IntegerField()
    returnable_quantity = serializers.IntegerField()
    delivered_on = serializers.DateField(allow_null=True)
    window_days = serializers.IntegerField()
    window_ends_on = serializers.DateField(allow_null=True)
    inside_window = serializers.BooleanField()
    is_returnable = serializers.BooleanField(help_text="Not final sale, marked returnable.")
    warranty_until = serializers.DateField(allow_null=True)
    can_return = serializers.BooleanField(help_text="Worth offering; the policy still decides.")


class ReturnableOrderOut(serializers.Serializer):
    order = OrderRefOut()
    currency = serializers.CharField()
    lines = ReturnableLineOut(many=True)
