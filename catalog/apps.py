from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_roles(sender, **kwargs) -> None:
    from catalog.roles import roles_sync

    roles_sync()


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = "Store catalog and orders"

    def ready(self) -> None:
        # Role groups are reference data that must exist after every migrate.
        post_migrate.connect(_sync_roles, sender=self, dispatch_uid="catalog_roles_sync")
