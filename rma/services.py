"""Writes for returns: quote, create (policy decision), staff review, cancel; policy versions.

Every status change goes through `rma.transitions.return_transition`, which locks the row
and writes the audit event; emails follow from that event after commit.
"""

import datetime as dt
import json
import uuid
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Max, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from PIL import Image

from catalog.models import OrderLine, Product
from catalog.selectors import exchange_allowed, order_get_for_viewer, order_lines_for_viewer
from returns_portal.errors import Conflict, DomainError, NotFound, PermissionDenied
from rma import hooks, policy
from rma.events import event_record, events_batched
from rma.models import (
    PolicyCategoryWindow,
    PolicyListEntry,
    ReturnEvent,
    ReturnLine,
    ReturnPhoto,
    ReturnPolicy,
    ReturnReason,
    ReturnRequest,
)
from rma.states import (
    CUSTOMER_CANCELLABLE,
    OPEN_OR_DONE,
    Decision,
    Outcome,
    ReturnKind,
    ReturnStatus,
)
from rma.transitions import return_transition

PHOTO_MAX_BYTES = 8 * 1024 * 1024
PHOTO_MAX_COUNT = 5
PHOTO_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
# HEIC/HEIF files are ISO-BMFF: "ftyp" at byte 4 followed by one of these brands.
HEIC_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
CUSTOMER_KINDS = frozenset({ReturnKind.STANDARD, ReturnKind.EXCHANGE, ReturnKind.WARRANTY})
WARRANTY_OUTCOMES = frozenset({Outcome.REPAIR, Outcome.REPLACE})
NOTE_MAX = 2000
REVIEW_PERMISSION = "catalog.review_return"


@dataclass(frozen=True)
class ReturnItemInput:
    order_line_id: int
    quantity: int
    reason_code: str
    note: str = ""
    exchange_product_id: int | None = None
    photos: tuple = ()  # Django UploadedFile objects


@dataclass(frozen=True)
class _Prepared:
    order: object
    order_lines: list  # OrderLine per item, same order as items
    reasons: list  # ReturnReason per item
    exchange_products: list  # Product | None per item
    photo_formats: list  # list[str] (file extensions) per item
    kind: str
    preferred_outcome: str
    policy: ReturnPolicy
    request: policy.QuoteRequest


# --- Policy versions -------------------------------------------------------------------
POLICY_FIELDS = [
    f.name
    for f in ReturnPolicy._meta.concrete_fields
    if f.editable and not f.primary_key and f.name != "notes"
]


def policy_publish(*, actor, **fields) -> ReturnPolicy:
    """Publish a new policy version from the active one plus `fields`; deactivate the old.

    Extra keywords: `final_sale_categories`, `final_sale_products` (iterables of objects or
    ids) and `category_windows` ({category or id: days}); each is copied from the active
    version when not given. Past decisions keep pointing at the version they used.
    """
    windows = fields.pop("category_windows", None)
    sale_categories = fields.pop("final_sale_categories", None)
    sale_products = fields.pop("final_sale_products", None)
    notes = fields.pop("notes", "")
    unknown = sorted(set(fields) - set(POLICY_FIELDS))
    if unknown:
        raise DomainError(f"Unknown policy setting: {', '.join(unknown)}.", field=unknown[0])
    try:
        return _policy_publish(
            actor=actor,
            fields=fields,
            windows=windows,
            sale_categories=sale_categories,
            sale_products=sale_products,
            notes=notes,
        )
    except IntegrityError:  # two publishes raced on "one active version"
        raise Conflict(
            "Another policy version was published at the same moment. Reload and try again."
        ) from None


def _policy_publish(*, actor, fields, windows, sale_categories, sale_products, notes):
    with transaction.atomic():
        current = ReturnPolicy.objects.select_for_update().filter(is_active=True).first()
        values = {name: getattr(current, name) for name in POLICY_FIELDS} if current else {}
        values.update(fields)
        version = (ReturnPolicy.objects.aggregate(v=Max("version"))["v"] or 0) + 1
        new = ReturnPolicy(
            version=version,
            is_active=True,
            notes=notes,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
            **values,
        )
        try:
            new.full_clean(validate_constraints=False)
        except ValidationError as exc:
            name, messages = next(iter(exc.message_dict.items()))
            raise DomainError(f"{name}: {' '.join(messages)}", field=name) from None
        if current is not None:
            ReturnPolicy.objects.filter(pk=current.pk).update(is_active=False)
        new.save()
        if sale_categories is None and current is not None:
            sale_categories = current.final_sale_categories.all()
        if sale_products is None and current is not None:
            sale_products = current.final_sale_products.all()
        new.final_sale_categories.set(sale_categories or [])
        new.final_sale_products.set(sale_products or [])
        if windows is None:
            windows = (
                dict(current.category_windows.values_list("category_id", "window_days"))
                if current is not None
                else {}
            )
        PolicyCategoryWindow.objects.bulk_create(
            PolicyCategoryWindow(
                policy=new, category_id=getattr(category, "pk", category), window_days=int(days)
            )
            for category, days in windows.items()
        )
    return new


def policy_active_or_default() -> ReturnPolicy:
    """The active policy; publishes version 1 with the defaults when there is none yet."""
    found = ReturnPolicy.objects.filter(is_active=True).first()
    if found is not None:
        return found
    try:
        return policy_publish(actor=None, notes="Default policy.")
    except Conflict:  # another request published it first
        return ReturnPolicy.objects.get(is_active=True)


# A published version never changes (a change publishes the next one), so its facts are
# read once per process. The key includes the publication time: a test database that
# reuses an id after a rollback still gets the facts of the row it now holds.
_POLICY_FACTS: dict[tuple, policy.PolicyFacts] = {}
_POLICY_FACTS_MAX = 16


def _policy_facts(active: ReturnPolicy) -> policy.PolicyFacts:
    key = (active.pk, active.version, active.created_at)
    facts = _POLICY_FACTS.get(key)
    if facts is None:
        if len(_POLICY_FACTS) >= _POLICY_FACTS_MAX:
            _POLICY_FACTS.clear()
        facts = _POLICY_FACTS[key] = policy.PolicyFacts.from_model(active)
    return facts


def _recent_returns(*, customer_id: int, until: dt.datetime, period_days: int):
    """The customer's returns (not cancelled) in the `period_days` before `until`."""
    since = until - dt.timedelta(days=period_days + 1)
    return ReturnRequest.objects.filter(
        customer_id=customer_id, created_at__gte=since, created_at__lt=until
    ).exclude(status=ReturnStatus.CANCELLED)


# The period of the policy seen last: the active policy and the count over its period come
# in one query; when the policy read back has another period (a new version), it is
# counted again over the right one.
_period_seen = {"days": 90}

REASON_FIELDS = tuple(f.attname for f in ReturnReason._meta.concrete_fields)
LIST_ENTRY_FIELDS = ("list_kind", "match_on", "value", "reason")


@dataclass(frozen=True)
class _PolicyRead:
    """What a filing reads about its rules: the active policy, the customer's returns in
    its period, the active reasons the items name (by code), the list entries that match
    the customer, order or products, and how much of each line is already returned."""

    policy: ReturnPolicy
    recent_returns: int
    reasons: dict
    list_entries: tuple
    returned: dict  # order line id -> quantity in returns open or done


@dataclass(frozen=True)
class _ListKeys:
    """What block / allow / serial-returner entries are matched on (case-insensitively)."""

    email: str
    number: str
    skus: tuple[str, ...]

    def as_q(self) -> Q:
        match = Q(match_on=PolicyListEntry.MatchOn.EMAIL, value__iexact=self.email) | Q(
            match_on=PolicyListEntry.MatchOn.ORDER, value__iexact=self.number
        )
        for sku in self.skus:
            match |= Q(match_on=PolicyListEntry.MatchOn.PRODUCT, value__iexact=sku)
        return match


def _list_entry_facts(rows) -> tuple:
    return tuple(
        policy.ListEntryFacts(row["list_kind"], row["match_on"], row["value"], row["reason"])
        for row in rows
    )


def _policy_read_sql() -> str:
    """The filing's rules in one statement (PostgreSQL): the active policy row, the count of
    the customer's returns in a period, and the reasons, list entries and quantities
    already returned per order line as JSON arrays.

    Plain SQL because it runs on every filing and the ORM spends longer building this
    query than the database spends answering it; `_policy_read_orm` is the same read
    through the ORM (used elsewhere, and by the test that keeps the two equal)."""
    qn = connection.ops.quote_name

    def cols(model, names=None, alias=""):
        fields = model._meta.concrete_fields
        chosen = [f for f in fields if names is None or f.attname in names]
        return ", ".join(f"{alias}{qn(f.column)} AS {qn(f.attname)}" for f in chosen)

    upper_value = f"UPPER({qn('value')}::text)"
    return (
        f"SELECT {cols(ReturnPolicy, alias='p.')},"
        f" (SELECT COUNT(*) FROM {qn(ReturnRequest._meta.db_table)} r"
        f"  WHERE r.{qn('customer_id')} = %(customer)s AND r.{qn('created_at')} >= %(since)s"
        f"  AND r.{qn('created_at')} < %(until)s AND NOT (r.{qn('status')} = %(cancelled)s)"
        f" ) AS {qn('recent_returns')},"
        f" (SELECT json_agg(x) FROM (SELECT {cols(ReturnReason)}"
        f"  FROM {qn(ReturnReason._meta.db_table)}"
        f"  WHERE {qn('code')} = ANY(%(codes)s::text[]) AND {qn('is_active')}) x"
        f" ) AS {qn('reason_rows')},"
        f" (SELECT json_agg(y ORDER BY y.{qn('id')}) FROM"
        f"  (SELECT {cols(PolicyListEntry, {'id', *LIST_ENTRY_FIELDS})}"
        f"   FROM {qn(PolicyListEntry._meta.db_table)}"
        f"   WHERE ({qn('match_on')} = 'email' AND {upper_value} = UPPER(%(email)s))"
        f"   OR ({qn('match_on')} = 'order' AND {upper_value} = UPPER(%(number)s))"
        f"   OR ({qn('match_on')} = 'product'"
        f"       AND {upper_value} = ANY(SELECT UPPER(s) FROM unnest(%(skus)s::text[]) s))) y"
        f" ) AS {qn('list_rows')},"
        f" (SELECT json_agg(json_build_array(z.{qn('order_line_id')}, z.n)) FROM"
        f"  (SELECT rl.{qn('order_line_id')}, SUM(rl.{qn('quantity')}) AS n"
        f"   FROM {qn(ReturnLine._meta.db_table)} rl"
        f"   JOIN {qn(ReturnRequest._meta.db_table)} rr"
        f"   ON rr.{qn('id')} = rl.{qn('return_request_id')}"
        f"   WHERE rl.{qn('order_line_id')} = ANY(%(lines)s::bigint[])"
        f"   AND rr.{qn('status')} = ANY(%(open)s::text[])"
        f"   GROUP BY rl.{qn('order_line_id')}) z"
        f" ) AS {qn('returned_rows')}"
        f" FROM {qn(ReturnPolicy._meta.db_table)} p WHERE p.{qn('is_active')}"
        f" ORDER BY p.{qn('version')} DESC LIMIT 1"
    )


_POLICY_READ_SQL: dict[str, str] = {}


def _json_rows(value) -> list:
    if isinstance(value, str | bytes):
        value = json.loads(value)
    return value or []


def _policy_read_sql_run(*, customer_id, since, until, reason_codes, keys: _ListKeys, line_ids):
    """The active policy with `recent_returns`, `reason_rows`, `list_rows` and
    `returned_rows`, or None."""
    sql = _POLICY_READ_SQL.get("sql")
    if sql is None:
        sql = _POLICY_READ_SQL["sql"] = _policy_read_sql()
    params = {
        "customer": customer_id,
        "since": since,
        "until": until,
        "cancelled": str(ReturnStatus.CANCELLED),
        "codes": sorted(reason_codes),
        "email": keys.email,
        "number": keys.number,
        "skus": list(keys.skus),
        "lines": list(line_ids),
        "open": sorted(str(status) for status in OPEN_OR_DONE),
    }
    active = next(iter(ReturnPolicy.objects.raw(sql, params)), None)
    if active is not None:
        active.reason_rows = _json_rows(active.reason_rows)
        active.list_rows = _json_rows(active.list_rows)
        active.returned_rows = [tuple(row) for row in _json_rows(active.returned_rows)]
    return active


def _policy_read_orm(*, customer_id, since, until, reason_codes, keys: _ListKeys, line_ids):
    """The same as `_policy_read_sql_run`, through the ORM (any database)."""
    counted = (
        ReturnRequest.objects.filter(
            customer_id=customer_id, created_at__gte=since, created_at__lt=until
        )
        .exclude(status=ReturnStatus.CANCELLED)
        .order_by()
        .values("customer_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    active = (
        ReturnPolicy.objects.filter(is_active=True)
        .annotate(recent_returns=Coalesce(Subquery(counted), 0))
        .first()
    )
    if active is not None:
        _rows_read(active, reason_codes=reason_codes, keys=keys, line_ids=line_ids)
    return active


def _rows_read(active, *, reason_codes, keys: _ListKeys, line_ids) -> None:
    """Give `active` the `reason_rows`, `list_rows` and `returned_rows` of a filing, a
    query each."""
    reasons = ReturnReason.objects.filter(code__in=reason_codes, is_active=True)
    active.reason_rows = list(reasons.values(*REASON_FIELDS))
    entries = PolicyListEntry.objects.filter(keys.as_q()).order_by("pk")
    active.list_rows = list(entries.values("id", *LIST_ENTRY_FIELDS))
    active.returned_rows = list(
        ReturnLine.objects.filter(
            order_line_id__in=line_ids, return_request__status__in=OPEN_OR_DONE
        )
        .values("order_line_id")
        .annotate(n=Sum("quantity"))
        .values_list("order_line_id", "n")
    )


def _policy_read(
    *, customer_id: int, line_ids, today: dt.date, reason_codes, keys: _ListKeys
) -> _PolicyRead:
    """The active policy and the customer's number of returns in its period up to `today`
    (imports and the demo file returns "in the past"), the reasons and the list entries.

    One query on PostgreSQL; elsewhere four."""
    until = timezone.make_aware(dt.datetime.combine(today + dt.timedelta(days=1), dt.time()))
    guess = _period_seen["days"]
    read = _policy_read_sql_run if connection.vendor == "postgresql" else _policy_read_orm
    active = read(
        customer_id=customer_id,
        since=until - dt.timedelta(days=guess + 1),
        until=until,
        reason_codes=reason_codes,
        keys=keys,
        line_ids=line_ids,
    )
    if active is None:
        active = policy_active_or_default()
        _rows_read(active, reason_codes=reason_codes, keys=keys, line_ids=line_ids)
    if getattr(active, "recent_returns", None) is not None and (
        active.returns_period_days == guess
    ):
        recent = active.recent_returns
    else:
        _period_seen["days"] = active.returns_period_days
        recent = _recent_returns(
            customer_id=customer_id, until=until, period_days=active.returns_period_days
        ).count()
    db = ReturnReason.objects.db
    return _PolicyRead(
        policy=active,
        recent_returns=recent,
        reasons={
            row["code"]: ReturnReason.from_db(db, REASON_FIELDS, [row[f] for f in REASON_FIELDS])
            for row in active.reason_rows
        },
        list_entries=_list_entry_facts(active.list_rows),
        returned=dict(active.returned_rows),
    )


# --- Validation ------------------------------------------------------------------------
def _photo_format(upload) -> str | None:
    """The file type read from its content (magic bytes), never from its name."""
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if head[4:8] == b"ftyp" and head[8:12] in HEIC_BRANDS:
        return "heic"
    try:
        with Image.open(upload) as image:
            fmt = image.format
            image.verify()
    except Exception:  # Pillow raises many types for junk input; all mean "not an image"
        return None
    finally:
        upload.seek(0)
    return PHOTO_FORMATS.get(fmt or "")


def _photos_check(index: int, photos) -> list[str]:
    field = f"items[{index}].photos"
    photos = list(photos or ())
    if len(photos) > PHOTO_MAX_COUNT:
        raise DomainError(f"Add at most {PHOTO_MAX_COUNT} photos per item.", field=field)
    formats = []
    for upload in photos:
        name = getattr(upload, "name", "photo")
        if (getattr(upload, "size", 0) or 0) > PHOTO_MAX_BYTES:
            raise DomainError(f"{name} is larger than 8 MB.", field=field)
        fmt = _photo_format(upload)
        if fmt is None:
            raise DomainError(f"{name} is not a JPEG, PNG, WebP or HEIC photo.", field=field)
        formats.append(fmt)
    return formats


def _as_int(value, field: str) -> int:
    if isinstance(value, bool):
        raise DomainError("Must be a whole number.", field=field)
    try:
        return int(value)
    except (TypeError, ValueError):
        raise DomainError("Must be a whole number.", field=field) from None


def _kind_and_outcome(viewer, kind, preferred_outcome) -> tuple[str, str]:
    if kind not in ReturnKind.values:
        raise DomainError("Unknown kind of return.", field="kind")
    if preferred_outcome not in Outcome.values:
        raise DomainError("Unknown outcome.", field="preferred_outcome")
    if kind not in CUSTOMER_KINDS and not viewer.is_staff:
        raise DomainError("This kind of return is started by our team.", field="kind")
    # An exchange is both a kind and an outcome; asking for either means both.
    if kind == ReturnKind.EXCHANGE and preferred_outcome == Outcome.REFUND:
        preferred_outcome = Outcome.EXCHANGE
    if preferred_outcome == Outcome.EXCHANGE and kind == ReturnKind.STANDARD:
        kind = ReturnKind.EXCHANGE
    if kind == ReturnKind.EXCHANGE and preferred_outcome != Outcome.EXCHANGE:
        raise DomainError("An exchange must have the exchange outcome.", field="preferred_outcome")
    if preferred_outcome in WARRANTY_OUTCOMES and kind != ReturnKind.WARRANTY:
        raise DomainError(
            "Repair and replacement are for warranty claims.", field="preferred_outcome"
        )
    return str(kind), str(preferred_outcome)


def _exchange_product(index: int, item, order_line, quantity: int, outcome: str):
    field = f"items[{index}].exchange_product_id"
    if outcome != Outcome.EXCHANGE:
        if item.exchange_product_id is not None:
            raise DomainError("Choose the exchange outcome to pick a replacement.", field=field)
        return None
    wanted = order_line.product_id
    if item.exchange_product_id is not None:
        wanted = _as_int(item.exchange_product_id, field)
    product = Product.objects.filter(pk=wanted).first()
    if product is None:
        raise DomainError("That replacement product does not exist.", field=field)
    if not exchange_allowed(bought=order_line.product, wanted=product):
        raise DomainError(
            "You can exchange for another variant of the item, or for another item of the "
            "same kind at the same price.",
            field=field,
        )
    if product.stock_on_hand < quantity:
        raise DomainError(
            f"{product.name} ({product.variant or product.sku}) is out of stock.", field=field
        )
    return product


def _local_date(moment) -> dt.date | None:
    return timezone.localtime(moment).date() if moment is not None else None


def _line_ids(items: list) -> list[int]:
    """The items' order line ids, in order; DomainError for a malformed or repeated one."""
    if not items:
        raise DomainError("Choose at least one item to return.", field="items")
    line_ids = []
    for i, item in enumerate(items):
        if not isinstance(item, ReturnItemInput):
            raise DomainError(
                "Each item needs a line, a quantity and a reason.", field=f"items[{i}]"
            )
        line_id = _as_int(item.order_line_id, f"items[{i}].order_line_id")
        if line_id in line_ids:
            raise DomainError("Each order line may appear once.", field=f"items[{i}].order_line_id")
        line_ids.append(line_id)
    return line_ids


def _line_ids_or_none(items: list) -> list[int] | None:
    """`_line_ids(items)`, or None where it would raise."""
    try:
        return _line_ids(items)
    except DomainError:
        return None


def _lines_for_return(lines_qs, *, lock: bool):
    # the supplier too: an approved return is routed from these lines (no second read)
    lines_qs = lines_qs.select_related("product__category", "product__supplier")
    if lock:
        # Lock the lines (not their products) in pk order, the same order for everyone so
        # no deadlocks, before counting what is already returned: two requests cannot both
        # claim the last unit.
        lines_qs = lines_qs.select_for_update(of=("self",)).order_by("pk")
    return lines_qs


def _prepare(
    *, viewer, order_id, items, kind, preferred_outcome, today, lock: bool, photos: bool
) -> _Prepared:
    kind, preferred_outcome = _kind_and_outcome(viewer, kind, preferred_outcome)
    items = list(items or [])
    # The order and its lines in one query when the request is well formed and every line
    # is found; otherwise step by step, so each problem gets its own error as before.
    order, by_id = None, None
    line_ids = _line_ids_or_none(items)
    if line_ids and isinstance(order_id, int) and not isinstance(order_id, bool):
        lines_qs = order_lines_for_viewer(viewer=viewer, order_id=order_id, line_ids=line_ids)
        by_id = {ol.pk: ol for ol in _lines_for_return(lines_qs, lock=lock)}
        if len(by_id) == len(line_ids):
            order = by_id[line_ids[0]].order
    if order is None:
        order = order_get_for_viewer(viewer=viewer, order_id=order_id)
        line_ids = _line_ids(items)
        lines_qs = OrderLine.objects.filter(order=order, pk__in=line_ids)
        by_id = {ol.pk: ol for ol in _lines_for_return(lines_qs, lock=lock)}
    today = today or timezone.localdate()
    # Read after the lines are locked (a statement of its own), so what is already returned
    # includes any return that held the lock before us.
    rules_read = _policy_read(
        customer_id=order.customer_id,
        line_ids=line_ids,
        today=today,
        reason_codes={str(item.reason_code or "") for item in items},
        keys=_ListKeys(
            email=order.customer.email,
            number=order.number,
            skus=tuple(by_id[i].product.sku for i in line_ids if i in by_id),
        ),
    )
    reasons_by_code = rules_read.reasons

    order_lines, reasons, exchanges, formats, facts = [], [], [], [], []
    for i, (item, line_id) in enumerate(zip(items, line_ids, strict=True)):
        order_line = by_id.get(line_id)
        if order_line is None:
            raise DomainError("That item is not on this order.", field=f"items[{i}].order_line_id")
        quantity = _as_int(item.quantity, f"items[{i}].quantity")
        left = order_line.quantity - (rules_read.returned.get(line_id) or 0)
        if quantity < 1:
            raise DomainError("Return at least one.", field=f"items[{i}].quantity")
        if quantity > left:
            message = (
                "This item has already been returned."
                if left <= 0
                else f"You can return at most {left} of {order_line.product.name}."
            )
            raise DomainError(message, field=f"items[{i}].quantity")
        reason = reasons_by_code.get(str(item.reason_code or ""))
        if reason is None:
            raise DomainError("Choose a reason from the list.", field=f"items[{i}].reason_code")
        if kind == ReturnKind.WARRANTY and not reason.is_defect:
            raise DomainError(
                f"“{reason.label}” is not a defect: a warranty claim needs a fault.",
                field=f"items[{i}].reason_code",
            )
        if len(item.note or "") > NOTE_MAX:
            raise DomainError(
                f"Keep the note under {NOTE_MAX} characters.", field=f"items[{i}].note"
            )
        exchanges.append(_exchange_product(i, item, order_line, quantity, preferred_outcome))
        formats.append(_photos_check(i, item.photos) if photos else [])
        order_lines.append(order_line)
        reasons.append(reason)
        product = order_line.product
        facts.append(
            policy.LineFacts(
                order_line_id=order_line.pk,
                product=policy.ProductFacts(
                    id=product.pk,
                    sku=product.sku,
                    name=product.name,
                    category_id=product.category_id,
                    category_name=product.category.name,
                    is_returnable=product.is_returnable,
                    warranty_months=product.warranty_months,
                ),
                reason=policy.ReasonFacts(
                    code=reason.code,
                    label=reason.label,
                    is_merchant_fault=reason.is_merchant_fault,
                    is_defect=reason.is_defect,
                    requires_photo=reason.requires_photo,
                ),
                quantity=quantity,
                unit_price=order_line.unit_price,
                delivered_on=_local_date(order_line.delivered_at),
                photo_count=len(item.photos or ()),
            )
        )
    if photos:
        problems = policy.photo_problems(facts)
        if problems:
            raise DomainError(problems[0].message, field=problems[0].field)

    active = rules_read.policy
    rules = _policy_facts(active)
    request = policy.QuoteRequest(
        policy=rules,
        lines=tuple(facts),
        today=today,
        kind=kind,
        preferred_outcome=preferred_outcome,
        customer_email=order.customer.email,
        order_number=order.number,
        recent_return_count=rules_read.recent_returns,
        list_entries=rules_read.list_entries,
        currency=order.currency,
    )
    return _Prepared(
        order=order,
        order_lines=order_lines,
        reasons=reasons,
        exchange_products=exchanges,
        photo_formats=formats,
        kind=kind,
        preferred_outcome=preferred_outcome,
        policy=active,
        request=request,
    )


# --- Customer writes -------------------------------------------------------------------
def return_quote(
    *,
    viewer,
    order_id,
    items: list[ReturnItemInput],
    kind=ReturnKind.STANDARD,
    preferred_outcome=Outcome.REFUND,
    today: dt.date | None = None,
) -> policy.Quote:
    """What the policy would decide, with the money, without writing anything.

    Photos are not required here (the customer may not have added them yet).
    """
    prepared = _prepare(
        viewer=viewer,
        order_id=order_id,
        items=items,
        kind=kind,
        preferred_outcome=preferred_outcome,
        today=today,
        lock=False,
        photos=False,
    )
    return policy.evaluate(prepared.request)


def _actor_kind(viewer, actor) -> str:
    if actor is not None and viewer.is_staff:
        return ReturnEvent.ActorKind.STAFF
    return ReturnEvent.ActorKind.CUSTOMER


def rma_number_for(return_request: ReturnRequest) -> str:
    year = timezone.localtime(return_request.created_at or timezone.now()).year
    return f"RMA-{year}-{return_request.pk:06d}"


def return_create(
    *,
    viewer,
    order_id,
    items: list[ReturnItemInput],
    kind=ReturnKind.STANDARD,
    preferred_outcome=Outcome.REFUND,
    channel: str = "portal",
    actor=None,
    today: dt.date | None = None,
    notify: bool = True,
) -> ReturnRequest:
    """Validate, decide under the active policy, store, and move to the decided status.

    `today` is the filing date the return window is measured to (default: today);
    `notify=False` sends no email (demo data, imports). The return comes back with
    `created_lines`: its lines as inserted (order line, product and reason loaded).
    """
    with transaction.atomic():
        prepared = _prepare(
            viewer=viewer,
            order_id=order_id,
            items=items,
            kind=kind,
            preferred_outcome=preferred_outcome,
            today=today,
            lock=True,
            photos=True,
        )
        quote = policy.evaluate(prepared.request)
        user = actor if actor is not None else viewer.user
        user = user if getattr(user, "is_authenticated", False) else None
        order = prepared.order
        rr = ReturnRequest.objects.create(
            order=order,
            customer=order.customer,
            kind=prepared.kind,
            preferred_outcome=prepared.preferred_outcome,
            channel=(channel or "portal")[:20],
            created_by=user,
            policy=prepared.policy,
            decision=quote.decision,
            decision_summary=quote.summary[:300],
            decision_rules=quote.as_rules_json(),
            label_payer=quote.label_payer,
            refund_without_return=quote.refund_without_return,
            items_value=quote.items_value,
            restocking_fee=quote.restocking_fee,
            label_fee=quote.label_fee,
            store_credit_bonus=quote.store_credit_bonus,
            expected_refund=quote.expected_refund,
            status_changed_at=timezone.now(),
        )
        lines = ReturnLine.objects.bulk_create(
            ReturnLine(
                return_request=rr,
                order_line=prepared.order_lines[i],
                quantity=quote.lines[i].quantity,
                reason=prepared.reasons[i],
                customer_note=(item.note or "").strip(),
                exchange_product=prepared.exchange_products[i],
                unit_price=prepared.order_lines[i].unit_price,
                restocking_fee=quote.lines[i].restocking_fee,
                expected_refund=quote.lines[i].expected_refund,
            )
            for i, item in enumerate(items)
        )
        for i, (item, line) in enumerate(zip(items, lines, strict=True)):
            for upload, ext in zip(item.photos or (), prepared.photo_formats[i], strict=True):
                photo = ReturnPhoto(line=line)
                photo.image.save(f"{uuid.uuid4().hex}.{ext}", upload, save=True)
        actor_kind = _actor_kind(viewer, actor)
        # the return's events (requested, decided, routed) are written in one INSERT
        with events_batched():
            event_record(
                return_request=rr,
                kind="status",
                to_status=ReturnStatus.REQUESTED,
                actor=user,
                actor_kind=actor_kind,
                message="Return requested.",
                details={"channel": rr.channel, "kind": rr.kind, "lines": len(items)},
            )
            details = {"decision": quote.decision, "policy_version": quote.policy_version}
            if quote.decision == Decision.APPROVE:
                rr = _approve(
                    rr,
                    message=quote.summary,
                    details=details,
                    notify=notify,
                    inserted_lines=lines,
                )
            else:
                to_status = (
                    ReturnStatus.DECLINED
                    if quote.decision == Decision.DECLINE
                    else ReturnStatus.PENDING_REVIEW
                )
                rr = return_transition(
                    return_id=rr.pk,
                    to_status=to_status,
                    message=quote.summary,
                    details=details,
                    notify=notify,
                    locked=rr,
                )
    rr.created_lines = lines
    return rr


def _approve(
    rr,
    *,
    message: str,
    details: dict,
    actor=None,
    actor_kind=None,
    changes=None,
    expected_from=frozenset({ReturnStatus.REQUESTED}),
    notify: bool = True,
    inserted_lines: list[ReturnLine] | None = None,
):
    """`inserted_lines`: the caller's transaction just inserted `rr` with these lines (their
    order lines, products, suppliers and reasons loaded), so nothing is read again."""
    inserted = inserted_lines is not None
    rr = return_transition(
        return_id=rr.pk,
        to_status=ReturnStatus.APPROVED,
        actor=actor,
        actor_kind=actor_kind or ReturnEvent.ActorKind.SYSTEM,
        message=message,
        details=details,
        expected_from=expected_from,
        changes={"rma_number": rma_number_for(rr), **(changes or {})},
        notify=notify,
        locked=rr if inserted else None,
    )
    hooks.return_approved(return_request=rr, lines=inserted_lines, new_return=inserted)
    if rr.refund_without_return:
        rr.refresh_from_db()  # the hook moved it on (refund without return → resolved)
    return rr


# --- Staff review ----------------------------------------------------------------------
def _reviewer_check(actor, reason: str) -> str:
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise PermissionDenied("Sign in as staff to review returns.")
    if not actor.has_perm(REVIEW_PERMISSION):
        raise PermissionDenied("You may not approve or decline returns.")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Say why, for the customer and the audit log.", field="reason")
    if len(reason) > 280:
        raise DomainError("Keep the reason under 280 characters.", field="reason")
    return reason


def return_approve(*, return_id: int, actor, reason: str) -> ReturnRequest:
    """Staff approve a return waiting in manual review."""
    reason = _reviewer_check(actor, reason)
    with transaction.atomic():
        rr = ReturnRequest.objects.filter(pk=return_id).first()
        if rr is None:
            raise NotFound("Return not found.")
        return _approve(
            rr,
            expected_from=frozenset({ReturnStatus.PENDING_REVIEW}),
            message=reason,
            details={"decision": Decision.APPROVE, "by": "staff"},
            actor=actor,
            actor_kind=ReturnEvent.ActorKind.STAFF,
            changes={
                "decision": Decision.APPROVE,
                "decision_summary": f"Approved by our team: {reason}"[:300],
            },
        )


def return_decline(*, return_id: int, actor, reason: str) -> ReturnRequest:
    """Staff decline a return waiting in manual review."""
    reason = _reviewer_check(actor, reason)
    return return_transition(
        return_id=return_id,
        to_status=ReturnStatus.DECLINED,
        actor=actor,
        actor_kind=ReturnEvent.ActorKind.STAFF,
        message=reason,
        details={"decision": Decision.DECLINE, "by": "staff"},
        expected_from=frozenset({ReturnStatus.PENDING_REVIEW}),
        changes={
            "decision": Decision.DECLINE,
            "decision_summary": f"Declined by our team: {reason}"[:300],
        },
    )


def return_cancel(*, viewer, return_id: int, reason: str = "") -> ReturnRequest:
    """The owner (or review staff) cancels before the parcel is handed to the carrier."""
    from rma.selectors import return_get_for_viewer, return_owned_by

    rr = return_get_for_viewer(viewer=viewer, return_id=return_id)
    if return_owned_by(viewer, rr):
        actor_kind = ReturnEvent.ActorKind.CUSTOMER
    elif viewer.can("review_return"):
        actor_kind = ReturnEvent.ActorKind.STAFF
    else:
        raise PermissionDenied("You may not cancel this return.")
    reason = (reason or "").strip()[:280]
    with transaction.atomic():
        cancelled = return_transition(
            return_id=rr.pk,
            to_status=ReturnStatus.CANCELLED,
            actor=viewer.user,
            actor_kind=actor_kind,
            message=reason
            or (
                "Cancelled at your request."
                if actor_kind == ReturnEvent.ActorKind.CUSTOMER
                else "Cancelled by our team."
            ),
            expected_from=CUSTOMER_CANCELLABLE,
        )
        hooks.return_cancelled(return_id=rr.pk)
    return cancelled
