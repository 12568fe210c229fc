from django import template

from wagtail.models import Site


register = template.Library()


def breadcrumb_pages(page):
    """The page's ancestors below the tree root: home first, the page's parent last."""
    return list(page.get_ancestors().filter(depth__gt=1)) if page and page.depth > 2 else []


@register.inclusion_tag("tags/breadcrumbs.html", takes_context=True)
def breadcrumbs(context, page=None):
    page = page or context.get("page")
    return {"ancestors": breadcrumb_pages(page), "page": page, "request": context.get("request")}


@register.simple_tag(takes_context=True)
def primary_navigation(context):
    """Live children of the site's home page marked "show in menus": one query, once per request."""
    request = context.get("request")
    if request is None:
        return []
    if not hasattr(request, "_primary_navigation"):
        root = site_root(context)
        request._primary_navigation = list(root.get_children().live().in_menu()) if root else []
    return request._primary_navigation


@register.simple_tag(takes_context=True)
def site_root(context):
    """The root page of the current site (the home page)."""
    request = context.get("request")
    # Wagtail keeps the site found for a request on the request, and its root page on the site.
    site = Site.find_for_request(request) if request is not None else None
    return site.root_page if site else None
