"""Order API shapes: what a store sends (input) and what a viewer reads (output)."""

from django.conf import settings
from rest_framework import serializers

from catalog.services import (
    ADDRESS_FIELDS,
    AddressInput,
    CustomerInput,
    OrderInput,
    OrderLineInput,
)

MAX_LINES = 200


def _money_field(**kwargs):
    return serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0, **kwargs)


class AddressIn(serializers.Serializer):
    address_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    address_line1 = serializers.CharField(max_length=200, required=False, allow_blank=True)
    address_line2 = serializers.CharField(max_length=200, required=False, allow_blank=True)
    city = serializers.CharField(max_length=100, required=False, allow_blank=True)
    region = serializers.CharField(max_length=100, required=False, allow_blank=True)
    postal_code = serializers.CharField(max_length=20, required=False, allow_blank=True)
    country = serializers.RegexField(
        r"^[A-Za-z]{2}$",
        required=False,
        error_messages={"invalid": "Use a two-letter ISO country code."},
    )


class CustomerIn(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    name = serializers.CharField(max_length=200)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    address = AddressIn(required=False)


class OrderLineIn(serializers.Serializer):
    line_number = serializers.IntegerField(min_value=1, max_value=32767)
    sku = serializers.CharField(max_length=64)
    lot_code = serializers.CharField(max_length=64, required=False, allow_blank=True)
    quantity = serializers.IntegerField(min_value=1, max_value=100000)
    unit_price = _money_field()
    delivered_at = serializers.DateTimeField(required=False, allow_null=True)


class OrderIn(serializers.Serializer):
    number = serializers.CharField(max_length=40)
    customer = CustomerIn()
    placed_at = serializers.DateTimeField()
    currency = serializers.RegexField(
        r"^[A-Za-z]{3}$",
        required=False,
        error_messages={"invalid": "Use a three-letter ISO currency code."},
    )
    payment_reference = serializers.CharField(max_length=100, required=False, allow_blank=True)
    shipping_paid = _money_field(required=False)
    channel = serializers.CharField(max_length=40, required=False)
    shipping_address = AddressIn(required=False)
    lines = OrderLineIn(many=True, allow_empty=False, max_length=MAX_LINES)

    def validate_lines(self, lines):
        numbers = [line["line_number"] for line in lines]
        if len(numbers) != len(set(numbers)):
            raise serializers.ValidationError("Line numbers must be unique within an order.")
        return lines


def _address(data: dict | None) -> AddressInput | None:
    if data is None:
        return None
    values = {name: data[name] for name in ADDRESS_FIELDS if name in data}
    if "country" in values:
        values["country"] = values["country"].upper()
    return AddressInput(**values)


def order_input_from(validated: dict) -> OrderInput:
    """The service's input from `OrderIn.validated_data`."""
    customer = validated["customer"]
    return OrderInput(
        number=validated["number"],
        customer=CustomerInput(
            email=customer["email"],
            name=customer["name"],
            phone=customer.get("phone", ""),
            address=_address(customer.get("address")) or AddressInput(),
        ),
        placed_at=validated["placed_at"],
        currency=validated.get("currency", settings.DEFAULT_CURRENCY).upper(),
        payment_reference=validated.get("payment_reference", ""),
        shipping_paid=validated.get("shipping_paid", 0),
        channel=validated.get("channel", "web"),
        shipping_address=_address(validated.get("shipping_address")),
        lines=tuple(
            OrderLineInput(
                line_number=line["line_number"],
                sku=line["sku"],
                lot_code=line.get("lot_code", ""),
                quantity=line["quantity"],
                unit_price=line["unit_price"],
                delivered_at=line.get("delivered_at"),
            )
            for line in validated["lines"]
        ),
    )


# --- Output --------------------------------------------------------------------------------
class OrderLineOut(serializers.Serializer):
    line_number = serializers.IntegerField()
    sku = serializers.CharField(source="product.sku")
    product = serializers.CharField(source="product.name")
    lot_code = serializers.CharField(source="batch.lot_code", allow_null=True, default=None)
    quantity = serializers.IntegerField()
    unit_price = serializers.DecimalField(max_digits=12, decimal_places=2)
    line_total = serializers.DecimalField(max_digits=14, decimal_places=2)
    delivered_at = serializers.DateTimeField(allow_null=True)


class OrderCustomerOut(serializers.Serializer):
    email = serializers.EmailField()
    name = serializers.CharField()


class OrderOut(serializers.Serializer):
    number = serializers.CharField()
    placed_at = serializers.DateTimeField()
    currency = serializers.CharField()
    payment_reference = serializers.CharField()
    shipping_paid = serializers.DecimalField(max_digits=12, decimal_places=2)
    channel = serializers.CharField()
    customer = OrderCustomerOut()
    shipping_address = serializers.ListField(source="address_lines", child=serializers.CharField())
    total_paid = serializers.DecimalField(max_digits=14, decimal_places=2)
    lines = OrderLineOut(many=True)


class OrderResultOut(serializers.Serializer):
    """One order's outcome in a bulk import."""

    index = serializers.IntegerField()
    number = serializers.CharField(allow_null=True)
    status = serializers.ChoiceField(["created", "unchanged", "updated", "invalid", "conflict"])
    http_status = serializers.IntegerField()
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), required=False
    )
    changed = serializers.ListField(child=serializers.CharField(), required=False)
    differs = serializers.ListField(
        child=serializers.CharField(), required=False, help_text="For a conflict: what differs"
    )


class ImportSummaryOut(serializers.Serializer):
    created = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    updated = serializers.IntegerField()
    invalid = serializers.IntegerField()
    conflict = serializers.IntegerField()


class ImportOut(serializers.Serializer):
    summary = ImportSummaryOut()
    results = OrderResultOut(many=True)
