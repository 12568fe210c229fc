from dataclasses import dataclass

from django import template

from wagtail.models import Site

from school.content_cache import cached_content

from ..models import SiteSettings


register = template.Library()


@dataclass(frozen=True)
class NavLink:
    title: str
    url: str


@dataclass(frozen=True)
class SiteIdentity:
    """What the header, footer and page titles say about the site and its organisation."""

    site_name: str
    organisation_name: str
    footer_text: str
    contact_email: str

    @property
    def name(self):
        return self.site_name or self.organisation_name


def breadcrumb_pages(page):
    """The page's ancestors below the tree root: home first, the page's parent last."""
    return list(page.get_ancestors().filter(depth__gt=1)) if page and page.depth > 2 else []


@register.inclusion_tag("tags/breadcrumbs.html", takes_context=True)
def breadcrumbs(context, page=None):
    page = page or context.get("page")
    return {"ancestors": breadcrumb_pages(page), "page": page, "request": context.get("request")}


@register.simple_tag(takes_context=True)
def primary_navigation(context):
    """Live children of the site's home page marked "show in menus", shared until content changes."""
    request = context.get("request")
    site = Site.find_for_request(request) if request is not None else None
    if site is None:
        return []

    def build():
        return [
            NavLink(title=page.title, url=page.get_url(request))
            for page in site.root_page.get_children().live().in_menu()
        ]

    return cached_content(request, "primary-navigation", build, site.pk)


@register.simple_tag(takes_context=True)
def current_navigation_url(context, nav_links):
    """The address of the menu entry the current page is under ("" when none): the longest one that
    the page's path holds."""
    request = context.get("request")
    path = request.path if request is not None else ""
    return max((link.url for link in nav_links if link.url and link.url in path), key=len, default="")


@register.simple_tag(takes_context=True)
def site_identity(context):
    """The site's name and its organisation's settings, shared until they change."""
    request = context.get("request")
    site = Site.find_for_request(request) if request is not None else None
    if site is None:
        return SiteIdentity("", SiteSettings._meta.get_field("organisation_name").default, "", "")

    def build():
        settings = SiteSettings.for_site(site)
        return SiteIdentity(
            site_name=site.site_name,
            organisation_name=settings.organisation_name,
            footer_text=settings.footer_text,
            contact_email=settings.contact_email,
        )

    return cached_content(request, "site-identity", build, site.pk)


@register.simple_tag(takes_context=True)
def site_root(context):
    """The root page of the current site (the home page)."""
    request = context.get("request")
    # Wagtail keeps the site found for a request on the request, and its root page on the site.
    site = Site.find_for_request(request) if request is not None else None
    return site.root_page if site else None
