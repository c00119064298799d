"""factory_boy factories for the store mirror and returns."""

import datetime as dt
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from catalog.models import Batch, Category, Customer, Order, OrderLine, Product, Supplier
from rma.models import ReturnPolicy, ReturnReason


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("pass-word-123")


class SupplierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Supplier

    code = factory.Sequence(lambda n: f"sup-{n}")
    name = factory.Sequence(lambda n: f"Supplier {n}")
    address_line1 = "1 Industrial Way"
    city = "Springfield"
    postal_code = "12345"


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"cat-{n}")
    name = factory.LazyAttribute(lambda c: c.slug.replace("-", " ").title())


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    name = factory.Sequence(lambda n: f"Product {n}")
    category = factory.SubFactory(CategoryFactory)
    supplier = factory.SubFactory(SupplierFactory)
    price = Decimal("40.00")
    unit_cost = Decimal("18.00")
    weight_grams = 600
    warranty_months = 12
    stock_on_hand = 10


class BatchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Batch

    product = factory.SubFactory(ProductFactory)
    lot_code = factory.Sequence(lambda n: f"LOT-{n:04d}")


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    name = factory.Sequence(lambda n: f"Customer {n}")
    address_line1 = "5 Main Street"
    city = "Portland"
    postal_code = "97201"


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    number = factory.Sequence(lambda n: f"ORD-{100000 + n}")
    customer = factory.SubFactory(CustomerFactory)
    placed_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=12))
    payment_reference = factory.Sequence(lambda n: f"ch_test_{n:08d}")
    address_line1 = "5 Main Street"
    city = "Portland"
    postal_code = "97201"


class OrderLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderLine

    order = factory.SubFactory(OrderFactory)
    line_number = factory.Sequence(lambda n: n + 1)
    product = factory.SubFactory(ProductFactory)
    quantity = 1
    unit_price = factory.LazyAttribute(lambda line: line.product.price)
    delivered_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=10))


class ReturnReasonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReturnReason
        django_get_or_create = ("code",)

    code = "changed-mind"
    label = "Changed my mind"


class ReturnPolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReturnPolicy

    version = factory.Sequence(lambda n: n + 1)
    is_active = True
