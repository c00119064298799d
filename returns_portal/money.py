"""The one rounding rule for money: Decimal, two places, half-up."""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def money(value: Decimal | int | str) -> Decimal:
    """Quantize to cents, half-up. Floats are refused: they cannot hold money exactly."""
    if isinstance(value, float):
        raise TypeError("money must not be a float")
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def percent_of(amount: Decimal, percent: Decimal) -> Decimal:
    return money(Decimal(amount) * Decimal(percent) / Decimal(100))


def clamp(amount: Decimal, *, low: Decimal = ZERO, high: Decimal | None = None) -> Decimal:
    amount = max(low, amount)
    if high is not None:
        amount = min(high, amount)
    return money(amount)
