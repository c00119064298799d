"""Pure KPI formulas: numbers in, Decimal (or None when undefined) out. No database."""

import datetime as dt
import math
from decimal import ROUND_HALF_UP, Decimal

DASH = "—"
SAMPLING_FLOOR = Decimal("0.02")
SAMPLING_CEILING = Decimal("0.50")
SAMPLING_DEFECT_WEIGHT = Decimal("4")


def ratio(numerator, denominator) -> Decimal | None:
    """numerator / denominator, or None when the denominator is zero or missing."""
    if not denominator:
        return None
    return (Decimal(numerator or 0) / Decimal(denominator)).quantize(
        Decimal("0.0001"), rounding=ROUND_HALF_UP
    )


def return_rate(*, returned_units: int, sold_units: int) -> Decimal | None:
    return ratio(returned_units, sold_units)


def recovery_rate(*, recovered_value, original_value) -> Decimal | None:
    return ratio(recovered_value, original_value)


def cost_per_return(*, total_cost, returns: int) -> Decimal | None:
    value = ratio(total_cost, returns)
    return None if value is None else value.quantize(Decimal("0.01"))


def sla_compliance(*, on_time: int, due: int) -> Decimal | None:
    return ratio(on_time, due)


def mix(counts: dict[str, int]) -> list[tuple[str, int, Decimal | None]]:
    """(key, count, share of total) sorted by count, largest first."""
    total = sum(counts.values())
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [(key, n, ratio(n, total)) for key, n in ordered]


def sampling_rate(*, return_rate: Decimal | None, defect_share: Decimal | None) -> Decimal:
    """Suggested incoming-inspection sampling rate for a supplier's deliveries.

    clamp(2% + 4 × defect return rate, 2%, 50%), where defect return rate =
    return rate × defect share: a supplier whose goods come back defective 5% of the time
    gets 22% of incoming units inspected; one without data gets the 2% floor.
    """
    defect_rate = (return_rate or Decimal(0)) * (defect_share or Decimal(0))
    raw = SAMPLING_FLOOR + SAMPLING_DEFECT_WEIGHT * defect_rate
    return min(max(raw, SAMPLING_FLOOR), SAMPLING_CEILING).quantize(Decimal("0.0001"))


def hours(duration: dt.timedelta | None) -> Decimal | None:
    if duration is None:
        return None
    # Halves up, like the 0.1 h buckets of CycleDaily, so averages and p90s round alike.
    return Decimal(duration.total_seconds() / 3600).quantize(Decimal("0.1"), ROUND_HALF_UP)


def percentile_index(count: int, fraction: float = 0.9) -> int | None:
    """Nearest-rank index (0-based) of the `fraction` percentile in `count` sorted values."""
    if count <= 0:
        return None
    return max(math.ceil(fraction * count) - 1, 0)


def percent(value: Decimal | None) -> str:
    return DASH if value is None else f"{(value * 100).quantize(Decimal('0.1'))}%"
