"""Template helpers for the return pages."""

from django import template
from django.template import TemplateDoesNotExist

from returns_portal.money import money
from rma.policy import format_money
from rma.states import LabelPayer, Outcome

register = template.Library()


@register.simple_tag(takes_context=True)
def include_if_exists(context, name: str):
    """Render `name` with the current context if that template exists, else nothing.

    Lets later apps add a panel to a page (e.g. "resolution/_return_panel.html") without
    the page failing before the app ships it.
    """
    try:
        found = context.template.engine.get_template(name)
    except TemplateDoesNotExist:
        return ""
    with context.push():
        return found.render(context)


@register.filter
def price(amount, currency: str = "USD") -> str:
    """Money as the customer reads it: "$12.50" (or "12.50 EUR")."""
    if amount in (None, ""):
        return ""
    return format_money(money(amount), currency or "USD")


@register.filter
def label_payer_text(value) -> str:
    return LabelPayer(value).label if value in LabelPayer.values else str(value or "")


@register.filter
def outcome_total_label(outcome) -> str:
    """What the final amount is called for this outcome."""
    return {
        Outcome.STORE_CREDIT: "Store credit",
        Outcome.EXCHANGE: "Value of your exchange",
        Outcome.REPAIR: "Covered by the warranty",
        Outcome.REPLACE: "Covered by the warranty",
    }.get(outcome, "Expected refund")
