from django import template

register = template.Library()


@register.inclusion_tag("audit/_history.html")
def audit_history(history, obj, open=False):
    """`{% audit_history history obj %}`: the History list of `obj`.

    `history` is what `audit.selectors.audit_for_many` returned for the page (or a list of
    entries); `open=True` shows the list unfolded (detail pages)."""
    entries = history.get(obj, []) if isinstance(history, dict) else history
    return {"entries": entries or [], "open": open}
