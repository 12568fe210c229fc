from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_update

from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.decorators.cache import cache_control
from django.views.static import serve as serve_static_file

from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls
from wagtail.utils.urlpatterns import decorate_urlpatterns

from courses import practice_views
from courses import views as courses_views
from progress import urls as progress_urls
from school import views as school_views


# The Wagtail admin sets inline styles and runs a few inline scripts (found with Chromium, see
# tests/browser/test_csp.py), so its views, and only they, get 'unsafe-inline' for scripts and styles;
# the rest of the site keeps settings.CONTENT_SECURITY_POLICY as it is. Only editors reach these views.
wagtail_admin_csp = csp_update({"script-src": [SELF, UNSAFE_INLINE], "style-src": [SELF, UNSAFE_INLINE]})

urlpatterns = [
    path("django-admin/", admin.site.urls),
    path("admin/", include(decorate_urlpatterns(wagtailadmin_urls.urlpatterns, wagtail_admin_csp))),
    path("documents/", include(wagtaildocs_urls)),
    path("accounts/profile/", school_views.ProfileView.as_view(), name="profile"),
    path("accounts/consent/", school_views.personal_data_consent, name="personal_data_consent"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("my/", include("progress.urls")),
    path("mentor/", include(progress_urls.mentor_patterns)),
    path("reports/", include(progress_urls.reports_patterns)),
    path("search/", courses_views.search, name="search"),
    # The practice exchange; the library itself is the case-study index page of the tree.
    path("practices/submit/", practice_views.practice_submit, name="practice_submit"),
    path("practices/<int:page_id>/edit/", practice_views.practice_edit, name="practice_edit"),
    path("practices/<int:page_id>/mark/", practice_views.practice_mark, name="practice_mark"),
    path("healthz", school_views.healthz, name="healthz"),
    # At the root, so that the worker's scope is the whole site.
    path("sw.js", school_views.service_worker, name="service_worker"),
    path("offline/", school_views.offline, name="offline"),
]

if settings.SERVE_MEDIA:
    # Uploaded images (originals and renditions) from MEDIA_ROOT, cached by browsers for a month:
    # Wagtail gives a replaced image or a new rendition a new file name. Fine for one app host; with
    # several, MEDIA_ROOT must be shared storage, or the proxy serves it and SERVE_MEDIA is off.
    # Documents are left out: /documents/<id>/<name> serves them and checks their privacy.
    urlpatterns += [
        re_path(
            rf"^{settings.MEDIA_URL.lstrip('/')}(?P<path>(?!documents/).+)$",
            cache_control(public=True, max_age=30 * 24 * 60 * 60)(serve_static_file),
            {"document_root": settings.MEDIA_ROOT},
        ),
    ]

urlpatterns += [
    # Everything else is a page of the Wagtail tree.
    path("", include(wagtail_urls)),
]

# 503 while the database is unreachable, the plain 500 page for every other failure.
handler500 = school_views.server_error
