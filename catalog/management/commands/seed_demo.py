import datetime as dt
import importlib
import time

from django.core.management.base import BaseCommand, CommandError
from django.test.utils import override_settings
from django.utils import timezone

from catalog import demo

# Each app's demo step, run in this order after the catalog when the module exists.
DEMO_STEPS = [
    "rma.demo",
    "rma.shipping.demo",
    "assessment.demo",
    "resolution.demo",
    "reporting.demo",
]


def _step(name: str):
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name == name:  # that app has no demo (yet); a missing dependency is a real error
            return None
        raise


class Command(BaseCommand):
    help = (
        "Fill the database with deterministic demo data (store catalog, customers, orders, "
        "demo logins, then each app's demo step). Rerunnable: existing rows are kept and "
        "nothing is duplicated."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--today",
            type=dt.date.fromisoformat,
            default=None,
            help="the date the demo's history counts back from (YYYY-MM-DD; default today)",
        )
        parser.add_argument(
            "--small",
            action="store_true",
            help="a small store (a few dozen customers, a couple hundred orders), for tests",
        )

    # The demo's history is made, not lived: its customers get no emails.
    @override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend")
    def handle(self, *args, **options):
        today = options["today"] or timezone.localdate()
        started = time.monotonic()
        demo.seed(stdout=self.stdout, today=today, size="small" if options["small"] else "full")
        self.stdout.write(f"  catalog took {time.monotonic() - started:.1f}s")
        for name in DEMO_STEPS:
            module = _step(name)
            if module is None:
                self.stdout.write(f"{name}: not installed, skipped")
                continue
            step_started = time.monotonic()
            try:
                module.seed(stdout=self.stdout, today=today)
            except Exception as exc:
                raise CommandError(f"{name} failed: {exc!r}") from exc
            self.stdout.write(f"  {name} took {time.monotonic() - step_started:.1f}s")
        self.stdout.write(
            self.style.SUCCESS(f"Demo data ready in {time.monotonic() - started:.1f}s.")
        )
