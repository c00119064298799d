"""`manage.py import_orders FILE`: bad rows by line number, good orders kept, idempotent."""

import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from catalog.models import Customer, Order, OrderLine
from tests.factories import CustomerFactory, ProductFactory

HEADER = (
    "order_number,placed_at,customer_email,customer_name,sku,quantity,unit_price,"
    "lot_code,delivered_at,payment_reference\n"
)
SAMPLE = Path(__file__).resolve().parents[2] / "catalog" / "fixtures" / "sample_orders.csv"


@pytest.fixture
def products(db):
    for sku in ("TRR-BLU-9", "SOCK-WHT-M", "WATCH-BLK-41MM", "HOOD-GRY-M", "EBD-WHT"):
        ProductFactory(sku=sku)
    for sku in ("CHG-WHT", "YOGA-PRP"):
        ProductFactory(sku=sku)


def _run(path, *args):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_orders", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def _line_rows():
    return sorted(OrderLine.objects.values_list("order__number", "line_number", "unit_price"))


def _write(tmp_path, body: str, name="orders.csv"):
    path = tmp_path / name
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def test_bad_rows_are_reported_by_line_and_good_orders_kept(tmp_path, products):
    # given a file with two good orders and rows that are wrong in different ways
    path = _write(
        tmp_path,
        "A-1,2026-09-01T10:00:00Z,ann@example.com,Ann,TRR-BLU-9,1,119.00,L1,2026-09-04,pi_1\n"
        "A-1,2026-09-01T10:00:00Z,ann@example.com,Ann,SOCK-WHT-M,2,18.00,,2026-09-04,pi_1\n"
        "A-2,2026-09-02,bob@example.com,Bob,NOPE-1,1,10.00,,,pi_2\n"
        "A-3,not-a-date,cy@example.com,Cy,EBD-WHT,1,79.00,,,pi_3\n"
        "A-4,2026-09-03,di@example.com,Di,EBD-WHT,1,79.00,,,pi_4\n"
        "A-4,2026-09-03,di@example.com,Di,CHG-WHT,0,39.00,,,pi_4\n"
        ",2026-09-03,ed@example.com,Ed,EBD-WHT,1,79.00,,,pi_5\n"
        "A-6,2026-09-03,fay@example.com,Fay,YOGA-PRP,1,1.005,,,pi_6\n",
    )
    # when it is imported
    out, err = _run(path)
    # then each bad row is named by its line in the file (header = line 1) with the reason
    assert err.splitlines() == [
        "line 4: Unknown SKU 'NOPE-1'.",
        "line 5: placed_at 'not-a-date' is not an ISO 8601 date or date-time",
        "line 6: order A-4 refused (see line 7)",
        "line 7: quantity must be between 1 and 100000",
        "line 8: order_number is empty",
        "line 9: unit_price '1.005' has more than two decimal places",
    ]
    assert out.startswith("1 orders created, 0 unchanged, 0 updated, 6 rows rejected")
    # and only the good order is stored, whole, with its lot and Decimal prices
    order = Order.objects.get()
    assert order.number == "A-1"
    assert list(order.lines.values_list("line_number", "product__sku", "quantity")) == [
        (1, "TRR-BLU-9", 1),
        (2, "SOCK-WHT-M", 2),
    ]
    assert order.lines.get(line_number=1).batch.lot_code == "L1"
    assert order.total_paid == Decimal("155.00")
    assert not Customer.objects.filter(email__in=["di@example.com", "bob@example.com"]).exists()


def test_importing_the_same_file_again_creates_nothing(tmp_path, products):
    # given the sample file imported once
    first, _ = _run(SAMPLE)
    assert first.startswith("3 orders created, 0 unchanged, 0 updated, 4 rows rejected")
    rows = _line_rows()
    customers = Customer.objects.count()
    # when it is imported again
    second, err = _run(SAMPLE)
    # then nothing new exists and the same rows are refused again
    assert second.startswith("0 orders created, 3 unchanged, 0 updated, 4 rows rejected")
    assert _line_rows() == rows
    assert Customer.objects.count() == customers
    assert "line 5: Unknown SKU 'NO-SUCH-SKU'." in err


def test_existing_customers_are_matched_by_email_in_any_case(tmp_path, products):
    known = CustomerFactory(email="pat.kim@example.com", name="Pat Kim")
    path = _write(tmp_path, "B-1,2026-09-01,PAT.KIM@example.com,P. Kim,EBD-WHT,1,79.00,,,pi\n")
    _run(path)
    assert Order.objects.get(number="B-1").customer == known
    assert Customer.objects.count() == 1


def test_a_later_delivery_updates_and_a_changed_line_conflicts(tmp_path, products):
    # given an order imported before delivery
    _run(_write(tmp_path, "C-1,2026-09-01,ann@example.com,Ann,EBD-WHT,1,79.00,,,pi\n"))
    # when the next export has it delivered
    out, _ = _run(
        _write(tmp_path, "C-1,2026-09-01,ann@example.com,Ann,EBD-WHT,1,79.00,,2026-09-05,pi\n")
    )
    # then it is updated
    assert out.startswith("0 orders created, 0 unchanged, 1 updated, 0 rows rejected")
    assert OrderLine.objects.get(order__number="C-1").delivered_at is not None
    # and a later export with another price is refused, naming what differs
    out, err = _run(
        _write(tmp_path, "C-1,2026-09-01,ann@example.com,Ann,EBD-WHT,1,69.00,,2026-09-05,pi\n")
    )
    assert "1 rows rejected" in out
    assert err.startswith("line 2: Order C-1 exists with different content")
    assert "line 1 unit_price" in err
    assert OrderLine.objects.get(order__number="C-1").unit_price == Decimal("79.00")


def test_a_file_without_required_columns_is_refused_whole(tmp_path, products):
    path = tmp_path / "bad.csv"
    path.write_text("order_number,sku\nX,EBD-WHT\n", encoding="utf-8")
    with pytest.raises(CommandError, match="lacks required columns: placed_at"):
        _run(path)
    assert Order.objects.count() == 0


def test_a_missing_or_binary_file_is_a_clear_error(tmp_path, db):
    with pytest.raises(CommandError, match="cannot read"):
        _run(tmp_path / "nope.csv")
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\xff\xfe\x00\x81garbage")
    with pytest.raises(CommandError, match="not UTF-8"):
        _run(binary)


def test_progress_is_drawn_on_stderr_with_carriage_returns(tmp_path, products):
    body = "".join(
        f"P-{i},2026-09-01,p{i}@example.com,P {i},EBD-WHT,1,79.00,,,pi\n" for i in range(5)
    )
    _, err = _run(_write(tmp_path, body), "--progress")
    assert err.count("\r") == 5
    assert "5/5 orders 100%" in err
    # and without --progress (stderr is not a terminal here) nothing is drawn
    _, quiet = _run(_write(tmp_path, body, "again.csv"))
    assert "\r" not in quiet


def test_help_documents_every_column():
    from catalog.importers import COLUMNS
    from catalog.management.commands.import_orders import Command

    text = Command().create_parser("manage.py", "import_orders").format_help()
    for name, _, _ in COLUMNS:
        assert name in text
