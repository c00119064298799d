from django import template

from assessment import selectors

register = template.Library()


@register.filter
def checked(checklist, key: str) -> bool:
    """`{{ inspection.checklist|checked:"unused" }}` — templates cannot index by a variable."""
    return bool((checklist or {}).get(key))


@register.simple_tag(takes_context=True)
def return_inspections(context, return_request):
    """The staff return panel's rows as the viewer may see them (no N+1)."""
    viewer = getattr(context.get("request"), "user", None)
    return selectors.inspections_for_return(return_request=return_request, viewer=viewer)
