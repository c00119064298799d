"""`manage.py seed_demo`: deterministic, rerunnable, with working demo logins."""

import datetime as dt
import io

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.db.models import Count, Sum

from catalog import demo
from catalog.models import Batch, Category, Customer, Order, OrderLine, Product, Supplier

TODAY = dt.date(2026, 11, 20)


def _counts() -> dict:
    return {
        "suppliers": Supplier.objects.count(),
        "categories": Category.objects.count(),
        "products": Product.objects.count(),
        "batches": Batch.objects.count(),
        "customers": Customer.objects.count(),
        "orders": Order.objects.count(),
        "lines": OrderLine.objects.count(),
        "units": OrderLine.objects.aggregate(n=Sum("quantity"))["n"],
        "users": get_user_model().objects.count(),
    }


def _catalog_only(size="small"):
    demo.seed(stdout=io.StringIO(), today=TODAY, size=size)


@pytest.mark.django_db
def test_small_catalog_is_deterministic_and_rerunnable():
    # when the small demo store is seeded twice
    _catalog_only()
    first = _counts()
    skus = list(Product.objects.order_by("sku").values_list("sku", "price", "stock_on_hand"))
    order_rows = list(
        OrderLine.objects.order_by("order__number", "line_number").values_list(
            "order__number", "product__sku", "batch__lot_code", "quantity", "unit_price"
        )
    )
    _catalog_only()
    # then nothing is duplicated, and the content is exactly the fixed-seed content
    assert _counts() == first
    assert first["suppliers"] == len(demo.SUPPLIERS)
    assert first["categories"] == len(demo.CATEGORIES)
    assert first["customers"] == 40 + 1  # plus the demo customer
    assert first["orders"] == 220 + len(demo.DEMO_ORDERS)
    assert (
        list(Product.objects.order_by("sku").values_list("sku", "price", "stock_on_hand")) == skus
    )
    assert (
        list(
            OrderLine.objects.order_by("order__number", "line_number").values_list(
                "order__number", "product__sku", "batch__lot_code", "quantity", "unit_price"
            )
        )
        == order_rows
    )


@pytest.mark.django_db
def test_a_partly_seeded_store_is_completed_not_duplicated():
    # given a full seed, then some demo orders deleted
    _catalog_only()
    before = _counts()
    doomed = Order.objects.filter(number__startswith="NW-1").order_by("number")[:10]
    OrderLine.objects.filter(order__in=list(doomed)).delete()
    Order.objects.filter(pk__in=[o.pk for o in doomed]).delete()
    # when it is seeded again
    _catalog_only()
    # then exactly the missing rows come back
    assert _counts() == before


@pytest.mark.django_db
def test_demo_store_shape():
    _catalog_only()
    # suppliers: some dropship, some take returns for credit with a rate and terms
    assert Supplier.objects.filter(is_dropship=True).count() >= 2
    credit = Supplier.objects.filter(accepts_returns_for_credit=True)
    assert credit.count() >= 3
    assert all(s.credit_rate_percent > 0 and s.credit_terms and s.city for s in credit)
    # products come in families of variants, each with 1-3 batches
    families = Product.objects.exclude(family="").values("family").annotate(n=Count("pk"))
    assert any(f["n"] >= 6 for f in families)
    per_product = Product.objects.annotate(n=Count("batches")).values_list("n", flat=True)
    assert set(per_product) <= {1, 2, 3}
    # most lines delivered, the newest not yet
    assert OrderLine.objects.filter(delivered_at__isnull=True).exists()
    assert OrderLine.objects.filter(delivered_at__isnull=False).count() > 150


@pytest.mark.django_db
def test_demo_logins_work_with_their_roles():
    _catalog_only()
    from catalog.management.commands.demo_logins import DEMO_LOGINS

    for _, username, password in DEMO_LOGINS:
        assert authenticate(username=username, password=password) is not None, username
    users = {u.username: u for u in get_user_model().objects.all()}
    assert users["grader"].has_perm("catalog.grade_item")
    assert not users["grader"].has_perm("catalog.review_return")
    assert users["manager"].has_perm("catalog.view_dashboard")
    assert users["admin"].has_perm("catalog.import_orders") and users["admin"].is_staff
    customer = users["customer@example.com"]
    assert not customer.has_perm("catalog.view_all_returns")
    # the demo customer owns several recent delivered orders
    recent = OrderLine.objects.filter(order__customer=customer.customer, delivered_at__isnull=False)
    assert recent.values("order").distinct().count() >= 5


@pytest.mark.django_db(transaction=True)
def test_seed_demo_command_runs_every_app_step_twice_without_duplicates():
    from rma.models import ReturnRequest

    # when the whole demo (all apps) is seeded twice
    out = io.StringIO()
    call_command("seed_demo", "--small", "--today", TODAY.isoformat(), stdout=out)
    first = _counts()
    returns = ReturnRequest.objects.count()
    call_command("seed_demo", "--small", "--today", TODAY.isoformat(), stdout=io.StringIO())
    # then the catalog and the returns are the same
    assert _counts() == first
    assert ReturnRequest.objects.count() == returns > 0
    text = out.getvalue()
    assert "catalog:" in text and "rma:" in text and "Demo data ready in" in text


def test_a_missing_app_demo_is_skipped_but_a_broken_one_is_not(tmp_path, monkeypatch):
    from catalog.management.commands import seed_demo

    # given an app whose demo module imports something that is not installed
    app = tmp_path / "probe_app"
    app.mkdir()
    (app / "__init__.py").write_text("")
    (app / "demo.py").write_text("import definitely_not_installed_xyz\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    # then an absent demo module is skipped, and the broken one fails loudly
    assert seed_demo._step("probe_app.absent_demo") is None
    with pytest.raises(ModuleNotFoundError, match="definitely_not_installed_xyz"):
        seed_demo._step("probe_app.demo")
