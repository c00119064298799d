"""Carrier backends. A real carrier is a new `CarrierBackend` subclass registered by name.

`settings.SHIPPING_CARRIER_BACKEND` names the backend (default "offline"), either a key of
`BACKENDS` or a dotted path to a class.
"""

import secrets
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.utils.module_loading import import_string

from returns_portal.errors import DomainError
from returns_portal.money import money


@dataclass(frozen=True)
class PostalAddress:
    name: str
    lines: tuple[str, ...]
    postal_code: str
    country: str


@dataclass(frozen=True)
class ShipmentRequest:
    reference: str  # the RMA number, printed on the label
    origin: PostalAddress
    destination: PostalAddress
    weight_grams: int


@dataclass(frozen=True)
class CreatedShipment:
    tracking_number: str
    cost: Decimal
    service: str
    label_data: dict = field(default_factory=dict)  # carrier extras (zone, routing code…)


@dataclass(frozen=True)
class TrackingStatus:
    status: str
    description: str = ""


class CarrierBackend(ABC):
    name: str = ""

    @abstractmethod
    def create_shipment(self, request: ShipmentRequest) -> CreatedShipment: ...

    @abstractmethod
    def void(self, tracking_number: str) -> None: ...

    @abstractmethod
    def tracking_status(self, tracking_number: str) -> TrackingStatus: ...


# --- Tracking numbers: "RP" + 10 digits + Luhn check digit ---------------------------
def luhn_check_digit(digits: str) -> int:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:  # doubled positions, counted from the right of the payload
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return (10 - total % 10) % 10


def tracking_number_make(prefix: str = "RP") -> str:
    body = f"{secrets.randbelow(10**10):010d}"
    return f"{prefix}{body}{luhn_check_digit(body)}"


def tracking_number_valid(value: str, prefix: str = "RP") -> bool:
    if not isinstance(value, str) or len(value) != len(prefix) + 11 or not value.startswith(prefix):
        return False
    digits = value[len(prefix) :]
    return digits.isdigit() and luhn_check_digit(digits[:-1]) == int(digits[-1])


# --- Rates: zone × weight band -------------------------------------------------------
DEFAULT_RATE_TABLE = {
    # upper weight bound in grams → price per zone (1 local … 4 international)
    "bands": [500, 1000, 2000, 5000, 10000, 30000],
    "zones": {
        "1": ["4.90", "5.90", "7.40", "9.90", "14.90", "24.90"],
        "2": ["5.90", "6.90", "8.90", "11.90", "17.90", "29.90"],
        "3": ["6.90", "7.90", "9.90", "13.90", "20.90", "34.90"],
        "4": ["14.90", "18.90", "24.90", "39.90", "59.90", "99.90"],
    },
    "services": {
        "1": "Ground Local",
        "2": "Ground",
        "3": "Ground National",
        "4": "International Economy",
    },
}


def rate_table() -> dict:
    return getattr(settings, "SHIPPING_RATE_TABLE", None) or DEFAULT_RATE_TABLE


def zone_for(origin: PostalAddress, destination: PostalAddress) -> str:
    """Same 3-digit postal prefix: 1; same first digit: 2; same country: 3; abroad: 4."""
    if origin.country.upper() != destination.country.upper():
        return "4"
    a, b = origin.postal_code.strip().upper(), destination.postal_code.strip().upper()
    if a[:3] and a[:3] == b[:3]:
        return "1"
    if a[:1] and a[:1] == b[:1]:
        return "2"
    return "3"


@dataclass(frozen=True)
class Rate:
    zone: str
    band_grams: int
    price: Decimal
    service: str


def rate_quote(*, origin: PostalAddress, destination: PostalAddress, weight_grams: int) -> Rate:
    table = rate_table()
    zone = zone_for(origin, destination)
    for index, upper in enumerate(table["bands"]):
        if weight_grams <= upper:
            return Rate(zone, upper, money(table["zones"][zone][index]), table["services"][zone])
    raise DomainError(
        f"The parcel weighs {weight_grams / 1000:.1f} kg; the carrier takes at most "
        f"{table['bands'][-1] / 1000:.0f} kg. Split the return or ship it as freight.",
        field="weight",
    )


class OfflineCarrier(CarrierBackend):
    """A built-in carrier that needs no network: real-looking numbers and table rates."""

    name = "offline"

    def create_shipment(self, request: ShipmentRequest) -> CreatedShipment:
        rate = rate_quote(
            origin=request.origin,
            destination=request.destination,
            weight_grams=request.weight_grams,
        )
        return CreatedShipment(
            tracking_number=tracking_number_make(),
            cost=rate.price,
            service=rate.service,
            label_data={"zone": rate.zone, "band_grams": rate.band_grams},
        )

    def void(self, tracking_number: str) -> None:
        if not tracking_number_valid(tracking_number):
            raise DomainError("Not a tracking number of this carrier.", field="tracking_number")

    def tracking_status(self, tracking_number: str) -> TrackingStatus:
        # The offline carrier learns about scans only through the webhook (or the simulator).
        return TrackingStatus(status="unknown", description="Offline carrier: see events.")


BACKENDS: dict[str, type[CarrierBackend]] = {"offline": OfflineCarrier}


def carrier_backend(name: str | None = None) -> CarrierBackend:
    name = name or getattr(settings, "SHIPPING_CARRIER_BACKEND", "offline") or "offline"
    cls = BACKENDS.get(name)
    if cls is None:
        cls = import_string(name)  # dotted path to a CarrierBackend subclass
    if not (isinstance(cls, type) and issubclass(cls, CarrierBackend)):
        raise TypeError(f"{name} is not a CarrierBackend")
    return cls()
