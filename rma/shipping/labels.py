"""Label and packing-slip documents: HTML + inline SVG codes → PDF with WeasyPrint."""

import base64
import io

import barcode
import segno
from barcode.writer import SVGWriter
from django.conf import settings
from django.template.loader import render_to_string


def _data_uri(svg: bytes) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


def code128_data_uri(text: str) -> str:
    out = io.BytesIO()
    barcode.get("code128", text, writer=SVGWriter()).write(
        out,
        options={"module_width": 0.38, "module_height": 18, "quiet_zone": 4, "write_text": False},
    )
    return _data_uri(out.getvalue())


def qr_data_uri(text: str) -> str:
    out = io.BytesIO()
    segno.make(text, error="m", micro=False).save(out, kind="svg", scale=4, border=4)
    return _data_uri(out.getvalue())


def pdf_from_html(html: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


def label_html(*, shipment, return_request, lines) -> str:
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
