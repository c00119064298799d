import sys
import time

from django.core.management.base import BaseCommand, CommandError

from catalog.importers import COLUMNS, orders_import_csv
from returns_portal.errors import DomainError


def _columns_help() -> str:
    width = max(len(name) for name, _, _ in COLUMNS)
    return "\n".join(
        f"  {name:<{width}}  {'required' if required else 'optional'}  {meaning}"
        for name, required, meaning in COLUMNS
    )


class Command(BaseCommand):
    help = (
        "Import store orders from a CSV file, one row per order line (UTF-8, header row). "
        "Bad rows are reported by line number and refuse their order; other orders are "
        "stored. Re-importing the same file creates nothing new. Columns:\n" + _columns_help()
    )

    def create_parser(self, prog_name, subcommand, **kwargs):
        from argparse import RawDescriptionHelpFormatter

        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.formatter_class = RawDescriptionHelpFormatter  # keep the column table
        return parser

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV file (use - for standard input)")
        parser.add_argument(
            "--progress",
            action="store_true",
            help="show a progress line on stderr even when it is not a terminal",
        )

    def handle(self, *args, **options):
        path = options["file"]
        show_progress = options["progress"] or sys.stderr.isatty()
        started = time.monotonic()
        progress = self._progress if show_progress else None
        try:
            if path == "-":
                report = orders_import_csv(rows=sys.stdin, progress=progress)
            else:
                with open(path, encoding="utf-8-sig", newline="") as handle:
                    report = orders_import_csv(rows=handle, progress=progress)
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror or exc}") from None
        except UnicodeDecodeError:
            raise CommandError(f"{path} is not UTF-8 text") from None
        except DomainError as exc:
            raise CommandError(exc.message) from None
        if show_progress:
            self.stderr.write("")  # end the progress line
        for line, reason in report.rejected:
            self.stderr.write(f"line {line}: {reason}")
        elapsed = time.monotonic() - started
        self.stdout.write(f"{report.summary()} in {elapsed:.1f}s")

    def _progress(self, done: int, total: int) -> None:
        percent = 100 * done // total if total else 100
        if percent == getattr(self, "_last_percent", None) and done != total:
            return  # redraw only when the number moves
        self._last_percent = percent
        width = 30
        filled = width * done // total if total else width
        bar = "#" * filled + "." * (width - filled)
        self.stderr.write(f"\r[{bar}] {done}/{total} orders {percent:3d}%", ending="")
        self.stderr.flush()
