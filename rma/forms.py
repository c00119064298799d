"""Forms for the customer return pages and the staff pages.

The return form is built per order: one group of fields per order line that can still be
returned. It only checks what a form can (numbers, choices, limits shown on the page); the
policy and every business rule stay in `rma.services`, whose errors are mapped back onto
these fields by `ReturnForm.attach_domain_error`.
"""

import re
from dataclasses import dataclass

from django import forms

from rma.services import PHOTO_MAX_COUNT, ReturnItemInput
from rma.states import Outcome, ReturnKind, ReturnStatus

ITEM_FIELD = re.compile(r"^items\[(\d+)\]\.(\w+)$")
# Service field names (items[i].<name>) → the form's per-line field prefix.
ITEM_FIELD_MAP = {
    "order_line_id": "pick",
    "quantity": "qty",
    "reason_code": "reason",
    "note": "note",
    "photos": "photos",
    "exchange_product_id": "exchange",
}
CUSTOMER_KINDS = [
    (ReturnKind.STANDARD, "Return it"),
    (ReturnKind.EXCHANGE, "Exchange it"),
    (ReturnKind.WARRANTY, "Warranty claim (it is faulty)"),
]
OUTCOMES = [
    (Outcome.REFUND, "Refund to my original payment"),
    (Outcome.STORE_CREDIT, "Store credit"),
    (Outcome.EXCHANGE, "Exchange for another size or colour"),
    (Outcome.REPAIR, "Repair (warranty)"),
    (Outcome.REPLACE, "Replacement (warranty)"),
]


def _exchange_label(product, bought) -> str:
    """A variant by its variant name; another item by its name (and variant)."""
    if bought.family and product.family == bought.family and product.variant:
        return f"{product.variant} ({product.sku})"
    variant = f" · {product.variant}" if product.variant else ""
    return f"{product.name}{variant} ({product.sku})"


class OrderLookupForm(forms.Form):
    number = forms.CharField(
        label="Order number",
        max_length=40,
        help_text="It is in your order confirmation email.",
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )
    email = forms.EmailField(
        label="Email used for the order",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class ReasonSelect(forms.Select):
    """A select whose options say whether the reason needs a photo / is a defect."""

    def __init__(self, *args, flags=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.flags = flags or {}

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        photo, defect = self.flags.get(str(value), (False, False))
        if photo:
            option["attrs"]["data-photo"] = "1"
        if defect:
            option["attrs"]["data-defect"] = "1"
        return option


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Zero to PHOTO_MAX_COUNT files; their content is checked by the service."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "widget",
            MultipleFileInput(attrs={"accept": "image/*", "capture": "environment"}),
        )
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = [f for f in (data or []) if f] if isinstance(data, list | tuple) else data
        if not files:
            return []
        if not isinstance(files, list):
            files = [files]
        if len(files) > PHOTO_MAX_COUNT:
            raise forms.ValidationError(f"Add at most {PHOTO_MAX_COUNT} photos per item.")
        return [super(PhotosField, self).clean(f, initial) for f in files]


@dataclass
class LineGroup:
    """One order line on the form, with its bound fields (None when it can't be returned)."""

    returnable: object  # rma.selectors.ReturnableLine
    why_not: str
    variants: list
    pick: object = None
    qty: object = None
    reason: object = None
    note: object = None
    photos: object = None
    exchange: object = None
    sku: object = None

    @property
    def line(self):
        return self.returnable.order_line

    @property
    def fields(self):
        return [self.pick, self.qty, self.reason, self.note, self.photos, self.exchange, self.sku]

    @property
    def has_errors(self) -> bool:
        return any(f is not None and f.errors for f in self.fields)


def why_not_returnable(returnable) -> str:
    """Plain words for a line the customer cannot pick (the policy decides the rest)."""
    if returnable.delivered_on is None:
        return "Not delivered yet: you can return it once it has arrived."
    if returnable.returnable_quantity <= 0:
        return "Already returned (or in a return that is still open)."
    return ""


class ReturnForm(forms.Form):
    kind = forms.ChoiceField(
        label="What would you like to do?",
        choices=CUSTOMER_KINDS,
        initial=ReturnKind.STANDARD,
        widget=forms.RadioSelect,
    )
    preferred_outcome = forms.ChoiceField(
        label="How should we make it right?",
        choices=OUTCOMES,
        initial=Outcome.REFUND,
        widget=forms.RadioSelect,
    )

    def __init__(
        self, *args, returnables, reasons, variants_by_product, bonus_percent=None, **kwargs
    ):
        super().__init__(*args, **kwargs)
        if bonus_percent:
            self.fields["preferred_outcome"].choices = [
                (value, f"{label} (+{bonus_percent.normalize():f}%)")
                if value == Outcome.STORE_CREDIT
                else (value, label)
                for value, label in OUTCOMES
            ]
        self.reasons = list(reasons)
        flags = {r.code: (r.requires_photo, r.is_defect) for r in self.reasons}
        reason_choices = [("", "Choose a reason…")] + [(r.code, r.label) for r in self.reasons]
        self.groups: list[LineGroup] = []
        for rl in returnables:
            line = rl.order_line
            group = LineGroup(
                returnable=rl,
                why_not=why_not_returnable(rl),
                variants=variants_by_product.get(line.product_id, []),
            )
            self.groups.append(group)
            if group.why_not:
                continue
            p = f"line_{line.pk}_"
            self.fields[p + "pick"] = forms.BooleanField(
                required=False, label=f"Return {line.product.name}"
            )
            self.fields[p + "qty"] = forms.IntegerField(
                required=False,
                label="Quantity",
                min_value=1,
                max_value=rl.returnable_quantity,
                initial=1,
                widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
                error_messages={
                    "invalid": "Enter a whole number.",
                    "min_value": "Return at least one.",
                    "max_value": f"You can return at most {rl.returnable_quantity}.",
                },
            )
            self.fields[p + "reason"] = forms.ChoiceField(
                required=False,
                label="Why are you returning it?",
                choices=reason_choices,
                widget=ReasonSelect(flags=flags, attrs={"class": "reason"}),
            )
            self.fields[p + "note"] = forms.CharField(
                required=False,
                label="Anything we should know? (optional)",
                max_length=2000,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
            self.fields[p + "photos"] = PhotosField(
                label="Photos",
                help_text="Needed for this reason: a clear photo of the problem (JPEG, PNG, "
                "WebP or HEIC; up to 5, 8 MB each). Photos are sent when you press Submit.",
            )
            self.fields[p + "exchange"] = forms.TypedChoiceField(
                required=False,
                label="Exchange for",
                coerce=int,
                empty_value=None,
                help_text="In stock now.",
                choices=[("", "The same item again")]
                + [(v.pk, _exchange_label(v, group.line.product)) for v in group.variants],
            )
            self.fields[p + "sku"] = forms.CharField(
                required=False,
                label="…or enter a SKU",
                max_length=64,
                help_text="Another size or colour, or another item of the same kind and price.",
                widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
            )
        for group in self.groups:
            if not group.why_not:
                p = f"line_{group.line.pk}_"
                for name in ("pick", "qty", "reason", "note", "photos", "exchange", "sku"):
                    setattr(group, name, self[p + name])
        self.item_line_ids: list[int] = []  # service item index → order line id
        self.items: list[ReturnItemInput] = []

    @property
    def returnable_groups(self) -> list[LineGroup]:
        return [g for g in self.groups if not g.why_not]

    def clean(self):
        cleaned = super().clean()
        items, line_ids = [], []
        for group in self.returnable_groups:
            p = f"line_{group.line.pk}_"
            if not cleaned.get(p + "pick"):
                continue
            if self.has_error(p + "qty"):
                line_ids.append(group.line.pk)
                continue
            quantity = cleaned.get(p + "qty")
            if quantity is None:
                self.add_error(p + "qty", "How many are you returning?")
            reason = cleaned.get(p + "reason")
            if not reason:
                self.add_error(p + "reason", "Choose a reason.")
            exchange = cleaned.get(p + "exchange")
            sku = (cleaned.get(p + "sku") or "").strip()
            if sku:
                exchange = self._product_for_sku(sku, group)
                if exchange is None:
                    self.add_error(p + "sku", "No variant of this item has that SKU.")
            line_ids.append(group.line.pk)
            items.append(
                ReturnItemInput(
                    order_line_id=group.line.pk,
                    quantity=quantity or 0,
                    reason_code=reason or "",
                    note=cleaned.get(p + "note") or "",
                    exchange_product_id=exchange if self._wants_exchange(cleaned) else None,
                    photos=tuple(cleaned.get(p + "photos") or ()),
                )
            )
        if not line_ids:
            raise forms.ValidationError("Tick at least one item to return.")
        self.items = items
        self.item_line_ids = [item.order_line_id for item in items]
        return cleaned

    @staticmethod
    def _wants_exchange(cleaned) -> bool:
        return (
            cleaned.get("preferred_outcome") == Outcome.EXCHANGE
            or cleaned.get("kind") == ReturnKind.EXCHANGE
        )

    @staticmethod
    def _product_for_sku(sku: str, group: LineGroup):
        """The exchange product for a typed SKU: the item itself or one of its choices."""
        product = group.line.product
        if sku.lower() == product.sku.lower():
            return product.pk
        for variant in group.variants:
            if variant.sku.lower() == sku.lower():
                return variant.pk
        return None

    def attach_domain_error(self, exc) -> None:
        """Show a service's DomainError on the field it is about (else on the form)."""
        match = ITEM_FIELD.match(exc.field or "")
        if match:
            index, name = int(match.group(1)), match.group(2)
            if index < len(self.item_line_ids) and name in ITEM_FIELD_MAP:
                field = f"line_{self.item_line_ids[index]}_{ITEM_FIELD_MAP[name]}"
                if field in self.fields:
                    self.add_error(field, exc.message)
                    return
        if exc.field in ("kind", "preferred_outcome"):
            self.add_error(exc.field, exc.message)
            return
        self.add_error(None, exc.message)


class CancelForm(forms.Form):
    reason = forms.CharField(
        label="Why are you cancelling? (optional)",
        required=False,
        max_length=280,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ReviewDecisionForm(forms.Form):
    action = forms.ChoiceField(choices=[("approve", "Approve"), ("decline", "Decline")])
    reason = forms.CharField(
        label="Reason (the customer sees it)",
        max_length=280,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Say why, for the customer and the audit log."},
    )


class StaffReturnFilterForm(forms.Form):
    status = forms.ChoiceField(
        required=False, choices=[("", "Any status"), *list(ReturnStatus.choices)]
    )
    created_after = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    created_before = forms.DateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = forms.ChoiceField(required=False, choices=[("", "Any reason")])
    product = forms.CharField(required=False, label="Product SKU", max_length=64)
    supplier = forms.ChoiceField(required=False, choices=[("", "Any supplier")])

    def __init__(self, *args, reasons, suppliers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].choices = [("", "Any reason")] + [
            (code, label) for code, label in reasons
        ]
        self.fields["supplier"].choices = [("", "Any supplier")] + [
            (code, name) for code, name in suppliers
        ]

    def clean(self):
        cleaned = super().clean()
        after, before = cleaned.get("created_after"), cleaned.get("created_before")
        if after and before and after > before:
            self.add_error("created_before", "The end date is before the start date.")
        return cleaned
