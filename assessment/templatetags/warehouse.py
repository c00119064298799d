from django import template

register = template.Library()


@register.filter
def checked(checklist, key: str) -> bool:
    """`{{ inspection.checklist|checked:"unused" }}` — templates cannot index by a variable."""
    return bool((checklist or {}).get(key))
