from django import template
from django.utils import timezone

from resolution import selectors

register = template.Library()


@register.simple_tag
def return_costs(return_request):
    """`{% return_costs return_request as costs %}`: costs and recoveries of one return."""
    return selectors.return_costs_summary(return_request.pk)


@register.filter
def is_overdue(movement) -> bool:
    return bool(
        movement.status == "pending" and movement.due_on and movement.due_on < timezone.localdate()
    )
