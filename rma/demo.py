"""Demo data for returns: reasons, policy v1, list entries, and returns in every status.

Runs after the catalog demo (it needs delivered orders). Each return is filed through
`return_create` (the policy decides), then moved on with `return_transition` only, so no
hook fires: the later demo steps (shipping, warehouse, resolution) fill in labels,
inspections and refunds for the statuses they own. Timestamps are then moved back to when
the return "happened". Deterministic (fixed seed) and skipped when returns already exist.
"""

import datetime as dt
import io
import random

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone
from PIL import Image

from catalog.identity import Viewer
from catalog.models import Category, Customer, Order, OrderLine, Product
from returns_portal.errors import DomainError
from rma.events import event_record
from rma.models import PolicyListEntry, ReturnEvent, ReturnLine, ReturnReason, ReturnRequest
from rma.services import ReturnItemInput, policy_publish, return_create
from rma.states import Outcome, ReturnKind, ReturnStatus
from rma.transitions import return_transition

S = ReturnStatus
DEMO_CUSTOMER_EMAIL = "customer@example.com"
TARGET_RETURNS = 260
HISTORY_DAYS = 120
CLUSTER_SIZE = 12
CLUSTER_REASON = "band-snapped"

REASONS = [
    # code, label, merchant fault, defect, photo
    ("changed-mind", "Changed my mind", False, False, False),
    ("too-small", "Too small", False, False, False),
    ("too-large", "Too large", False, False, False),
    ("not-as-described", "Not as described", True, False, True),
    ("arrived-damaged", "Arrived damaged", True, False, True),
    ("defective", "Defective or stopped working", True, True, True),
    ("wrong-item-sent", "Wrong item sent", True, False, False),
    ("better-price", "Found a better price", False, False, False),
    ("band-snapped", "Band or strap snapped", True, True, True),
]

# Reason weights by category (matched on the category slug); the rest use DEFAULT_WEIGHTS.
CATEGORY_WEIGHTS = {
    "apparel": {
        "too-small": 30,
        "too-large": 25,
        "changed-mind": 20,
        "not-as-described": 12,
        "arrived-damaged": 5,
        "wrong-item-sent": 5,
        "better-price": 3,
    },
    "shoe": {
        "too-small": 35,
        "too-large": 25,
        "changed-mind": 20,
        "not-as-described": 10,
        "arrived-damaged": 5,
        "wrong-item-sent": 5,
    },
    "electronic": {
        "defective": 25,
        "changed-mind": 20,
        "better-price": 15,
        "arrived-damaged": 15,
        "not-as-described": 15,
        "wrong-item-sent": 10,
    },
    "wearable": {
        "band-snapped": 10,
        "defective": 20,
        "changed-mind": 30,
        "too-small": 15,
        "better-price": 10,
        "arrived-damaged": 15,
    },
}
DEFAULT_WEIGHTS = {
    "changed-mind": 35,
    "arrived-damaged": 15,
    "not-as-described": 15,
    "wrong-item-sent": 10,
    "better-price": 15,
    "defective": 10,
}

# After approval: the order statuses move through, and days each step usually takes.
FORWARD = [S.LABEL_ISSUED, S.IN_TRANSIT, S.DELIVERED, S.RECEIVED, S.GRADED, S.RESOLVED, S.CLOSED]
STEP_DAYS = {
    S.LABEL_ISSUED: 1,
    S.IN_TRANSIT: 1,
    S.DELIVERED: 3,
    S.RECEIVED: 1,
    S.GRADED: 1,
    S.RESOLVED: 1,
    S.CLOSED: 14,
}
STEP_ACTOR = {
    S.LABEL_ISSUED: "system",
    S.IN_TRANSIT: "carrier",
    S.DELIVERED: "carrier",
    S.RECEIVED: "staff",
    S.GRADED: "staff",
    S.RESOLVED: "system",
    S.CLOSED: "system",
}
STEP_MESSAGE = {
    S.LABEL_ISSUED: "Your return label is ready.",
    S.IN_TRANSIT: "The carrier picked up your parcel.",
    S.DELIVERED: "Your parcel reached our returns warehouse.",
    S.RECEIVED: "We received your items.",
    S.GRADED: "We checked your items.",
    S.RESOLVED: "Your return is complete.",
    S.CLOSED: "",
}


def _photo() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (24, 24), (160, 40, 40)).save(buffer, format="PNG")
    return SimpleUploadedFile("photo.png", buffer.getvalue(), content_type="image/png")


def _weights_for(category_slug: str) -> dict:
    for key, weights in CATEGORY_WEIGHTS.items():
        if key in category_slug:
            return weights
    return DEFAULT_WEIGHTS


def reasons_seed() -> dict[str, ReturnReason]:
    found = {}
    for position, (code, label, fault, defect, photo) in enumerate(REASONS):
        reason, _ = ReturnReason.objects.get_or_create(
            code=code,
            defaults={
                "label": label,
                "is_merchant_fault": fault,
                "is_defect": defect,
                "requires_photo": photo,
                "position": position,
            },
        )
        found[code] = reason
    return found


def policy_seed():
    from rma.models import ReturnPolicy

    active = ReturnPolicy.objects.filter(is_active=True).first()
    if active is not None:
        return active
    windows = dict.fromkeys(Category.objects.filter(slug__icontains="electronic"), 14)
    final_sale = Category.objects.filter(slug__icontains="clearance")
    return policy_publish(
        actor=None,
        name="Standard policy",
        notes="Demo policy: 30 days, electronics 14 days, clearance is final sale.",
        category_windows=windows,
        final_sale_categories=list(final_sale),
    )


def list_entries_seed(customers: list[Customer]) -> None:
    entries = [("block", "email", "chargeback-abuse@example.net", "Repeated chargebacks")]
    others = [c for c in customers if c.email.lower() != DEMO_CUSTOMER_EMAIL]
    if others:
        entries.append(("serial_returner", "email", others[-1].email, "Returns most orders"))
    if len(others) > 1:
        entries.append(("allow", "email", others[0].email, "Wholesale partner"))
    for kind, match_on, value, reason in entries:
        PolicyListEntry.objects.get_or_create(
            list_kind=kind, match_on=match_on, value=value, defaults={"reason": reason}
        )


def _viewer_for(order) -> Viewer:
    customer = order.customer
    if customer.user_id:
        return Viewer(user=customer.user, customer_id=customer.pk)
    return Viewer(guest_order_ids=frozenset({order.pk}))


class _Filer:
    """Files demo returns and ages them; counts what it made."""

    def __init__(self, *, today: dt.date, rng: random.Random, reasons: dict, grader):
        self.today = today
        self.rng = rng
        self.reasons = reasons
        self.grader = grader
        self.now = timezone.now()
        self.made: list[int] = []
        self.timeline: dict[int, tuple] = {}
        self.refused = 0

    def file(
        self,
        line: OrderLine,
        *,
        filed_on: dt.date,
        reason_code: str | None = None,
        target: str | None = None,
        kind: str | None = None,
    ) -> ReturnRequest | None:
        rng = self.rng
        product = line.product
        code = reason_code or self._reason_for(product)
        reason = self.reasons[code]
        kind, outcome, exchange_to = self._kind_and_outcome(line, reason, filed_on, kind)
        quantity = 1 if line.quantity == 1 or rng.random() < 0.7 else line.quantity
        photos = (_photo(),) if reason.requires_photo else ()
        item = ReturnItemInput(
            order_line_id=line.pk,
            quantity=quantity,
            reason_code=code,
            note=rng.choice(["", "", "", "Please process quickly.", "Box is unopened."]),
            exchange_product_id=exchange_to,
            photos=photos,
        )
        try:
            rr = return_create(
                viewer=_viewer_for(line.order),
                order_id=line.order_id,
                items=[item],
                kind=kind,
                preferred_outcome=outcome,
                channel=rng.choices(["portal", "api", "staff"], [80, 15, 5])[0],
                today=filed_on,
                notify=False,
            )
        except DomainError:
            self.refused += 1
            return None
        filed_at = timezone.make_aware(
            dt.datetime.combine(filed_on, dt.time(8)) + dt.timedelta(minutes=rng.randint(0, 720))
        )
        if rr.status == S.APPROVED:
            self._advance(rr, filed_at, target)
        else:
            self._backdate(rr, filed_at, [])
        self.made.append(rr.pk)
        return rr

    def _reason_for(self, product: Product) -> str:
        weights = _weights_for(product.category.slug)
        codes = [c for c in weights if c in self.reasons and c != CLUSTER_REASON]
        return self.rng.choices(codes, [weights[c] for c in codes])[0]

    def _kind_and_outcome(self, line, reason, filed_on, kind):
        rng = self.rng
        product = line.product
        delivered = timezone.localtime(line.delivered_at).date()
        if (
            kind is None
            and reason.is_defect
            and product.warranty_months
            and ((filed_on - delivered).days > 30 or rng.random() < 0.3)
        ):
            kind = ReturnKind.WARRANTY
        if kind == ReturnKind.WARRANTY:
            return kind, rng.choice([Outcome.REPAIR, Outcome.REPLACE, Outcome.REFUND]), None
        if reason.code in {"too-small", "too-large"} and product.family and rng.random() < 0.5:
            swap = (
                Product.objects.filter(family=product.family, stock_on_hand__gte=2)
                .exclude(pk=product.pk)
                .order_by("pk")
                .first()
            )
            if swap is not None:
                return ReturnKind.EXCHANGE, Outcome.EXCHANGE, swap.pk
        outcome = Outcome.STORE_CREDIT if rng.random() < 0.18 else Outcome.REFUND
        return ReturnKind.STANDARD, outcome, None

    def _advance(self, rr: ReturnRequest, filed_at: dt.datetime, target: str | None) -> None:
        """Move an approved return along as far as its age allows (or to `target`)."""
        rng = self.rng
        moves = []
        at = filed_at + dt.timedelta(minutes=1)
        if target is None:
            target = self._target_for(rr, filed_at)
        path = self._path_to(rr, target)
        # The approval hook may already have moved it on (refund without return → resolved).
        current = ReturnRequest.objects.values_list("status", flat=True).get(pk=rr.pk)
        hook_moves = ReturnEvent.objects.filter(return_request=rr, kind="status").count() - 2
        for _ in range(max(hook_moves, 0)):
            at = at + dt.timedelta(minutes=1)
            moves.append(at)
        if current != S.APPROVED:
            path = path[path.index(current) + 1 :] if current in path else []
        for status in path:
            at = at + dt.timedelta(days=STEP_DAYS.get(status, 1), hours=rng.randint(0, 6))
            if at > self.now:
                break
            actor_kind = STEP_ACTOR.get(status, "customer")
            actor = self.grader if actor_kind == "staff" else None
            message = STEP_MESSAGE.get(status, "Cancelled at your request.")
            return_transition(
                return_id=rr.pk,
                to_status=status,
                actor=actor,
                actor_kind=actor_kind,
                message=message,
                notify=False,
            )
            moves.append(at)
        self._backdate(rr, filed_at, moves)

    def _target_for(self, rr: ReturnRequest, filed_at: dt.datetime) -> str:
        rng = self.rng
        age = (self.now - filed_at).days
        if rr.refund_without_return:
            return S.RESOLVED if age > 2 and rng.random() < 0.8 else S.APPROVED
        if rng.random() < 0.08:
            return S.CANCELLED
        reachable = [S.APPROVED]
        elapsed = 0
        for status in FORWARD:
            elapsed += STEP_DAYS[status] + 1
            if elapsed > age:
                break
            reachable.append(status)
        # Older returns are mostly done; a few got stuck along the way.
        if rng.random() < 0.75:
            return reachable[-1]
        return rng.choice(reachable)

    def _path_to(self, rr: ReturnRequest, target: str) -> list[str]:
        if target == S.APPROVED:
            return []
        if target == S.CANCELLED:
            return [S.LABEL_ISSUED, S.CANCELLED] if self.rng.random() < 0.5 else [S.CANCELLED]
        if rr.refund_without_return:
            return [S.RESOLVED, S.CLOSED][: 1 + (target == S.CLOSED)]
        return FORWARD[: FORWARD.index(target) + 1]

    def _backdate(self, rr: ReturnRequest, filed_at: dt.datetime, moves: list) -> None:
        self.timeline[rr.pk] = (filed_at, moves)

    def backdate_all(self) -> None:
        """Put the returns and their events at the times they "happened" (bulk, at the end)."""
        events_by_return: dict[int, list] = {}
        for pk, rr_id, kind in (
            ReturnEvent.objects.filter(return_request_id__in=list(self.timeline))
            .order_by("return_request_id", "id")
            .values_list("pk", "return_request_id", "kind")
        ):
            events_by_return.setdefault(rr_id, []).append((pk, kind))
        event_rows, return_rows = [], []
        adapt = connection.ops.adapt_datetimefield_value
        for rr_id, (filed_at, moves) in self.timeline.items():
            decision_at = filed_at + dt.timedelta(minutes=1)
            events = events_by_return.get(rr_id, [])
            status_events = [pk for pk, kind in events if kind == "status"]
            # requested, then the decision a minute later, then one per later move
            times = dict(zip(status_events, [filed_at, decision_at, *moves], strict=False))
            event_rows += [(adapt(times.get(pk, decision_at)), pk) for pk, _ in events]
            last = adapt(max([filed_at, decision_at, *moves]))
            return_rows.append((adapt(filed_at), last, last, rr_id))
        # Plain UPDATEs in one round of executemany: the ORM's bulk_update is far slower here.
        events_table = connection.ops.quote_name(ReturnEvent._meta.db_table)
        returns_table = connection.ops.quote_name(ReturnRequest._meta.db_table)
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {events_table} SET created_at = %s WHERE id = %s", event_rows
            )
            cursor.executemany(
                f"UPDATE {returns_table} SET created_at = %s, updated_at = %s, "
                "status_changed_at = %s WHERE id = %s",
                return_rows,
            )


def _delivered_lines(today: dt.date):
    start = timezone.make_aware(
        dt.datetime.combine(today - dt.timedelta(days=HISTORY_DAYS + 60), dt.time())
    )
    end = timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=1), dt.time()))
    return (
        OrderLine.objects.filter(delivered_at__gte=start, delivered_at__lt=end)
        .select_related("order__customer__user", "product__category", "batch")
        .order_by("pk")
    )


def _filing_date(line: OrderLine, today: dt.date, rng: random.Random) -> dt.date | None:
    delivered = timezone.localtime(line.delivered_at).date()
    # Most file within two weeks; some wait until after the window closes.
    delay = rng.choice([1, 2, 3, 4, 5, 6, 7, 9, 11, 14, 18, 25, 33, 45])
    filed = delivered + dt.timedelta(days=delay)
    earliest = today - dt.timedelta(days=HISTORY_DAYS)
    if filed > today or filed < earliest:
        return None
    return filed


def _cluster_lines(today: dt.date, rng: random.Random) -> list[OrderLine]:
    """Recent deliveries of one batch of one wearable, for the defect spike."""
    wearables = Product.objects.filter(category__slug__icontains="wearable", batches__isnull=False)
    since = timezone.now() - dt.timedelta(days=40)
    best = (
        OrderLine.objects.filter(
            product__in=wearables, batch__isnull=False, delivered_at__gte=since
        )
        .values("product_id", "batch_id")
        .annotate(n=Count("pk"))
        .order_by("-n", "product_id", "batch_id")
        .first()
    )
    if best is None:
        product = wearables.order_by("pk").first()
        if product is None:
            return []
        batch = product.batches.order_by("pk").first()
    else:
        product = Product.objects.get(pk=best["product_id"])
        batch = product.batches.get(pk=best["batch_id"])
    lines = list(
        OrderLine.objects.filter(product=product, batch=batch, delivered_at__gte=since)
        .select_related("order__customer__user", "product__category")
        .order_by("pk")[:CLUSTER_SIZE]
    )
    # Too few real deliveries of that batch: add orders from existing customers.
    customers = list(Customer.objects.exclude(email__iexact=DEMO_CUSTOMER_EMAIL).order_by("pk"))
    for i in range(CLUSTER_SIZE - len(lines)):
        if not customers:
            break
        customer = customers[i % len(customers)]
        delivered = timezone.now() - dt.timedelta(days=rng.randint(6, 24))
        order = Order.objects.create(
            number=f"D-{product.pk}-{batch.pk}-{i:03d}",
            customer=customer,
            placed_at=delivered - dt.timedelta(days=3),
            payment_reference=f"pi_demo_cluster_{product.pk}_{i}",
            **{
                f: getattr(customer, f)
                for f in (
                    "address_name",
                    "address_line1",
                    "city",
                    "region",
                    "postal_code",
                    "country",
                )
            },
        )
        lines.append(
            OrderLine.objects.create(
                order=order,
                line_number=1,
                product=product,
                batch=batch,
                quantity=1,
                unit_price=product.price,
                delivered_at=delivered,
            )
        )
    return lines


def _requested_recall(line: OrderLine) -> None:
    """A return started by staff for a recall, waiting for the customer to confirm."""
    rr = ReturnRequest.objects.create(
        order=line.order,
        customer=line.order.customer,
        kind=ReturnKind.RECALL,
        channel="recall",
        label_payer="merchant",
        items_value=line.unit_price,
        expected_refund=line.unit_price,
        status_changed_at=timezone.now(),
    )
    ReturnLine.objects.create(
        return_request=rr,
        order_line=line,
        quantity=1,
        reason=ReturnReason.objects.get(code="defective"),
        unit_price=line.unit_price,
        expected_refund=line.unit_price,
    )
    event_record(
        return_request=rr,
        kind="status",
        to_status=S.REQUESTED,
        message="We asked you to send this item back because of a safety recall.",
        details={"channel": "recall"},
    )


def seed(*, stdout, today: dt.date) -> None:
    reasons = reasons_seed()
    policy_seed()
    customers = list(Customer.objects.order_by("pk"))
    list_entries_seed(customers)
    if ReturnRequest.objects.exists():
        stdout.write("rma: returns exist already; reasons, policy and lists checked\n")
        return
    lines = list(_delivered_lines(today))
    if not lines:
        stdout.write("rma: no delivered orders to return (seed the catalog first)\n")
        return
    from django.contrib.auth import get_user_model

    grader = get_user_model().objects.filter(username="grader").first()
    rng = random.Random(20261120)
    filer = _Filer(today=today, rng=rng, reasons=reasons, grader=grader)
    with transaction.atomic():
        used_orders: set[int] = set()
        # The demo customer first: a few returns in states worth looking at.
        demo_lines = [ln for ln in lines if ln.order.customer.email.lower() == DEMO_CUSTOMER_EMAIL]
        demo_targets = [S.APPROVED, S.IN_TRANSIT, S.RESOLVED, S.CLOSED, S.LABEL_ISSUED]
        for line, target in zip(demo_lines, demo_targets, strict=False):
            delivered = timezone.localtime(line.delivered_at).date()
            filed = min(today, delivered + dt.timedelta(days=2))
            if filer.file(line, filed_on=filed, target=target):
                used_orders.add(line.order_id)
        leftovers = [ln for ln in demo_lines[len(demo_targets) :] if ln.order_id not in used_orders]
        if leftovers:  # and one past its window, to show a decline
            line = leftovers[0]
            delivered = timezone.localtime(line.delivered_at).date()
            filed = min(today, delivered + dt.timedelta(days=45))
            filer.file(line, filed_on=filed)
            used_orders.add(line.order_id)

        # Make sure manual review and declines show up whatever the catalog looks like.
        spare = [ln for ln in lines if ln.order_id not in used_orders]
        flagged = {
            e.value.lower()
            for e in PolicyListEntry.objects.filter(list_kind="serial_returner", match_on="email")
        }
        for line in [ln for ln in spare if ln.order.customer.email.lower() in flagged][:2] + sorted(
            spare, key=lambda ln: (-ln.unit_price, ln.pk)
        )[:2]:
            if line.order_id in used_orders:
                continue
            delivered = timezone.localtime(line.delivered_at).date()
            filer.file(line, filed_on=min(today, delivered + dt.timedelta(days=3)))
            used_orders.add(line.order_id)
        late = [
            ln
            for ln in spare
            if ln.order_id not in used_orders
            and timezone.localtime(ln.delivered_at).date() + dt.timedelta(days=45) <= today
        ]
        for line in late[:4]:
            delivered = timezone.localtime(line.delivered_at).date()
            filer.file(line, filed_on=delivered + dt.timedelta(days=45))
            used_orders.add(line.order_id)

        cluster = _cluster_lines(today, rng)
        for line in cluster:
            delivered = timezone.localtime(line.delivered_at).date()
            filed = min(today, delivered + dt.timedelta(days=rng.randint(2, 6)))
            filer.file(
                line,
                filed_on=filed,
                reason_code=CLUSTER_REASON,
                target=S.APPROVED if rng.random() < 0.3 else None,
            )
            used_orders.add(line.order_id)

        candidates = [ln for ln in lines if ln.order_id not in used_orders]
        rng.shuffle(candidates)
        for line in candidates:
            if len(filer.made) >= TARGET_RETURNS:
                break
            if line.order_id in used_orders:
                continue
            filed = _filing_date(line, today, rng)
            if filed is None:
                continue
            if filer.file(line, filed_on=filed):
                used_orders.add(line.order_id)

        filer.backdate_all()
        leftover = [ln for ln in candidates if ln.order_id not in used_orders][:2]
        for line in leftover:
            _requested_recall(line)
    counts = dict(
        ReturnRequest.objects.values_list("status").annotate(n=Count("pk")).order_by("status")
    )
    missing = sorted(set(S.values) - set(counts))
    stdout.write(
        f"rma: {sum(counts.values())} returns ({', '.join(f'{k} {v}' for k, v in counts.items())})"
        f"; {len(cluster)} '{CLUSTER_REASON}' in one batch"
        + (f"; no returns in: {', '.join(missing)}" if missing else "")
        + "\n"
    )
