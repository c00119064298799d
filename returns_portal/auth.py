"""Django's ModelBackend, with a user's permissions read in one query instead of two.

`has_perm` on a request's user reads the user's own permissions and their groups'
permissions once (cached on the user object, as Django does); this backend reads both
with one UNION. Everything else, including the admin, superusers and inactive users,
behaves as in `django.contrib.auth.backends.ModelBackend`.
"""

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission


class OneQueryPermissionsBackend(ModelBackend):
    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            fields = ("content_type__app_label", "codename")
            if user_obj.is_superuser:
                perms = Permission.objects.values_list(*fields).order_by()
            else:
                perms = (
                    Permission.objects.filter(user=user_obj)
                    .values_list(*fields)
                    .order_by()
                    .union(
                        Permission.objects.filter(group__user=user_obj)
                        .values_list(*fields)
                        .order_by()
                    )
                )
            user_obj._perm_cache = {f"{app_label}.{codename}" for app_label, codename in perms}
        return user_obj._perm_cache
