"""seed_demo_content builds the whole demo once, published; running it again duplicates nothing.

The demo is read from the content files in courses/demo/; a broken file stops the command with
its name and line before anything is written.
"""

import shutil
from io import StringIO

import pytest
import yaml
from PIL import Image

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.db import transaction

from wagtail.models import Page, Revision, Site

from courses.demo_content import DEMO_DIR, load_demo
from courses.demo_pictures import PICTURES, SIZE
from courses.management.commands.seed_demo_content import (
    COORDINATORS_GROUP,
    DEMO_PASSWORD,
    DEMO_USERNAMES,
    MENTORS_GROUP,
    as_summary,
)
from courses.models import (
    QUESTION_NEEDS_A_CORRECT,
    QUESTION_NEEDS_ONE_CORRECT,
    CaseStudyPage,
    CoursePage,
    LessonPage,
    ModulePage,
    QuizChoice,
    QuizPage,
    QuizQuestion,
    Topic,
    quiz_question_errors,
)
from home.models import CustomImage, HomePage
from school.models import Branch, PersonalDataNotice, Region


pytestmark = pytest.mark.django_db

LEARNERS = ["learner", "learner2", "learner3", "learner4", "learner5", "learner6"]
COUNTED_MODELS = [Page, QuizQuestion, QuizChoice, get_user_model(), Group, Region, Branch, Topic, Revision]
# The demo as the command reads it from courses/demo/.
DEMO = load_demo()


def seed(*options):
    output = StringIO()
    call_command("seed_demo_content", *options, stdout=output)
    return output.getvalue()


def row_counts():
    return {model.__name__: model.objects.count() for model in COUNTED_MODELS}


def demo_course():
    return CoursePage.objects.get(slug=DEMO.course["slug"])


def front_matter(path):
    """The front matter of a Markdown content file, read with plain YAML (not with the loader)."""
    _, meta, _body = path.read_text(encoding="utf-8").split("---\n", 2)
    return yaml.safe_load(meta)


def stream_json(body):
    """A StreamField value as stored, without the random block ids."""
    return [{"type": block["type"], "value": block["value"]} for block in body.get_prep_value()]


@pytest.fixture(scope="class")
def demo(django_db_setup, django_db_blocker):
    """The demo seeded once per test class and rolled back after it: seeding takes seconds."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield seed()
        transaction.set_rollback(True)


@pytest.mark.usefixtures("demo")
class DemoContentTests:
    def test_course_has_the_modules_lessons_and_quizzes_of_a_real_course(self):
        """The demo course has at least 5 modules, 15 lessons and 4 quizzes."""
        course = demo_course()
        assert ModulePage.objects.child_of(course).count() >= 5
        assert LessonPage.objects.descendant_of(course).count() >= 15
        assert QuizPage.objects.descendant_of(course).count() >= 4

    def test_the_demo_learner_accepts_the_demo_notice_at_first_login(self, client):
        """The personal-data notice of courses/demo/personal-data-notice.yaml is the site's, and asked for."""
        notice = PersonalDataNotice.for_site(Site.objects.get(is_default_site=True))
        assert (notice.version, notice.is_set) == (DEMO.notice["version"], True)
        assert "152-ФЗ" in notice.text and "<ul>" in notice.text
        assert client.login(username="learner", password=DEMO_PASSWORD)
        response = client.get("/my/")
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/consent/")

    def test_course_follows_the_demo_files(self):
        """Title, module order and the sequential flag come from courses/demo/course.md and modules/."""
        course = demo_course()
        assert course.title == DEMO.course["title"]
        assert course.is_sequential is DEMO.course["modules_in_order"]
        modules = ModulePage.objects.child_of(course).order_by("path")
        assert [module.slug for module in modules] == [module["slug"] for module in DEMO.course["modules"]]

    def test_module_items_keep_their_order_and_type(self):
        """Each module holds its lessons and quizzes in the order the demo data lists them."""
        course = demo_course()
        for module_data in DEMO.course["modules"]:
            module = ModulePage.objects.child_of(course).get(slug=module_data["slug"])
            items = module.get_children().order_by("path").specific()
            assert [(type(item).__name__, item.slug) for item in items] == [
                ("LessonPage" if item["type"] == "lesson" else "QuizPage", item["slug"])
                for item in module_data["items"]
            ]

    def test_lesson_has_its_body_blocks_and_takeaways(self):
        """A lesson's body has the demo blocks in order; key takeaways are one per line."""
        lesson_data = next(
            item for module in DEMO.course["modules"] for item in module["items"] if item["type"] == "lesson"
        )
        lesson = LessonPage.objects.get(slug=lesson_data["slug"])
        assert [block.block_type for block in lesson.body] == [block_type for block_type, _ in lesson_data["body"]]
        assert lesson.key_takeaway_list == lesson_data["key_takeaways"]
        assert lesson.estimated_minutes == lesson_data["estimated_minutes"]

    def test_every_quiz_has_five_answerable_questions(self):
        """Each quiz has at least 5 questions and each passes the editor-side rule."""
        for quiz in QuizPage.objects.descendant_of(demo_course()):
            questions = quiz.questions.prefetch_related("choices")
            assert len(questions) >= 5, quiz.slug
            for question in questions:
                flags = [choice.is_correct for choice in question.choices.all()]
                assert quiz_question_errors(kind=question.kind, correct_flags=flags) == [], question.text

    def test_quiz_rules_are_the_demo_defaults(self):
        """Quizzes show answers after passing and are not shuffled."""
        quizzes = QuizPage.objects.descendant_of(demo_course())
        assert {quiz.show_answers for quiz in quizzes} == {QuizPage.ShowAnswers.AFTER_PASSING}
        assert {quiz.is_shuffled for quiz in quizzes} == {False}

    def test_live_quiz_and_its_published_revision_hold_questions_and_choices(self):
        """The live quiz rows and the published revision carry every question in order and every choice (shuffled)."""
        for module_data in DEMO.course["modules"]:
            for quiz_data in (item for item in module_data["items"] if item["type"] == "quiz"):
                quiz = QuizPage.objects.live().get(slug=quiz_data["slug"])
                expected = [
                    (question["text"], question["kind"], sorted(tuple(choice) for choice in question["choices"]))
                    for question in quiz_data["questions"]
                ]
                assert quiz.questions.count() == len(quiz_data["questions"])
                in_rows = [
                    (q.text, q.kind, [(c.text, c.is_correct) for c in q.choices.order_by("sort_order")])
                    for q in quiz.questions.order_by("sort_order")
                ]
                assert [(text, kind, sorted(choices)) for text, kind, choices in in_rows] == expected
                assert quiz.live_revision_id == quiz.latest_revision_id
                # The stored JSON itself: as_object() would fall back to the rows for a missing relation.
                in_revision = [
                    (q["text"], q["kind"], [(c["text"], c["is_correct"]) for c in q["choices"]])
                    for q in quiz.live_revision.content["questions"]
                ]
                assert in_revision == in_rows

    def test_every_lesson_matches_its_file(self):
        """Each lesson file made one lesson: its front matter, its body blocks in order and its takeaways."""
        lesson_files = sorted((DEMO_DIR / "modules").glob("*/[0-9]*.md"))
        assert LessonPage.objects.descendant_of(demo_course()).count() == len(lesson_files) >= 15
        lessons = {item["slug"]: item for module in DEMO.course["modules"] for item in module["items"]}
        for path in lesson_files:
            meta = front_matter(path)
            lesson = LessonPage.objects.get(slug=meta["slug"])
            assert (lesson.title, lesson.estimated_minutes) == (meta["title"], meta["estimated_minutes"]), path
            assert lesson.summary == as_summary(meta["summary"]), path
            assert lesson.key_takeaway_list == meta["key_takeaways"], path
            expected_body = [{"type": kind, "value": value} for kind, value in lessons[meta["slug"]]["body"]]
            assert stream_json(lesson.body) == expected_body, path
            # Counted in the file itself: every "## " heading and every ":::name" block is a block of the page.
            lines = path.read_text(encoding="utf-8").splitlines()
            special = [block.block_type for block in lesson.body if block.block_type != "paragraph"]
            assert special == [
                "heading" if line.startswith("## ") else ("task" if line.startswith(":::task") else "callout")
                for line in lines
                if line.startswith("## ") or (line.startswith(":::") and line != ":::")
            ], path

    def test_every_question_and_right_answer_matches_its_quiz_file(self):
        """Each quiz file made one quiz: settings, every question in order, every choice with its right-answer flag."""
        quiz_files = sorted((DEMO_DIR / "modules").glob("*/*.yaml"))
        assert QuizPage.objects.descendant_of(demo_course()).count() == len(quiz_files) >= 4
        for path in quiz_files:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            quiz = QuizPage.objects.get(slug=data["slug"])
            assert (quiz.title, quiz.pass_mark, quiz.attempt_limit) == (
                data["title"],
                data["pass_mark"],
                data["attempt_limit"],
            ), path
            questions = quiz.questions.order_by("sort_order").prefetch_related("choices")
            assert [
                (q.text, q.kind, q.explanation, sorted((c.text, c.is_correct) for c in q.choices.all()))
                for q in questions
            ] == [
                (
                    q["text"],
                    q.get("kind", "single"),
                    q.get("explanation", ""),
                    sorted((c["text"], c.get("correct", False)) for c in q["choices"]),
                )
                for q in data["questions"]
            ], path

    def test_case_studies_match_their_files(self):
        """Each case study file made one case study with its title, region, branch, topics and three sections."""
        case_files = sorted((DEMO_DIR / "case-studies").glob("*.md"))
        assert len(case_files) == len(DEMO.case_studies)
        for path, data in zip(case_files, DEMO.case_studies, strict=True):
            meta = front_matter(path)
            case = CaseStudyPage.objects.select_related("region", "branch").get(slug=meta["slug"])
            assert (case.title, case.region.code, case.branch.number) == (meta["title"], meta["region"], meta["branch"])
            assert sorted(case.topics.values_list("slug", flat=True)) == sorted(meta["topics"]), path
            assert (case.problem, case.actions, case.results) == (data["problem"], data["actions"], data["results"])
            assert case.problem.startswith("<p>") and "<li>" in case.actions, path

    def test_pictures_named_in_the_files_are_the_demos_own_drawings(self):
        """Every case study and the course that name a picture have that drawing as their image (a PNG
        the project drew, stored once however many pages share it); the others have none."""
        pages = [*(front_matter(path) for path in sorted((DEMO_DIR / "case-studies").glob("*.md")))]
        pages.append(front_matter(DEMO_DIR / "course.md"))
        named = [meta for meta in pages if "picture" in meta]
        assert named and len(named) < len(pages)  # some drawn, and a card without one to show the initial
        for meta in pages:
            page = Page.objects.get(slug=meta["slug"]).specific
            if "picture" not in meta:
                assert page.image is None, meta["slug"]
                continue
            assert page.image.title == f"Демо: {PICTURES[meta['picture']]}"
            page.image.file.open()
            with Image.open(page.image.file) as drawing:
                assert (drawing.format, drawing.size) == ("PNG", SIZE)
        kinds = {meta["picture"] for meta in named}
        assert CustomImage.objects.filter(title__startswith="Демо: ").count() == len(kinds)

    def test_case_studies_come_from_six_regions(self):
        """At least 6 case studies from at least 6 regions, with their branch in their region and topics set."""
        case_studies = CaseStudyPage.objects.filter(slug__in=[case["slug"] for case in DEMO.case_studies])
        assert case_studies.count() == len(DEMO.case_studies) >= 6
        assert case_studies.values("region").distinct().count() >= 6
        for case_study in case_studies:
            assert case_study.branch is None or case_study.branch.region_id == case_study.region_id
            assert case_study.topics.exists(), case_study.slug

    def test_every_demo_page_is_live_and_published(self):
        """Every page under the home page is live with nothing unpublished."""
        pages = Page.objects.descendant_of(HomePage.objects.get(), inclusive=True)
        assert pages.count() > 1
        assert not pages.filter(live=False).exists()
        assert not pages.filter(has_unpublished_changes=True).exists()
        assert not pages.filter(live_revision__isnull=True).exists()

    def test_course_url_is_under_courses(self):
        """The default site's root is the home page, so the course is at /courses/<course slug>/."""
        assert Site.objects.get(is_default_site=True).root_page.specific_class is HomePage
        assert demo_course().url == f"/courses/{DEMO.course['slug']}/"
        assert LessonPage.objects.first().url.startswith(f"/courses/{DEMO.course['slug']}/")

    def test_home_page_gets_a_russian_hero(self):
        """The home page's hero is filled in on the first run."""
        home = HomePage.objects.get()
        assert home.hero_title
        assert home.summary

    def test_regions_branches_and_topics_come_from_the_demo_files(self):
        """Every demo region, branch and topic is in the database."""
        assert set(Region.objects.values_list("code", flat=True)) >= {region["code"] for region in DEMO.regions}
        branches = set(Branch.objects.values_list("region__code", "number"))
        assert branches >= {(branch["region"], branch["number"]) for branch in DEMO.branches}
        assert set(Topic.objects.values_list("slug", flat=True)) >= {topic["slug"] for topic in DEMO.topics}

    def test_demo_users_have_their_roles(self):
        """admin is a superuser; editor is staff in Editors, Moderators and Case study moderators; mentor and
        coordinator have groups."""
        users = get_user_model().objects.in_bulk(DEMO_USERNAMES, field_name="username")
        assert users["admin"].is_superuser and users["admin"].is_staff
        assert users["editor"].is_staff and not users["editor"].is_superuser
        assert set(users["editor"].groups.values_list("name", flat=True)) == {
            "Editors",
            "Moderators",
            "Case study moderators",
        }
        assert users["editor"].has_perm("wagtailadmin.access_admin")
        assert list(users["mentor"].groups.values_list("name", flat=True)) == [MENTORS_GROUP]
        assert list(users["coordinator"].groups.values_list("name", flat=True)) == [COORDINATORS_GROUP]
        assert users["coordinator"].region.code == DEMO.regions[0]["code"]

    def test_learners_are_secretaries_spread_over_regions(self):
        """Each learner has a Russian full name, a region and a branch of that region; they are in several regions."""
        learners = get_user_model().objects.filter(username__in=LEARNERS).select_related("branch")
        assert len(learners) == len(LEARNERS)
        for learner in learners:
            assert learner.full_name
            assert not learner.is_staff
            assert learner.branch is not None and learner.branch.region_id == learner.region_id
        assert len({learner.region_id for learner in learners}) == min(len(LEARNERS), len(DEMO.regions))

    def test_every_demo_user_logs_in_with_the_demo_password(self):
        """All demo users were created with the printed demo password."""
        for user in get_user_model().objects.filter(username__in=DEMO_USERNAMES):
            assert user.check_password(DEMO_PASSWORD), user.username

    def test_editor_can_open_the_wagtail_admin(self, client):
        """The editor logs in with the demo password and gets the Wagtail dashboard."""
        assert client.login(username="editor", password=DEMO_PASSWORD)
        assert client.get("/admin/").status_code == 200

    def test_correct_choices_are_not_always_first(self):
        """Stored choice order is shuffled, so "always answer the first" does not pass a demo quiz."""
        first_choices = [question.choices.order_by("sort_order").first() for question in QuizQuestion.objects.all()]
        correct_first = sum(choice.is_correct for choice in first_choices)
        assert 0 < correct_first < len(first_choices) * 0.6

    def test_editor_can_add_a_topic(self, client):
        """Editors curate topics: the snippet's add form opens and saves."""
        assert client.login(username="editor", password=DEMO_PASSWORD)
        response = client.post("/admin/snippets/courses/topic/add/", {"name": "Молодёжь", "slug": "youth"})
        assert response.status_code == 302
        assert Topic.objects.filter(slug="youth").exists()

    def test_output_has_the_summary_and_the_logins(self, demo):
        """The full seed ends with the counts and the logins table."""
        for username in DEMO_USERNAMES:
            assert username in demo
        assert DEMO_PASSWORD in demo
        assert "lessons" in demo


@pytest.mark.usefixtures("demo")
class SeedRerunTests:
    def test_second_run_creates_nothing(self):
        """A second run (a second `make run`) adds no page, question, choice, user, group, region, topic or revision."""
        before = row_counts()
        output = seed()
        assert row_counts() == before
        assert "Nothing new" in output

    def test_second_run_keeps_what_people_changed(self):
        """A changed password and an edited lesson survive a second run."""
        learner = get_user_model().objects.get(username="learner")
        learner.set_password("a-new-secret-1")
        learner.save()
        lesson = LessonPage.objects.first()
        lesson.title = "Отредактировано"
        lesson.save_revision().publish()
        seed()
        learner.refresh_from_db()
        lesson.refresh_from_db()
        assert learner.check_password("a-new-secret-1")
        assert lesson.title == "Отредактировано"

    def test_force_rebuilds_the_demo_pages_without_duplicates(self):
        """--force replaces the demo course and case studies with new pages, no more and no fewer."""
        course_id = demo_course().pk
        before = row_counts()
        seed("--force")
        after = row_counts()
        for model in ("Page", "QuizQuestion", "QuizChoice", "User", "Region", "Branch", "Topic"):
            assert after[model] == before[model], model
        assert demo_course().pk != course_id
        assert not Page.objects.filter(live=False).exists()


class LoginsOnlyTests:
    def test_logins_only_prints_every_demo_login_and_creates_nothing(self):
        """On a database without the demo, --logins-only prints the table and writes no row."""
        before = row_counts()
        output = seed("--logins-only")
        assert row_counts() == before
        for username in DEMO_USERNAMES:
            assert username in output
        assert DEMO_PASSWORD in output
        assert "/admin/" in output


def broken_copy(tmp_path, relative, old, new):
    """A copy of courses/demo with `old` replaced by `new` in one file; the copy, that file and the line of `old`."""
    root = tmp_path / "demo"
    shutil.copytree(DEMO_DIR, root)
    path = root / relative
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return root, path, text[: text.index(old)].count("\n") + 1


def refusal(root):
    """The message with which seed_demo_content refuses the folder; it must have written nothing."""
    before = row_counts()
    with pytest.raises(CommandError) as refused:
        seed("--content", str(root))
    assert row_counts() == before
    return str(refused.value)


FIRST_LESSON = "modules/01-obrashcheniya-i-nakazy/01-priem-zhiteley.md"
SECOND_LESSON = "modules/01-obrashcheniya-i-nakazy/02-zhurnal-obrashcheniy.md"
FIRST_QUIZ = "modules/01-obrashcheniya-i-nakazy/05-obrashcheniya-i-nakazy-test.yaml"
FIRST_QUESTION = "- text: Какой срок ответа по существу"
SECOND_QUESTION = "- text: Какие сведения обязательно должны быть"


class BrokenDemoFileTests:
    def test_unknown_block_names_the_file_and_line(self, tmp_path):
        """A misspelt ":::warning" stops the command at its file and line, with nothing written."""
        root, path, line = broken_copy(tmp_path, FIRST_LESSON, ":::warning Персональные", ":::warnng Персональные")
        assert f'{path}:{line}: unknown block "warnng"' in refusal(root)

    def test_front_matter_with_a_wrong_value_names_the_key_and_line(self, tmp_path):
        """A lesson whose minutes are not a number is refused at the line of that key."""
        root, path, line = broken_copy(tmp_path, FIRST_LESSON, "estimated_minutes: 20", "estimated_minutes: двадцать")
        assert f'{path}:{line}: "estimated_minutes" must be a whole number' in refusal(root)

    def test_unknown_picture_names_the_file_and_line(self, tmp_path):
        """A picture the project does not draw is refused at its line, with the ones it does listed."""
        case = "case-studies/02-tos-polyanka.md"
        root, path, line = broken_copy(tmp_path, case, "picture: meeting", "picture: photo-from-the-internet")
        assert f'{path}:{line}: unknown picture "photo-from-the-internet" (known: meeting' in refusal(root)

    def test_front_matter_that_is_not_yaml_names_the_file(self, tmp_path):
        """Broken YAML in a front matter is refused with the file and a line inside the front matter."""
        root, path, _line = broken_copy(tmp_path, FIRST_LESSON, "slug: priem-zhiteley", "slug: [priem-zhiteley")
        message = refusal(root)
        assert f"{path}:" in message
        assert "not valid YAML" in message

    def test_front_matter_without_a_required_key_is_refused(self, tmp_path):
        """A lesson without a summary is refused at its front matter, naming the missing key."""
        text = (DEMO_DIR / SECOND_LESSON).read_text(encoding="utf-8")
        summary = next(line for line in text.splitlines(keepends=True) if line.startswith("summary:"))
        root, path, _line = broken_copy(tmp_path, SECOND_LESSON, summary, "")
        assert f'{path}:2: "summary" is missing' in refusal(root)

    def test_question_without_a_correct_choice_names_the_question_line(self, tmp_path):
        """A single-choice question whose right answer lost `correct: true` is refused at the question's line."""
        old = "  - text: 30 дней со дня регистрации\n    correct: true\n"
        root, path, _line = broken_copy(tmp_path, FIRST_QUIZ, old, "  - text: 30 дней со дня регистрации\n")
        line = (DEMO_DIR / FIRST_QUIZ).read_text(encoding="utf-8").split(FIRST_QUESTION)[0].count("\n") + 1
        message = refusal(root)
        assert f"{path}:{line}: question" in message
        assert str(QUESTION_NEEDS_ONE_CORRECT) in message

    def test_multiple_choice_question_without_a_correct_choice_is_refused(self, tmp_path):
        """A multiple-choice question with every `correct: true` removed is refused at its line."""
        quiz = (DEMO_DIR / FIRST_QUIZ).read_text(encoding="utf-8")
        start = quiz.index(SECOND_QUESTION)
        end = quiz.index("\n- text:", start)
        question = quiz[start:end]
        root, path, line = broken_copy(tmp_path, FIRST_QUIZ, question, question.replace("    correct: true\n", ""))
        message = refusal(root)
        assert f"{path}:{line}: question" in message
        assert str(QUESTION_NEEDS_A_CORRECT) in message

    def test_single_choice_question_with_two_right_answers_is_refused(self, tmp_path):
        """A single-choice question with a second `correct: true` is refused at its line."""
        old = "  - text: 7 дней со дня поступления\n"
        root, path, _line = broken_copy(tmp_path, FIRST_QUIZ, old, old + "    correct: true\n")
        line = (DEMO_DIR / FIRST_QUIZ).read_text(encoding="utf-8").split(FIRST_QUESTION)[0].count("\n") + 1
        assert f"{path}:{line}: question" in refusal(root)

    def test_duplicate_slug_names_both_places(self, tmp_path):
        """A second lesson with the first one's slug is refused, naming where the slug was first used."""
        root, path, line = broken_copy(tmp_path, SECOND_LESSON, "slug: zhurnal-obrashcheniy", "slug: priem-zhiteley")
        first = root / FIRST_LESSON
        assert f'{path}:{line}: duplicate slug "priem-zhiteley" (first at {first}:3)' in refusal(root)

    def test_unknown_topic_of_a_case_study_is_refused(self, tmp_path):
        """A case study tagged with a topic that topics.yaml lacks is refused at its topics line."""
        relative = "case-studies/01-edinyy-zhurnal-obrashcheniy-ivanovka.md"
        root, path, line = broken_copy(tmp_path, relative, "- nakazy\n", "- nakazi\n")
        topics_line = line - 2  # "topics:", "- obrashcheniya", "- nakazy"
        assert f'{path}:{topics_line}: unknown topic "nakazi"' in refusal(root)

    def test_review_lesson_must_come_before_the_quiz(self, tmp_path):
        """A question may send the learner back to a lesson of the course, not to one that does not exist."""
        old = "  kind: single\n"
        root, _path, _line = broken_copy(tmp_path, FIRST_QUIZ, old, old + "  review_lesson: net-takogo-uroka\n")
        assert '"review_lesson" names no lesson before this quiz: "net-takogo-uroka"' in refusal(root)

    def test_review_lesson_links_the_question_to_the_lesson(self, tmp_path):
        """A question's review_lesson becomes its "lesson to review" in the database."""
        old = "  kind: single\n"
        root, _path, _line = broken_copy(tmp_path, FIRST_QUIZ, old, old + "  review_lesson: zhurnal-obrashcheniy\n")
        seed("--content", str(root))
        question = QuizQuestion.objects.get(text__startswith=FIRST_QUESTION.removeprefix("- text: "))
        assert question.review_lesson.slug == "zhurnal-obrashcheniy"
