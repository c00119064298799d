"""Label and packing-slip documents: HTML + inline SVG codes → PDF with WeasyPrint."""

import base64
import io
import threading

import barcode
import segno
from django.conf import settings
from django.template.loader import render_to_string

CODE128_QUIET_MODULES = 11  # the symbology asks for at least 10 modules of white each side
CODE128_HEIGHT_MODULES = 48


def _data_uri(svg: bytes) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


def code128_svg(text: str) -> bytes:
    """Code128 as one SVG path (one subpath per bar), sized in modules, stretched by the CSS.

    python-barcode encodes the symbol; its own SVG writer builds a DOM with one `<rect>` per
    bar, which is slow to make and slow for WeasyPrint to draw.
    """
    modules = barcode.get("code128", text).build()[0]
    bars, x, n = [], CODE128_QUIET_MODULES, len(modules)
    i = 0
    while i < n:
        if modules[i] == "1":
            run = 1
            while i + run < n and modules[i + run] == "1":
                run += 1
            bars.append(f"M{x + i} 0h{run}v{CODE128_HEIGHT_MODULES}h-{run}z")
            i += run
        else:
            i += 1
    width = n + 2 * CODE128_QUIET_MODULES
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} '
        f'{CODE128_HEIGHT_MODULES}" preserveAspectRatio="none" shape-rendering="crispEdges">'
        f'<rect width="{width}" height="{CODE128_HEIGHT_MODULES}" fill="#fff"/>'
        f'<path fill="#000" d="{"".join(bars)}"/></svg>'
    ).encode("ascii")


def code128_data_uri(text: str) -> str:
    return _data_uri(code128_svg(text))


def qr_data_uri(text: str) -> str:
    out = io.BytesIO()
    segno.make(text, error="m", micro=False).save(out, kind="svg", scale=4, border=4)
    return _data_uri(out.getvalue())


_local = threading.local()


def _font_config():
    """One FontConfiguration per thread, kept: building it and loading the fonts into Pango
    again costs ~10 ms a document. Our templates have no @font-face, so nothing accumulates.
    (Pango font maps must not be shared between threads.)"""
    from weasyprint.text.fonts import FontConfiguration

    config = getattr(_local, "font_config", None)
    if config is None:
        config = _local.font_config = FontConfiguration()
    return config


def pdf_from_html(html: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf(font_config=_font_config())


def label_html(*, shipment, return_request, lines=()) -> str:
    return render_to_string(
        "shipping/label.html",
        {
            "shipment": shipment,
            "return_request": return_request,
            "customer": return_request.customer,
            "origin": return_request.order,
            "destination": shipment.destination,
            "weight_kg": f"{shipment.weight_grams / 1000:.2f}",
            "tracking_code": code128_data_uri(shipment.tracking_number),
            "rma_qr": qr_data_uri(return_request.rma_number or return_request.reference),
            "merchant": getattr(settings, "MERCHANT_NAME", ""),
        },
    )


def packing_slip_html(*, shipment, return_request, lines) -> str:
    paper = getattr(settings, "SHIPPING_PACKING_SLIP_SIZE", "A4")
    return render_to_string(
        "shipping/packing_slip.html",
        {
            "shipment": shipment,
            "return_request": return_request,
            "lines": lines,
            "paper": "letter" if str(paper).lower() == "letter" else "A4",
            "rma_code": code128_data_uri(return_request.rma_number or return_request.reference),
            "merchant": getattr(settings, "MERCHANT_NAME", ""),
        },
    )
