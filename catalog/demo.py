"""Demo store: suppliers, categories, variant families with batches, customers, orders.

Everything is generated in memory from one fixed seed first and only then compared with
the database by natural key (supplier code, category slug, SKU, lot per product, customer
e-mail, order number), so a rerun creates nothing and a half-seeded database is completed
with exactly the rows a fresh run would have made. Bulk inserts only.

Two sizes: "full" (~250 products, 1500 customers, ~4000 orders over 180 days) and "small"
(a fraction, for tests). Order dates count back from `today`.
"""

import datetime as dt
import random
import re
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from catalog.models import Batch, Category, Customer, Order, OrderLine, Product, Supplier
from catalog.roles import Role, roles_sync, user_role_add
from returns_portal.money import money

SEED = 20260415
HISTORY_DAYS = 180
DEMO_CUSTOMER_EMAIL = "customer@example.com"
_ADDRESS = ("address_name", "address_line1", "address_line2", "city", "region", "postal_code")

SIZES = {
    "full": {"customers": 1500, "orders": 4200, "families_per_category": None},
    "small": {"customers": 40, "orders": 220, "families_per_category": 2},
}

# code | name | credit % (0: takes no returns) | dropship | street | city | region | zip | terms
_SUPPLIER_TABLE = """
summit       | Summit Apparel Co.   | 60 | no  | 210 Mill Street    | Portland    | OR | 97209
  Unworn defects within 90 days.
stride       | Stride Footwear Ltd. | 50 | no  | 77 Cobbler Lane    | Boston      | MA | 02118
  Manufacturing defects, 120 days, photos required.
voltline     | Voltline Electronics | 80 | no  | 4500 Circuit Drive | San Jose    | CA | 95134
  Defects only, 60 days, their RMA number on the box.
sonic-harbor | Sonic Harbor Audio   | 0  | yes | 12 Wharf Road      | Seattle     | WA | 98104
pulse        | Pulse Wearables Inc. | 70 | no  | 900 Sensor Way     | Austin      | TX | 78701
  Defective units within the warranty; batch recalls credited at 100%.
hearth       | Hearth & Home Goods  | 0  | no  | 35 Kiln Avenue     | Columbus    | OH | 43215
playful      | Playful Minds Toys   | 0  | yes | 8 Puzzle Court     | Minneapolis | MN | 55401
glow         | Glow Beauty Labs     | 40 | no  | 1600 Bloom Blvd    | Miami       | FL | 33127
  Sealed, unsold stock only, 30 days.
peak         | Peak Sports Supply   | 45 | yes | 55 Summit Road     | Denver      | CO | 80202
  Unused items in original packaging, 60 days.
"""


def _suppliers_table() -> list[dict]:
    rows: list[dict] = []
    for raw in _SUPPLIER_TABLE.strip("\n").splitlines():
        if raw.startswith("  "):  # the terms line of the supplier above
            rows[-1]["terms"] = raw.strip()
            continue
        code, name, rate, dropship, street, city, region, postal = (
            cell.strip() for cell in raw.split("|")
        )
        rows.append(
            {
                "code": code,
                "name": name,
                "rate": Decimal(rate),
                "dropship": dropship == "yes",
                "street": street,
                "city": city,
                "region": region,
                "postal": postal,
                "terms": "",
            }
        )
    return rows


SUPPLIERS = _suppliers_table()

# slug, name, share of order lines
CATEGORIES = [
    ("apparel", "Apparel", 24),
    ("shoes", "Footwear", 15),
    ("electronics", "Electronics", 12),
    ("audio", "Audio", 8),
    ("wearables", "Wearables", 11),
    ("home", "Home", 8),
    ("kitchen", "Kitchen", 6),
    ("toys", "Toys", 5),
    ("beauty", "Beauty", 5),
    ("sports", "Sports & Outdoors", 5),
    ("clearance", "Clearance (final sale)", 1),
]


@dataclass(frozen=True)
class Family:
    code: str
    name: str
    category: str
    supplier: str
    price: Decimal
    colors: tuple[str, ...]
    sizes: tuple[str, ...]
    grams: int
    warranty: int
    returnable: bool


# code | name | category | supplier | price | colours | sizes | grams | warranty months | flags
_FAMILY_TABLE = """
TEE | Trail Tee | apparel | summit | 24 | BLK WHT OLV | XS S M L XL | 180
HOOD | Merino Hoodie | apparel | summit | 89 | GRY NVY | S M L XL | 520
SHELL | Rain Shell Jacket | apparel | summit | 149 | RED BLK | S M L XL | 410
CHINO | Everyday Chino | apparel | summit | 59 | KHK NVY | 30 32 34 36 | 450
VEST | Fleece Vest | apparel | summit | 49 | GRN GRY | S M L | 300
PUFF | Puffer Jacket | apparel | summit | 179 | BLK NVY OLV | S M L XL | 650
SHRT | Running Shorts | apparel | summit | 35 | BLK GRY BLU | S M L XL | 140
TRR | Trail Runner | shoes | stride | 119 | BLU GRY | 7 8 9 10 11 12 | 900
CITY | City Sneaker | shoes | stride | 89 | WHT BLK | 7 8 9 10 11 12 | 850
HIKE | Ridge Hiking Boot | shoes | stride | 169 | BRN | 7 8 9 10 11 12 | 1400
SLIDE | Recovery Slide | shoes | stride | 35 | BLK | S M L | 400
COURT | Court Classic | shoes | stride | 99 | WHT NVY | 7 8 9 10 11 12 | 880
CHG | 65W USB-C Charger | electronics | voltline | 39 | WHT BLK | | 200 | 24
TAB | Nimbus Tablet 10 | electronics | voltline | 329 | GRY SLV | 64GB 128GB | 700 | 24
PB | PowerBank 20000 | electronics | voltline | 59 | BLK | | 420 | 24
CAM | Action Cam 4K | electronics | voltline | 249 | BLK | | 350 | 24
KBD | Mechanical Keyboard | electronics | voltline | 129 | BLK WHT | US UK | 1100 | 24
MSE | Wireless Mouse | electronics | voltline | 29 | BLK GRY | | 150 | 24
SSD | Portable SSD | electronics | voltline | 99 | BLK | 1TB 2TB | 120 | 24
LAP | Aero Laptop 14 | electronics | voltline | 1199 | SLV | 16GB 32GB | 2300 | 24
EBD | Pulse Earbuds | audio | sonic-harbor | 79 | BLK WHT | | 150 | 12
HPN | Studio Headphones | audio | sonic-harbor | 199 | BLK SLV | | 450 | 12
SPK | Boombox Speaker | audio | sonic-harbor | 129 | BLU BLK RED | | 1300 | 12
SBAR | Soundbar 2.1 | audio | sonic-harbor | 299 | BLK | | 4200 | 12
TURN | Belt-Drive Turntable | audio | sonic-harbor | 249 | BLK WAL | | 5200 | 12
FIT | Pulse Fit Band | wearables | pulse | 59 | BLK PNK BLU | S L | 90 | 12
WATCH | Pulse Watch 2 | wearables | pulse | 249 | BLK SLV | 41MM 45MM | 160 | 12
RING | Sleep Ring | wearables | pulse | 199 | SLV GLD | 7 8 9 10 11 | 60 | 12
STRAP | Sport Strap | wearables | pulse | 19 | BLK GRN ORG | S L | 40
THROW | Wool Throw Blanket | home | hearth | 69 | GRY OAT | | 1200
LAMP | Arc Floor Lamp | home | hearth | 139 | BLK BRS | | 6500 | 12
PILW | Linen Pillow Cover | home | hearth | 25 | OAT SGE TRC | 18IN 20IN | 200
RUG | Jute Rug | home | hearth | 119 | NAT | 5X8 8X10 | 7000
CNDL | Soy Candle | home | hearth | 18 | CED LAV CIT | | 350
KTL | Electric Kettle | kitchen | hearth | 49 | SLV BLK | | 1300 | 24
BLND | Pro Blender | kitchen | hearth | 149 | BLK RED | | 4000 | 24
PAN | Cast Iron Skillet | kitchen | hearth | 39 | BLK | 10IN 12IN | 2600
KNF | Chef Knife 8in | kitchen | hearth | 79 | STL | | 250
MUG | Stoneware Mug Set | kitchen | hearth | 32 | BLU WHT | | 1600
BLOX | Building Blocks 500pc | toys | playful | 45 | |  | 1100
PUZ | 1000pc Puzzle | toys | playful | 22 | MAP ART | | 700
RCAR | RC Stunt Car | toys | playful | 59 | RED BLU | | 900 | 6
PLSH | Plush Fox | toys | playful | 19 | ORG | SM LG | 300
SERM | Vitamin C Serum | beauty | glow | 34 | |  | 90 | 0 | final
MOIST | Daily Moisturizer | beauty | glow | 28 | | 50ML 100ML | 150 | 0 | final
DRYR | Ionic Hair Dryer | beauty | glow | 89 | BLK ROS | | 800 | 24
BRSH | Makeup Brush Set | beauty | glow | 29 | |  | 200
YOGA | Yoga Mat | sports | peak | 39 | PRP BLU BLK | | 1800
BOTL | Insulated Bottle | sports | peak | 29 | BLK WHT GRN | 750ML 1L | 380
HELM | Bike Helmet | sports | peak | 69 | BLK WHT | S M L | 350
DUMB | Adjustable Dumbbell | sports | peak | 199 | BLK | | 11000
TENT | 2P Trail Tent | sports | peak | 249 | GRN | | 2100 | 12
SOCK | Running Socks 3-Pack | sports | peak | 18 | WHT BLK GRY | S M L | 120
CLRTEE | Clearance Tee | clearance | summit | 9 | MIX | S M L | 180
CLREBD | Clearance Earbuds | clearance | sonic-harbor | 19 | BLK | | 150
"""


def _families_table() -> list[Family]:
    families = []
    for raw in _FAMILY_TABLE.strip("\n").splitlines():
        cells = [cell.strip() for cell in raw.split("|")]
        code, name, category, supplier, price, colors, sizes, grams = cells[:8]
        warranty = int(cells[8]) if len(cells) > 8 else 0
        families.append(
            Family(
                code=code,
                name=name,
                category=category,
                supplier=supplier,
                price=money(price),
                colors=tuple(colors.split()) or ("",),
                sizes=tuple(sizes.split()) or ("",),
                grams=int(grams),
                warranty=warranty,
                returnable=not (len(cells) > 9 and cells[9] == "final"),
            )
        )
    return families


FAMILIES = _families_table()


def _words(text: str) -> list[str]:
    return text.split()


COLOURS = {
    "ART": "Art Print", "BLK": "Black", "BLU": "Blue", "BRN": "Brown", "BRS": "Brass",
    "CED": "Cedar", "CIT": "Citrus", "GLD": "Gold", "GRN": "Green", "GRY": "Grey",
    "KHK": "Khaki", "LAV": "Lavender", "MAP": "World Map", "MIX": "Assorted", "NAT": "Natural",
    "NVY": "Navy", "OAT": "Oatmeal", "OLV": "Olive", "ORG": "Orange", "PNK": "Pink",
    "PRP": "Purple", "RED": "Red", "ROS": "Rose", "SGE": "Sage", "SLV": "Silver",
    "STL": "Steel", "TRC": "Terracotta", "WAL": "Walnut", "WHT": "White",
}  # fmt: skip


def _size_label(size: str) -> str:
    """'750ML' → '750 ml', '41MM' → '41 mm', '5X8' → '5x8 ft'; letter sizes stay."""
    match = re.fullmatch(r"(\d+)(ML|MM|IN|L)", size)
    if match:
        return f"{match[1]} {match[2].lower()}"
    if re.fullmatch(r"\d+X\d+", size):
        return f"{size.lower()} ft"
    return size


FIRST = _words(
    "Avery Blake Casey Dana Eli Frankie Gray Harper Indy Jordan Kai Logan Morgan Noel Oakley "
    "Parker Quinn Reese Sage Taylor Uma Val Wren Xavi Yael Zion Ana Ben Chloe Diego Emma Farah "
    "Gus Hana Ivan Jade Kofi Lena Maya Nina Omar Priya Ravi Sara Tomas Umar Vera Will Yuki Zoe"
)
LAST = _words(
    "Adams Baker Chen Diaz Evans Fischer Garcia Hughes Ito Jensen Kim Lopez Murphy Nguyen "
    "Okafor Patel Quinn Rossi Silva Tanaka Ueda Varga Walsh Xu Young Zimmer Novak Berg Costa "
    "Dubois Eriksen Flores Gupta Haddad Iqbal Jones Khan Larsen Moreau Nakamura"
)
CITIES = [
    ("Portland", "OR", "97201"), ("Seattle", "WA", "98101"), ("Austin", "TX", "78701"),
    ("Denver", "CO", "80202"), ("Chicago", "IL", "60601"), ("Boston", "MA", "02108"),
    ("Atlanta", "GA", "30303"), ("Phoenix", "AZ", "85004"), ("Brooklyn", "NY", "11201"),
    ("Madison", "WI", "53703"), ("Raleigh", "NC", "27601"), ("Nashville", "TN", "37203"),
    ("Oakland", "CA", "94612"), ("San Diego", "CA", "92101"), ("Salt Lake City", "UT", "84101"),
    ("Pittsburgh", "PA", "15222"), ("Tampa", "FL", "33602"), ("Boise", "ID", "83702"),
    ("Richmond", "VA", "23219"), ("Omaha", "NE", "68102"),
]  # fmt: skip
STREETS = _words("Oak Maple Cedar Pine Elm Lake Hill Park River Sunset Main Church Mill Spring")
SUFFIXES = ["St", "Ave", "Rd", "Ln", "Dr", "Ct", "Way", "Blvd"]

# The demo customer's orders: (number, days ago placed, SKUs); the last is on its way.
DEMO_ORDERS = [
    ("NW-DEMO-01", 5, ["TRR-BLU-9"]),
    ("NW-DEMO-02", 9, ["HOOD-GRY-M", "TEE-BLK-M"]),
    ("NW-DEMO-03", 13, ["WATCH-BLK-41MM"]),
    ("NW-DEMO-04", 17, ["EBD-WHT"]),
    ("NW-DEMO-05", 22, ["TAB-GRY-128GB"]),
    ("NW-DEMO-06", 27, ["YOGA-PRP", "BOTL-BLK-750ML"]),
    ("NW-DEMO-07", 60, ["KTL-SLV"]),
    ("NW-DEMO-08", 1, ["CITY-WHT-10"]),
]


# --- Generation (pure, in memory) ---------------------------------------------------------
def _sku(family: Family, color: str, size: str) -> str:
    return "-".join(p for p in (family.code, color, size) if p)


def _families(size: str) -> list[Family]:
    per_category = SIZES[size]["families_per_category"]
    if per_category is None:
        return FAMILIES
    kept, seen = [], {}
    for family in FAMILIES:
        seen[family.category] = seen.get(family.category, 0) + 1
        if seen[family.category] <= per_category:
            kept.append(family)
    return kept


def _products(rng: random.Random, families: list[Family]) -> list[dict]:
    rows = []
    for family in families:
        price = family.price
        cost_share = Decimal(rng.choice(["0.35", "0.40", "0.45", "0.50"]))
        for color in family.colors:
            for size in family.sizes:
                variant = " / ".join(p for p in (COLOURS.get(color, ""), _size_label(size)) if p)
                rows.append(
                    {
                        "sku": _sku(family, color, size),
                        "name": family.name,
                        "family": family.code if len(family.colors) * len(family.sizes) > 1 else "",
                        "variant": variant,
                        "category": family.category,
                        "supplier": family.supplier,
                        "price": price,
                        "unit_cost": money(price * cost_share),
                        "weight_grams": family.grams,
                        "is_returnable": family.returnable,
                        "warranty_months": family.warranty,
                        "stock_on_hand": rng.choice([0, 2, 5, 8, 12, 20, 35, 60]),
                        "lots": [
                            f"{family.code[:3]}{rng.randint(2501, 2652)}{letter}"
                            for letter in "ABC"[: rng.choice([1, 2, 2, 3])]
                        ],
                        "lot_ages": [rng.randint(30, 400) for _ in range(3)],
                    }
                )
    return rows


def _customers(rng: random.Random, count: int) -> list[dict]:
    rows = []
    for i in range(count):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        city, region, postal = rng.choice(CITIES)
        rows.append(
            {
                "email": f"{first}.{last}{i}@example.com".lower(),
                "name": f"{first} {last}",
                "phone": f"+1-555-{rng.randint(100, 999)}-{rng.randint(1000, 9999)}",
                "address_name": f"{first} {last}",
                "address_line1": f"{rng.randint(1, 9999)} {rng.choice(STREETS)} "
                f"{rng.choice(SUFFIXES)}",
                "address_line2": rng.choice(["", "", "", "", f"Apt {rng.randint(1, 40)}"]),
                "city": city,
                "region": region,
                "postal_code": postal,
                "country": "US",
                "is_trusted": rng.random() < 0.05,
            }
        )
    return rows


def _orders(rng: random.Random, *, count: int, customers: int, products: list[dict]) -> list:
    """(number, customer index, days ago, minutes into the day, lines); lines are
    (sku, lot index, quantity, discount %, days in transit)."""
    by_category: dict[str, list[dict]] = {}
    for product in products:
        by_category.setdefault(product["category"], []).append(product)
    slugs = [slug for slug, _, _ in CATEGORIES if slug in by_category]
    weights = [w for slug, _, w in CATEGORIES if slug in by_category]
    orders = []
    for i in range(count):
        # a few customers buy often, most buy once or twice
        customer = int(customers * rng.random() ** 2)
        days_ago = rng.randint(0, HISTORY_DAYS)
        minutes = rng.randint(7 * 60, 23 * 60)
        lines = []
        for _ in range(rng.choices([1, 2, 3], [65, 25, 10])[0]):
            product = rng.choice(by_category[rng.choices(slugs, weights)[0]])
            lines.append(
                (
                    product["sku"],
                    rng.randrange(len(product["lots"])),
                    rng.choices([1, 2, 3], [85, 12, 3])[0],
                    rng.choices([0, 10, 15, 20], [78, 10, 7, 5])[0],
                    rng.choice([2, 3, 3, 4, 4, 5, 6]),
                )
            )
        orders.append((f"NW-{100001 + i}", customer, days_ago, minutes, lines))
    return orders


# --- Storing (bulk, skipping what exists) -------------------------------------------------
def _suppliers() -> dict[str, Supplier]:
    existing = set(Supplier.objects.values_list("code", flat=True))
    Supplier.objects.bulk_create(
        Supplier(
            code=row["code"],
            name=row["name"],
            email=f"returns@{row['code']}.example.com",
            accepts_returns_for_credit=row["rate"] > 0,
            credit_rate_percent=row["rate"],
            credit_terms=row["terms"],
            is_dropship=row["dropship"],
            address_name=f"{row['name']} Returns",
            address_line1=row["street"],
            city=row["city"],
            region=row["region"],
            postal_code=row["postal"],
            country="US",
        )
        for row in SUPPLIERS
        if row["code"] not in existing
    )
    codes = [row["code"] for row in SUPPLIERS]
    return {s.code: s for s in Supplier.objects.filter(code__in=codes)}


def _categories() -> dict[str, Category]:
    existing = set(Category.objects.values_list("slug", flat=True))
    Category.objects.bulk_create(
        Category(slug=slug, name=name) for slug, name, _ in CATEGORIES if slug not in existing
    )
    return {c.slug: c for c in Category.objects.filter(slug__in=[c[0] for c in CATEGORIES])}


def _store_products(rows: list[dict], today: dt.date) -> tuple[dict, dict]:
    suppliers, categories = _suppliers(), _categories()
    skus = [row["sku"] for row in rows]
    existing = set(Product.objects.filter(sku__in=skus).values_list("sku", flat=True))
    fields = ("name", "family", "variant", "price", "unit_cost", "weight_grams", "is_returnable")
    Product.objects.bulk_create(
        (
            Product(
                sku=row["sku"],
                category=categories[row["category"]],
                supplier=suppliers[row["supplier"]],
                warranty_months=row["warranty_months"],
                stock_on_hand=row["stock_on_hand"],
                **{f: row[f] for f in fields},
            )
            for row in rows
            if row["sku"] not in existing
        ),
        batch_size=1000,
    )
    products = {p.sku: p for p in Product.objects.filter(sku__in=skus)}
    have = set(Batch.objects.filter(product__sku__in=skus).values_list("product__sku", "lot_code"))
    Batch.objects.bulk_create(
        (
            Batch(
                product=products[row["sku"]],
                lot_code=lot,
                manufactured_on=today - dt.timedelta(days=row["lot_ages"][n]),
            )
            for row in rows
            for n, lot in enumerate(row["lots"])
            if (row["sku"], lot) not in have
        ),
        batch_size=1000,
    )
    batches = {
        (b.product.sku, b.lot_code): b
        for b in Batch.objects.filter(product__sku__in=skus).select_related("product")
    }
    return products, batches


def _store_customers(rows: list[dict]) -> list[Customer]:
    emails = [row["email"] for row in rows]
    existing = set(Customer.objects.filter(email__in=emails).values_list("email", flat=True))
    Customer.objects.bulk_create(
        (Customer(**row) for row in rows if row["email"] not in existing), batch_size=1000
    )
    by_email = {c.email: c for c in Customer.objects.filter(email__in=emails)}
    return [by_email[email] for email in emails]


def _moment(today: dt.date, days_ago: int, minutes: int) -> dt.datetime:
    day = today - dt.timedelta(days=days_ago)
    return timezone.make_aware(dt.datetime.combine(day, dt.time()) + dt.timedelta(minutes=minutes))


def _store_orders(
    orders: list, customers: list[Customer], catalog, lots: dict[str, list[str]], today: dt.date
) -> int:
    products, batches = catalog
    numbers = [o[0] for o in orders]
    existing = set(Order.objects.filter(number__in=numbers).values_list("number", flat=True))
    now = min(timezone.now(), _moment(today, -1, 0))  # at most the end of `today`
    new_orders, new_lines = [], []
    for number, customer_index, days_ago, minutes, lines in orders:
        if number in existing:
            continue
        customer = customers[customer_index]
        placed_at = _moment(today, days_ago, minutes)
        subtotal = Decimal("0")
        order = Order(
            number=number,
            customer=customer,
            placed_at=placed_at,
            currency="USD",
            payment_reference=f"pi_demo_{number.lower().replace('-', '_')}",
            channel="web" if minutes % 7 else "mobile-app",
            **{f: getattr(customer, f) for f in _ADDRESS},
        )
        for line_number, (sku, lot, quantity, discount, transit) in enumerate(lines, start=1):
            product = products[sku]
            price = money(product.price * (100 - discount) / 100)
            subtotal += price * quantity
            delivered_at = placed_at + dt.timedelta(days=transit, hours=3)
            new_lines.append(
                OrderLine(
                    order=order,
                    line_number=line_number,
                    product=product,
                    batch=batches[(sku, lots[sku][lot])],
                    quantity=quantity,
                    unit_price=price,
                    delivered_at=delivered_at if delivered_at <= now else None,
                )
            )
        order.shipping_paid = Decimal("0.00") if subtotal >= 75 else Decimal("5.99")
        new_orders.append(order)
    Order.objects.bulk_create(new_orders, batch_size=1000)
    OrderLine.objects.bulk_create(new_lines, batch_size=2000)
    return len(new_orders)


def _demo_users() -> Customer:
    """The logins `demo_logins` prints, each with its role; passwords set only on creation."""
    from catalog.management.commands.demo_logins import DEMO_LOGINS

    roles_sync()
    User = get_user_model()
    roles = {
        "customer": Role.CUSTOMER,
        "warehouse grader": Role.WAREHOUSE,
        "manager": Role.MANAGER,
        "admin": Role.ADMIN,
    }
    users = {}
    for label, username, password in DEMO_LOGINS:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(username=username, email=username if "@" in username else "")
            user.set_password(password)
            if label == "admin":
                user.is_staff = user.is_superuser = True
                user.email = "admin@example.com"
            user.save()
        user_role_add(user=user, role=roles[label])
        users[label] = user
    customer = Customer.objects.filter(email__iexact=DEMO_CUSTOMER_EMAIL).first()
    if customer is None:
        customer = Customer.objects.create(
            email=DEMO_CUSTOMER_EMAIL,
            name="Casey Customer",
            phone="+1-555-010-2030",
            address_name="Casey Customer",
            address_line1="42 Juniper Lane",
            city="Portland",
            region="OR",
            postal_code="97205",
            country="US",
            user=users["customer"],
        )
    elif customer.user_id is None:
        customer.user = users["customer"]
        customer.save(update_fields=["user"])
    return customer


def _demo_customer_orders(customer: Customer, products, batches, today: dt.date) -> int:
    existing = set(
        Order.objects.filter(number__in=[o[0] for o in DEMO_ORDERS]).values_list(
            "number", flat=True
        )
    )
    made = 0
    now = min(timezone.now(), _moment(today, -1, 0))  # at most the end of `today`
    for number, days_ago, skus in DEMO_ORDERS:
        if number in existing or any(sku not in products for sku in skus):
            continue
        placed_at = _moment(today, days_ago, 11 * 60)
        order = Order.objects.create(
            number=number,
            customer=customer,
            placed_at=placed_at,
            payment_reference=f"pi_demo_{number.lower().replace('-', '_')}",
            shipping_paid=Decimal("0.00"),
            **{f: getattr(customer, f) for f in _ADDRESS},
        )
        delivered_at = placed_at + dt.timedelta(days=3)
        OrderLine.objects.bulk_create(
            OrderLine(
                order=order,
                line_number=n,
                product=products[sku],
                batch=min(
                    (b for (s, _), b in batches.items() if s == sku), key=lambda b: b.lot_code
                ),
                quantity=1,
                unit_price=products[sku].price,
                delivered_at=delivered_at if delivered_at <= now else None,
            )
            for n, sku in enumerate(skus, start=1)
        )
        made += 1
    return made


@transaction.atomic
def seed(*, stdout, today: dt.date, size: str = "full") -> None:
    rng = random.Random(SEED)
    spec = SIZES[size]
    product_rows = _products(rng, _families(size))
    customer_rows = _customers(rng, spec["customers"])
    orders = _orders(rng, count=spec["orders"], customers=len(customer_rows), products=product_rows)

    demo_customer = _demo_users()
    catalog = _store_products(product_rows, today)
    customers = _store_customers(customer_rows)
    lots = {row["sku"]: row["lots"] for row in product_rows}
    made = _store_orders(orders, customers, catalog, lots, today)
    made += _demo_customer_orders(demo_customer, *catalog, today)
    stdout.write(
        f"catalog: {Supplier.objects.count()} suppliers, {Category.objects.count()} categories, "
        f"{Product.objects.count()} products, {Batch.objects.count()} batches, "
        f"{Customer.objects.count()} customers, {Order.objects.count()} orders "
        f"({made} new)\n"
    )
