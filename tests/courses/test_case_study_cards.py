"""A case study without a picture gets a designed placeholder on its card: the title's initial."""

import pytest

from courses.factories import CaseStudyPageFactory
from courses.templatetags.courses_tags import title_initial


class TitleInitialTests:
    @pytest.mark.parametrize(
        ("title", "expected"),
        [("Двор без ям", "Д"), ("«Чистый двор»", "Ч"), ("  гранты", "Г"), ("5 шагов", "5"), ("…", "")],
    )
    def test_first_letter_or_digit_in_capitals(self, title, expected):
        """Quotes, spaces and dots are skipped; a title without a letter gives nothing."""
        assert title_initial(title) == expected


class PlaceholderCardTests:
    def test_card_without_a_picture_shows_the_initial(self, client, course_tree):
        """The listing's card shows the placeholder with the title's initial, hidden from screen readers."""
        CaseStudyPageFactory(parent=course_tree.case_index, title="«Чистый двор»")
        html = client.get(course_tree.case_index.url).content.decode()
        assert '<div class="card__media card__placeholder" aria-hidden="true">' in html
        assert '<span class="card__initial">Ч</span>' in html
        assert "card__media--practice" not in html
