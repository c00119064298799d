"""Return labels per second: one at a time and as a bulk batch, against bare WeasyPrint.

- bare: `weasyprint.HTML(string=...).write_pdf()` of the very same label HTML (barcodes
  already embedded): the floor any label path pays.
- single: `label_create` per return (carrier call, DB row lock, status transition + audit
  event, cost entry, barcode/QR SVGs, template, WeasyPrint, storage write).
- bulk: `label_batch_run` over BENCH_LABELS_BULK returns (the Celery task's code path,
  in-process), including per-label progress updates and the final zip.

The machine is shared and its load swings, so the reference is timed interleaved with the
path it is compared with: one bare render after each single label, and after each of the
BENCH_LABELS_BULK_BATCHES bulk batches as many bare renders as that batch made labels. A load
spike then slows both sides of a ratio, not one.

Run: `python -m bench labels` (PostgreSQL, scratch database rp_bench_labels; BENCH_PG
overrides the server URL).
"""

import os
import tempfile
import time

from bench.harness import database_fresh, report

DB = "rp_bench_labels"
SINGLE = int(os.environ.get("BENCH_LABELS_SINGLE", "40"))
BULK = int(os.environ.get("BENCH_LABELS_BULK", "200"))
BULK_BATCHES = int(os.environ.get("BENCH_LABELS_BULK_BATCHES", "4"))


def _seed(n: int) -> list[int]:
    import datetime as dt
    from decimal import Decimal

    from django.utils import timezone

    from catalog.models import Category, Customer, Order, OrderLine, Product, Supplier
    from rma.models import ReturnLine, ReturnPolicy, ReturnReason, ReturnRequest
    from rma.shipping.models import Destination
    from rma.shipping.services import shipment_plan_for_return

    ReturnPolicy.objects.get_or_create(version=1, defaults={"is_active": True})
    reason, _ = ReturnReason.objects.get_or_create(code="changed-mind", defaults={"label": "x"})
    Destination.objects.get_or_create(
        code="main-warehouse",
        defaults={
            "name": "Main warehouse",
            "is_default": True,
            "address_line1": "1 Dock Rd",
            "city": "Reno",
            "region": "NV",
            "postal_code": "89502",
        },
    )
    supplier = Supplier.objects.create(code="bench", name="Bench Supplier")
    category = Category.objects.create(slug="apparel", name="Apparel")
    product = Product.objects.create(
        sku="BENCH-1",
        name="Bench jacket",
        category=category,
        supplier=supplier,
        price=Decimal("59.00"),
        unit_cost=Decimal("20.00"),
        weight_grams=900,
    )
    ids = []
    now = timezone.now()
    for i in range(n):
        customer = Customer.objects.create(
            email=f"bench{i}@example.com",
            name=f"Bench {i}",
            address_line1=f"{i} Main St",
            city="Portland",
            region="OR",
            postal_code="97201",
        )
        order = Order.objects.create(
            number=f"B-{i:06d}",
            customer=customer,
            placed_at=now - dt.timedelta(days=9),
            address_line1=f"{i} Main St",
            city="Portland",
            region="OR",
            postal_code="97201",
        )
        line = OrderLine.objects.create(
            order=order,
            line_number=1,
            product=product,
            quantity=1,
            unit_price=product.price,
            delivered_at=now,
        )
        rr = ReturnRequest.objects.create(
            order=order, customer=customer, status="approved", label_payer="merchant"
        )
        rr.rma_number = f"RMA-2026-{rr.pk:06d}"
        rr.save(update_fields=["rma_number"])
        ReturnLine.objects.create(
            return_request=rr,
            order_line=line,
            quantity=1,
            reason=reason,
            unit_price=line.unit_price,
        )
        shipment_plan_for_return(return_id=rr.pk)
        ids.append(rr.pk)
    return ids


def main() -> None:
    os.environ["MEDIA_ROOT"] = tempfile.mkdtemp(prefix="bench-labels-")
    os.environ["EMAIL_URL"] = "memorymail://"  # status emails stay in memory, off stdout
    database_fresh(DB)
    from weasyprint import HTML

    from rma.shipping.labels import label_html
    from rma.shipping.models import LabelBatch, Shipment
    from rma.shipping.services import _lines, label_batch_run, label_create

    ids = _seed(SINGLE + BULK)
    single_ids, bulk_ids = ids[:SINGLE], ids[SINGLE:]

    label_create(return_id=single_ids[0])  # warm up fonts and templates
    shipment = Shipment.objects.select_related(
        "return_request__customer", "return_request__order", "destination"
    ).get(return_request_id=single_ids[0])
    html = label_html(
        shipment=shipment, return_request=shipment.return_request, lines=_lines(single_ids[0])
    )

    def bare_seconds(n: int) -> float:
        start = time.perf_counter()
        for _ in range(n):
            HTML(string=html).write_pdf()
        return time.perf_counter() - start

    bare_seconds(1)  # warm up the reference too
    # single: each label_create is followed by one bare render
    single_time = single_bare = 0.0
    for return_id in single_ids[1:]:
        start = time.perf_counter()
        label_create(return_id=return_id)
        single_time += time.perf_counter() - start
        single_bare += bare_seconds(1)
    single, bare_for_single = (SINGLE - 1) / single_time, (SINGLE - 1) / single_bare

    # bulk: each batch is followed by as many bare renders as it made labels
    bulk_time = bulk_bare = 0.0
    done = failed = 0
    size = -(-len(bulk_ids) // BULK_BATCHES)
    for chunk in (bulk_ids[i : i + size] for i in range(0, len(bulk_ids), size)):
        batch = LabelBatch.objects.create(return_ids=chunk, total=len(chunk))
        start = time.perf_counter()
        batch = label_batch_run(batch_id=batch.pk)
        bulk_time += time.perf_counter() - start
        done, failed = done + batch.done, failed + batch.failed
        bulk_bare += bare_seconds(len(chunk))
    bulk, bare_for_bulk = done / bulk_time, len(bulk_ids) / bulk_bare

    report(
        "Return labels (PostgreSQL, in-process, one core)",
        {
            "bare WeasyPrint write_pdf, labels/s (beside single)": round(bare_for_single, 1),
            "single label_create, labels/s": round(single, 1),
            "bare WeasyPrint write_pdf, labels/s (beside bulk)": round(bare_for_bulk, 1),
            f"bulk: {len(bulk_ids)} labels in {BULK_BATCHES} batches, labels/s": round(bulk, 1),
            "bulk seconds": round(bulk_time, 1),
            "bulk failed": failed,
            "single / bare": round(single / bare_for_single, 2),
            "bulk / bare": round(bulk / bare_for_bulk, 2),
        },
    )


if __name__ == "__main__":
    main()
