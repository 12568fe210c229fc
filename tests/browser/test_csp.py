"""The Content-Security-Policy breaks nothing: Chromium reports no violation on the public pages, the
learner's, mentor's and coordinator's pages, or the Wagtail admin (dashboard, page editor, preview)."""

import re

import pytest

from school.factories import BranchFactory, RegionFactory, UserFactory


pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Runs in every frame (the preview is an iframe): a violation becomes a console message we can catch.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
    console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || "inline"}`
        + ` at ${event.sourceFile}:${event.lineNumber}`);
});
"""


@pytest.fixture
def open_as(browser, live_server):
    """A function that logs a user in, in a fresh browser context, and returns the page and the list
    of CSP violations seen so far."""
    contexts = []

    def open_as(user):
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.add_init_script(REPORT_VIOLATIONS)
        contexts.append(context)
        page = context.new_page()
        violations = []
        page.on(
            "console",
            lambda message: (
                violations.append(message.text)
                if "Content Security Policy" in message.text or "CSP violation" in message.text
                else None
            ),
        )
        if user is not None:
            page.goto(f"{live_server.url}/accounts/login/")
            page.fill("input[name=username]", user.username)
            page.fill("input[name=password]", "password")
            page.locator("main form button[type=submit]").click()
            page.wait_for_load_state("load")
        return page, violations

    yield open_as
    for context in contexts:
        context.close()


def _visit(page, url):
    response = page.goto(url)
    assert response.status < 400, (url, response.status)
    page.wait_for_load_state("networkidle")
    return response


def test_public_and_learner_pages_have_no_csp_violations(live_server, open_as, course_tree):
    base = live_server.url
    page, violations = open_as(None)
    response = _visit(page, base + "/")
    assert "default-src 'self'" in response.headers["content-security-policy"]
    _visit(page, base + "/accounts/login/")

    page, learner_violations = open_as(UserFactory(username="secretary"))
    _visit(page, base + course_tree.lesson_one.url)
    _visit(page, base + course_tree.quiz.url)
    with page.expect_navigation():
        page.get_by_role("button", name=re.compile("Начать|Start")).click()
    page.locator("input[type=radio], input[type=checkbox]").first.wait_for()
    _visit(page, base + "/my/")
    assert violations == [] and learner_violations == []


def test_mentor_and_coordinator_pages_have_no_csp_violations(live_server, open_as, course_tree, role_groups):
    region = RegionFactory(code="52", name="Нижегородская область")
    mentor = UserFactory(username="mentor", region=region, branch=None)
    mentor.groups.add(role_groups["Mentors"])
    coordinator = UserFactory(username="coordinator", region=region, branch=None)
    coordinator.groups.add(role_groups["Regional coordinators"])
    UserFactory(username="learner", branch=BranchFactory(region=region))

    page, mentor_violations = open_as(mentor)
    _visit(page, live_server.url + "/mentor/")
    page, coordinator_violations = open_as(coordinator)
    _visit(page, live_server.url + "/reports/")
    assert mentor_violations == [] and coordinator_violations == []


def test_wagtail_admin_dashboard_editor_and_preview_have_no_csp_violations(live_server, open_as, course_tree):
    admin = UserFactory(username="admin", is_superuser=True, is_staff=True)
    page, violations = open_as(admin)
    base = live_server.url
    _visit(page, base + "/admin/")
    _visit(page, f"{base}/admin/pages/{course_tree.lesson_one.pk}/edit/")
    # The preview side panel: an iframe of the same origin (X-Frame-Options SAMEORIGIN on that view).
    page.locator('[data-side-panel-toggle="preview"]').click()
    preview = page.frame_locator("iframe[id*=preview], .preview-panel iframe").first
    preview.locator("h1").first.wait_for()
    page.wait_for_load_state("networkidle")
    # The preview in its own tab.
    response = _visit(page, f"{base}/admin/pages/{course_tree.lesson_one.pk}/view_draft/")
    assert response.status == 200
    # A public page with the Wagtail user bar an editor sees there.
    _visit(page, base + course_tree.lesson_one.url)
    page.locator("wagtail-userbar").wait_for(state="attached")
    assert violations == [], "\n".join(sorted(set(violations)))
