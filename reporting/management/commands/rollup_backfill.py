import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from reporting.rollups import rollup_range


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"Not a date (YYYY-MM-DD): {value!r}") from exc


class Command(BaseCommand):
    help = "Recompute the reporting fact tables for local days --start..--end (inclusive)."

    def add_arguments(self, parser):
        parser.add_argument("--start", required=True)
        parser.add_argument("--end", required=True)

    def handle(self, *args, start, end, **options):
        start, end = _date(start), _date(end)
        if end < start:
            raise CommandError("--end is before --start.")
        counts = rollup_range(start=start, end=end)
        summary = ", ".join(f"{name} {n}" for name, n in counts.items())
        self.stdout.write(f"Rolled up {start}..{end}: {summary}")
