from decimal import Decimal

from django import template

from reporting import kpis

register = template.Library()


@register.filter
def pct(value):
    """A ratio as a percentage; '—' when undefined (e.g. nothing sold)."""
    return kpis.percent(value)


@register.filter
def dash(value):
    return kpis.DASH if value is None or value == "" else value


@register.filter
def cell(value):
    if value is None:
        return kpis.DASH
    if isinstance(value, Decimal) and value.as_tuple().exponent == -4:
        return kpis.percent(value)
    return value


@register.filter
def at(sequence, index):
    try:
        return sequence[index]
    except (IndexError, TypeError):
        return None


@register.filter
def stage_label(name: str) -> str:
    """`requested_to_received` → "Requested → received"."""
    text = str(name).replace("_to_", " → ").replace("_", " ")
    return text[:1].upper() + text[1:]
