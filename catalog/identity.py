"""Who is looking: the one place that decides which orders and returns a request may see.

A signed-in customer sees every order of their Customer record. A guest proves one order at
a time with order number + email; the proven order ids live in the session. Staff with
`catalog.view_all_returns` see everything. Every selector that lists or fetches customer
data takes a `Viewer`, so no page or endpoint can forget the check.
"""

from dataclasses import dataclass, field

from django.contrib.auth.models import AnonymousUser

GUEST_ORDERS_SESSION_KEY = "guest_order_ids"


@dataclass(frozen=True)
class Viewer:
    user: object | None = None
    customer_id: int | None = None
    guest_order_ids: frozenset[int] = field(default_factory=frozenset)
    is_staff: bool = False

    @property
    def is_anonymous(self) -> bool:
        return not (self.is_staff or self.customer_id or self.guest_order_ids)

    @property
    def user_id(self) -> int | None:
        return getattr(self.user, "pk", None)

    def can(self, codename: str) -> bool:
        user = self.user
        return bool(
            user is not None and user.is_authenticated and user.has_perm(f"catalog.{codename}")
        )


def viewer_for_user(user) -> Viewer:
    if user is None or isinstance(user, AnonymousUser) or not user.is_authenticated:
        return Viewer()
    customer = getattr(user, "customer", None)
    return Viewer(
        user=user,
        customer_id=customer.pk if customer is not None else None,
        is_staff=user.has_perm("catalog.view_all_returns"),
    )


def viewer_for_request(request) -> Viewer:
    cached = getattr(request, "_viewer", None)
    if cached is not None:
        return cached
    viewer = viewer_for_user(getattr(request, "user", None))
    session = getattr(request, "session", None)
    if session is not None and not viewer.is_staff and not viewer.customer_id:
        ids = frozenset(int(i) for i in session.get(GUEST_ORDERS_SESSION_KEY, []))
        if ids:
            viewer = Viewer(user=viewer.user, guest_order_ids=ids)
    request._viewer = viewer
    return viewer


def guest_order_grant(request, order_id: int) -> None:
    """Remember in the session that this browser proved it owns the order."""
    ids = set(request.session.get(GUEST_ORDERS_SESSION_KEY, []))
    ids.add(int(order_id))
    request.session[GUEST_ORDERS_SESSION_KEY] = sorted(ids)
    request.session.cycle_key()  # new session id on privilege change
    if hasattr(request, "_viewer"):
        del request._viewer
