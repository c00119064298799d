"""Roles are Django groups with a fixed set of portal permissions."""

from django.contrib.auth.models import Group, Permission
from django.db import models, transaction


class Role(models.TextChoices):
    CUSTOMER = "customer", "Customer"
    WAREHOUSE = "warehouse", "Warehouse staff"
    MANAGER = "manager", "Manager"
    ADMIN = "admin", "Administrator"


_WAREHOUSE = {"view_all_returns", "grade_item"}
_MANAGER = _WAREHOUSE | {
    "review_return",
    "resolve_return",
    "issue_goodwill",
    "view_dashboard",
    "manage_recalls",
}
ROLE_PERMISSIONS: dict[str, set[str]] = {
    Role.CUSTOMER: set(),
    Role.WAREHOUSE: _WAREHOUSE,
    Role.MANAGER: _MANAGER,
    Role.ADMIN: _MANAGER | {"import_orders"},
}


@transaction.atomic
def roles_sync() -> None:
    """Create the role groups and give each exactly its permissions (idempotent)."""
    perms = {p.codename: p for p in Permission.objects.filter(content_type__app_label="catalog")}
    for role, codenames in ROLE_PERMISSIONS.items():
        missing = codenames - perms.keys()
        if missing:
            raise LookupError(f"permissions missing for role {role}: {sorted(missing)}")
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.set([perms[c] for c in codenames])


def user_role_add(*, user, role: Role) -> None:
    user.groups.add(Group.objects.get(name=role))
