"""Django's ModelBackend, with a user's permissions read in one query instead of two.

`has_perm` on a request's user reads the user's own permissions and their groups'
permissions once (cached on the user object, as Django does); this backend reads both
with one UNION. Everything else, including the admin, superusers and inactive users,
behaves as in `django.contrib.auth.backends.ModelBackend`.

On PostgreSQL a query that loads the user anyway (the API token check) can bring their
permission ids along (`permission_ids_annotation`) and hand them over
(`permissions_prime`), so the request reads no permissions at all.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.db.models.expressions import RawSQL
from django.db.models.signals import post_delete, post_migrate, post_save

PERMISSION_FIELDS = ("content_type__app_label", "codename")


def _names(perms) -> set[str]:
    return {f"{app_label}.{codename}" for app_label, codename in perms}


class OneQueryPermissionsBackend(ModelBackend):
    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            if user_obj.is_superuser:
                perms = Permission.objects.values_list(*PERMISSION_FIELDS).order_by()
            else:
                perms = (
                    Permission.objects.filter(user=user_obj)
                    .values_list(*PERMISSION_FIELDS)
                    .order_by()
                    .union(
                        Permission.objects.filter(group__user=user_obj)
                        .values_list(*PERMISSION_FIELDS)
                        .order_by()
                    )
                )
            user_obj._perm_cache = _names(perms)
        return user_obj._perm_cache


# Permission id -> "app_label.codename", read once per process like Django's content type
# cache: permissions are created by migrations and never renamed in place. Forgotten when
# the permissions table changes in this process (migrate or flush emit post_migrate).
_names_by_id: dict[int, str] = {}


def _names_forget(**kwargs) -> None:
    _names_by_id.clear()


post_migrate.connect(_names_forget, dispatch_uid="returns_portal.auth.names_forget")
post_save.connect(_names_forget, sender=Permission, dispatch_uid="returns_portal.auth.saved")
post_delete.connect(_names_forget, sender=Permission, dispatch_uid="returns_portal.auth.deleted")


def _names_for_ids(ids) -> set[str] | None:
    ids = set(ids)
    if not ids <= _names_by_id.keys():
        _names_by_id.clear()
        perms = Permission.objects.values_list("pk", *PERMISSION_FIELDS).order_by()
        _names_by_id.update((pk, f"{app_label}.{codename}") for pk, app_label, codename in perms)
        if not ids <= _names_by_id.keys():  # deleted meanwhile: let the backend read them
            return None
    return {_names_by_id[pk] for pk in ids}


def permission_ids_annotation(model, user_id_field: str) -> dict:
    """An annotation for a query on `model` whose rows carry a user id in `user_id_field`:
    the ids of that user's own and group permissions, as one array (PostgreSQL; elsewhere
    nothing, and the backend reads them when first asked). Plain SQL on the two link
    tables: cheap to plan, no join to the permission names (cached by id)."""
    if connection.vendor != "postgresql":
        return {}
    User = get_user_model()
    own = User.user_permissions.through._meta
    member = User.groups.through._meta
    granted = Group.permissions.through._meta
    user_id = f'"{model._meta.db_table}"."{model._meta.get_field(user_id_field).column}"'
    sql = (
        f'ARRAY(SELECT own."permission_id" FROM "{own.db_table}" own'
        f' WHERE own."user_id" = {user_id}'
        f' UNION SELECT gp."permission_id" FROM "{member.db_table}" ug'
        f' JOIN "{granted.db_table}" gp ON gp."group_id" = ug."group_id"'
        f' WHERE ug."user_id" = {user_id})'
    )
    return {"permission_ids": RawSQL(sql, ())}


def permissions_prime(user, row) -> None:
    """Give `user` the permissions `row` brought (`permission_ids_annotation`), as the
    backend would have cached them. Superusers (every permission) are left to the backend."""
    ids = getattr(row, "permission_ids", None)
    if ids is None or user.is_superuser or not user.is_active:
        return
    names = _names_for_ids(ids)
    if names is not None:
        user._perm_cache = names
