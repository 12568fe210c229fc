"""{% sharedcache "name" var ... %}…{% endsharedcache %}: a template fragment that every visitor shares,
kept until content changes (school.content_cache) and never in a Wagtail preview.

It varies on the content version, the active language and the site as well as on the variables
given, so a fragment must not hold anything of the signed-in user (their name, progress, a CSRF
token): those go outside it, or into the variables it varies on.
"""

from django import template
from django.core.cache.utils import make_template_fragment_key
from django.template.exceptions import TemplateSyntaxError
from django.utils.translation import get_language

from wagtail.models import Site

from ..content_cache import content_version, release, shared_get, shared_set


register = template.Library()


class SharedCacheNode(template.Node):
    def __init__(self, nodelist, fragment_name, vary_on):
        self.nodelist = nodelist
        self.fragment_name = fragment_name
        self.vary_on = vary_on

    def render(self, context):
        request = context.get("request")
        if request is None or getattr(request, "is_preview", False):
            return self.nodelist.render(context)
        site = Site.find_for_request(request)
        vary_on = [
            *(variable.resolve(context) for variable in self.vary_on),
            content_version(request),
            release(),
            get_language(),
            site.pk if site else None,
        ]
        key = make_template_fragment_key(self.fragment_name, vary_on)
        value = shared_get(key)
        if value is None:
            value = self.nodelist.render(context)
            shared_set(key, value)
        return value


@register.tag("sharedcache")
def do_shared_cache(parser, token):
    nodelist = parser.parse(("endsharedcache",))
    parser.delete_first_token()
    tokens = token.split_contents()
    if len(tokens) < 2:
        raise TemplateSyntaxError("'sharedcache' needs a fragment name.")
    return SharedCacheNode(nodelist, tokens[1].strip("\"'"), [parser.compile_filter(name) for name in tokens[2:]])
