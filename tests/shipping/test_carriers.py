from decimal import Decimal

import pytest

from returns_portal.errors import DomainError
from rma.shipping.carriers import (
    CarrierBackend,
    CreatedShipment,
    OfflineCarrier,
    PostalAddress,
    ShipmentRequest,
    carrier_backend,
    luhn_check_digit,
    rate_quote,
    tracking_number_make,
    tracking_number_valid,
    zone_for,
)


def addr(postal: str, country: str = "US") -> PostalAddress:
    return PostalAddress(name="x", lines=(), postal_code=postal, country=country)


def test_luhn_check_digit_matches_the_textbook_example():
    # the classic Luhn example: 7992739871 → check digit 3
    assert luhn_check_digit("7992739871") == 3


def test_made_tracking_numbers_validate_and_single_digit_typos_do_not():
    for _ in range(200):
        number = tracking_number_make()
        assert number.startswith("RP") and len(number) == 13
        assert tracking_number_valid(number)
        digit = int(number[5])
        typo = number[:5] + str((digit + 1) % 10) + number[6:]
        assert not tracking_number_valid(typo)


@pytest.mark.parametrize(
    "bad", ["", "RP123", "XX79927398713", "RP7992739871X", None, "RP79927398714"]
)
def test_malformed_tracking_numbers_are_invalid(bad):
    assert not tracking_number_valid(bad)


@pytest.mark.parametrize(
    ("origin", "destination", "zone"),
    [
        (addr("97201"), addr("97205"), "1"),
        (addr("97201"), addr("98101"), "2"),
        (addr("97201"), addr("10001"), "3"),
        (addr("97201"), addr("10115", "DE"), "4"),
    ],
)
def test_zones_from_postal_prefixes_and_countries(origin, destination, zone):
    assert zone_for(origin, destination) == zone


@pytest.mark.parametrize(
    ("weight", "zone_dest", "price", "service"),
    [
        (500, addr("97299"), Decimal("4.90"), "Ground Local"),
        (501, addr("97299"), Decimal("5.90"), "Ground Local"),
        (1800, addr("10001"), Decimal("9.90"), "Ground National"),
        (30000, addr("10115", "DE"), Decimal("99.90"), "International Economy"),
    ],
)
def test_rate_table_zone_by_weight(weight, zone_dest, price, service):
    rate = rate_quote(origin=addr("97201"), destination=zone_dest, weight_grams=weight)
    assert (rate.price, rate.service) == (price, service)


def test_too_heavy_parcels_are_refused_with_a_clear_error():
    with pytest.raises(DomainError, match="at most 30 kg"):
        rate_quote(origin=addr("97201"), destination=addr("97201"), weight_grams=30001)


def test_rate_table_comes_from_settings(settings):
    settings.SHIPPING_RATE_TABLE = {
        "bands": [1000],
        "zones": {z: ["1.00"] for z in "1234"},
        "services": dict.fromkeys("1234", "Flat"),
    }
    rate = rate_quote(origin=addr("97201"), destination=addr("10001"), weight_grams=900)
    assert (rate.price, rate.service) == (Decimal("1.00"), "Flat")


class ParcelCo(CarrierBackend):
    """What a real adapter looks like: a new class, registered by dotted path."""

    name = "parcelco"

    def create_shipment(self, request):
        return CreatedShipment("PC1", Decimal("3.00"), "Parcel", {})

    def void(self, tracking_number):
        pass

    def tracking_status(self, tracking_number):
        raise NotImplementedError


def test_backend_registry_defaults_to_offline_and_takes_a_dotted_path(settings):
    assert isinstance(carrier_backend(), OfflineCarrier)
    settings.SHIPPING_CARRIER_BACKEND = "tests.shipping.test_carriers.ParcelCo"
    assert carrier_backend().name == "parcelco"


def test_offline_carrier_creates_priced_shipments():
    created = OfflineCarrier().create_shipment(
        ShipmentRequest(
            reference="RMA-1", origin=addr("97201"), destination=addr("97209"), weight_grams=1200
        )
    )
    assert tracking_number_valid(created.tracking_number)
    assert created.cost == Decimal("7.40") and created.service == "Ground Local"
