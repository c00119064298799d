"""Render a PDF at 300 dpi and read every barcode on it with zbar (the real tools)."""

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

needs_scanner = pytest.mark.skipif(
    not (shutil.which("pdftoppm") and shutil.which("zbarimg")),
    reason="needs pdftoppm (poppler-utils) and zbarimg (zbar-tools)",
)


def pdf_codes(pdf: bytes, *, raw: bool = True) -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "doc.pdf"
        path.write_bytes(pdf)
        subprocess.run(
            ["pdftoppm", "-r", "300", "-png", str(path), str(Path(tmp) / "page")], check=True
        )
        pages = sorted(Path(tmp).glob("page*.png"))
        args = ["zbarimg", "-q", *(["--raw"] if raw else []), *map(str, pages)]
        result = subprocess.run(args, capture_output=True, text=True)
        # zbarimg exits 4 when it finds nothing: that is an empty result, not an error
        assert result.returncode in (0, 4), result.stderr
        return [line for line in result.stdout.splitlines() if line]


def pdf_info(pdf: bytes) -> dict:
    """pdfinfo's fields, e.g. {"Pages": "1", "Page size": "288 x 432 pts"}."""
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(pdf)
        f.flush()
        out = subprocess.run(["pdfinfo", f.name], capture_output=True, text=True, check=True)
    return {
        key.strip(): value.strip()
        for key, _, value in (line.partition(":") for line in out.stdout.splitlines())
    }
