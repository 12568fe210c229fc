"""Load the demo course, case studies, regions and demo users from the content files in courses/demo/.

Idempotent: everything is looked up by its natural key (region code, branch region + number,
topic slug, username, page slug under its parent) and only what is missing is created, so a
second run changes nothing. Progress-side rows (mentorships) are progress's own command,
`seed_demo_mentorships`, because courses never imports progress.
"""

import random
from collections import Counter
from dataclasses import dataclass
from io import StringIO

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import ProtectedError
from django.utils.functional import cached_property
from django.utils.html import strip_tags
from django.utils.text import Truncator

from wagtail.models import Site

from courses.demo_content import DEMO_DIR, DemoContentError, load_demo
from courses.demo_pictures import PICTURES, draw_picture
from courses.models import (
    CaseStudyIndexPage,
    CaseStudyPage,
    CourseIndexPage,
    CoursePage,
    LessonPage,
    ModulePage,
    QuizChoice,
    QuizPage,
    QuizQuestion,
    Topic,
)
from courses.practices import CASE_STUDY_MODERATORS_GROUP, case_study_review_setup
from home.models import CustomImage, HomePage
from school.models import Branch, PersonalDataNotice, Region


PICTURE_TITLE_PREFIX = "Демо: "
DEMO_PASSWORD = "demo12345"  # noqa: S105 - printed to the person running the demo on purpose
SITE_URL = "http://127.0.0.1:8000"

# Wagtail's own migrations create these two, with page permissions and admin access.
EDITORS_GROUP = "Editors"
MODERATORS_GROUP = "Moderators"
MENTORS_GROUP = "Mentors"
COORDINATORS_GROUP = "Regional coordinators"

COURSE_INDEX_SLUG = "courses"
CASE_STUDY_INDEX_SLUG = "practices"
SUMMARY_MAX_LENGTH = 500
# English labels for the summary: verbose names follow the active language, which is Russian here.
PAGE_KINDS = {
    CourseIndexPage: "index pages",
    CaseStudyIndexPage: "index pages",
    CoursePage: "courses",
    ModulePage: "modules",
    LessonPage: "lessons",
    QuizPage: "quizzes",
    CaseStudyPage: "case studies",
}

HOME_HERO = {
    "hero_title": "Школа секретаря первичного отделения",
    "hero_text": (
        "<p>Онлайн-курс Высшей партийной школы для секретарей первичных отделений: "
        "уроки, тесты и лучшие практики коллег из регионов.</p>"
    ),
    "summary": "Учитесь в своём темпе, проверяйте себя тестами и перенимайте опыт секретарей со всей страны.",
}
SITE_NAME = "Школа секретаря"
COURSE_INDEX = {
    "title": "Курсы",
    "slug": COURSE_INDEX_SLUG,
    "show_in_menus": True,
    "summary": "Курсы Высшей партийной школы для секретарей первичных отделений.",
    "intro": "<p>Выберите курс и начните с первого урока: прогресс сохраняется автоматически.</p>",
}
CASE_STUDY_INDEX = {
    "title": "Лучшие практики",
    "slug": CASE_STUDY_INDEX_SLUG,
    "show_in_menus": True,
    "summary": "Опыт секретарей: задача, что сделано и какой получился результат.",
    "intro": "<p>Практики, которыми секретари первичных отделений поделились с коллегами.</p>",
}


@dataclass(frozen=True)
class DemoUser:
    role: str
    username: str
    full_name: str
    opens: tuple[str, ...]  # paths of the pages this user opens first
    groups: tuple[str, ...] = ()
    is_staff: bool = False
    is_superuser: bool = False
    is_learner: bool = False
    # Coordinators and mentors belong to the first demo region; learners are spread over all of them.
    is_in_first_region: bool = False


def _learner(username, full_name):
    return DemoUser("learner (secretary)", username, full_name, ("/my/",), is_learner=True)


DEMO_USERS = (
    DemoUser(
        "administrator",
        "admin",
        "Андрей Сергеевич Волков",
        ("/admin/", "/django-admin/"),
        is_staff=True,
        is_superuser=True,
    ),
    DemoUser(
        "editor / moderator",
        "editor",
        "Ольга Николаевна Лебедева",
        ("/admin/",),
        groups=(EDITORS_GROUP, MODERATORS_GROUP, CASE_STUDY_MODERATORS_GROUP),
        is_staff=True,
    ),
    DemoUser(
        "regional coordinator",
        "coordinator",
        "Игорь Павлович Соколов",
        ("/reports/",),
        groups=(COORDINATORS_GROUP,),
        is_in_first_region=True,
    ),
    DemoUser(
        "mentor (of learner, learner2, learner3)",
        "mentor",
        "Татьяна Викторовна Морозова",
        ("/mentor/",),
        groups=(MENTORS_GROUP,),
        is_in_first_region=True,
    ),
    _learner("learner", "Мария Ивановна Петрова"),
    _learner("learner2", "Сергей Александрович Козлов"),
    _learner("learner3", "Елена Дмитриевна Новикова"),
    _learner("learner4", "Алексей Михайлович Фёдоров"),
    _learner("learner5", "Наталья Юрьевна Кузнецова"),
    _learner("learner6", "Дмитрий Олегович Смирнов"),
)
DEMO_USERNAMES = tuple(user.username for user in DEMO_USERS)


def as_summary(text):
    """A plain-text summary for listings: the first paragraph of a summary or an HTML introduction."""
    first_paragraph = (text or "").split("</p>", 1)[0]
    return Truncator(strip_tags(first_paragraph).strip()).chars(SUMMARY_MAX_LENGTH)


def counts_text(counts):
    return ", ".join(f"{what} {number}" for what, number in counts.items())


def logins_table(base_url=SITE_URL):
    """The demo logins as aligned text columns, with the addresses of the site at `base_url`."""
    header = ("role", "username", "password", "open")
    rows = [
        header,
        *(
            (user.role, user.username, DEMO_PASSWORD, " and ".join(f"{base_url}{path}" for path in user.opens))
            for user in DEMO_USERS
        ),
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(len(header) - 1)]
    return "\n".join(
        "  ".join([*(cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=True)), row[-1]]) for row in rows
    )


class Command(BaseCommand):
    help = (
        "Load the demo course (modules, lessons, quizzes), case studies, regions, branches, topics and "
        f"demo users (password {DEMO_PASSWORD}) from the content files in courses/demo/. Idempotent: only what is "
        "missing is created and existing pages are left as they are. --force deletes the demo course and "
        "demo case studies (with anything learners did on them) and builds them again. Mentorships come "
        "from `seed_demo_mentorships`."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--seed",
            type=int,
            default=42,
            help="Seed of the order in which each question's choices are stored (the same seed, the same order).",
        )
        parser.add_argument(
            "--content",
            default=DEMO_DIR,
            help="The folder of demo content files (default: courses/demo), e.g. a translated copy.",
        )
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument(
            "--force",
            action="store_true",
            help="Delete the demo course and demo case studies, then build them again.",
        )
        mode.add_argument(
            "--logins-only",
            action="store_true",
            help="Only print the demo logins; change nothing.",
        )

    def handle(self, *args, content=DEMO_DIR, force=False, logins_only=False, seed=42, verbosity=1, **options):
        self.verbosity = verbosity
        # The data lists right answers first; stored that way, "always pick the first" would pass.
        self.random = random.Random(seed)  # noqa: S311 - an order of choices, not a secret
        if logins_only:
            self.print_logins()
            return
        try:
            # Every file is read and checked before the first row is written.
            self.demo = load_demo(content)
        except DemoContentError as error:
            raise CommandError(f"The demo content is not valid: {error}") from error
        self.created = Counter()
        with transaction.atomic():
            home = self.get_home_page()
            if force:
                self.delete_demo_pages(home)
            self.seed_organisation()
            self.seed_notice(home)
            self.seed_users()
            self.seed_pages(home)
        self.rebuild_indexes()
        self.print_summary(home)
        self.print_logins()

    def say(self, message=""):
        if self.verbosity >= 1:
            self.stdout.write(message)

    # The organisation and the people

    def seed_organisation(self):
        # get_or_create, not update_or_create: names an administrator corrected stay corrected.
        self.regions = {}
        for data in self.demo.regions:
            region, created = Region.objects.get_or_create(code=str(data["code"]), defaults={"name": data["name"]})
            self.regions[region.code] = region
            self.created["regions"] += created
        self.branches = {}
        for data in self.demo.branches:
            region = self.region(data["region"])
            branch, created = Branch.objects.get_or_create(
                region=region, number=str(data["number"]), defaults={"name": data["name"]}
            )
            self.branches[region.code, branch.number] = branch
            self.created["branches"] += created
        self.topics = {}
        for data in self.demo.topics:
            topic, created = Topic.objects.get_or_create(slug=data["slug"], defaults={"name": data["name"]})
            self.topics[topic.slug] = topic
            self.created["topics"] += created

    def seed_notice(self, home):
        """The personal-data notice every user accepts at first login; an editor's own notice stays."""
        site = Site.objects.filter(root_page=home).first() or Site.objects.get(is_default_site=True)
        notice = PersonalDataNotice.for_site(site)
        if not notice.is_set:
            notice.version, notice.text = self.demo.notice["version"], self.demo.notice["text"]
            notice.save()
            self.created["personal-data notice"] += 1

    def region(self, code):
        try:
            return self.regions[str(code)]
        except KeyError:
            raise CommandError(f"The demo data names an unknown region code {code!r}.") from None

    def branch(self, region_code, number):
        try:
            return self.branches[region_code, str(number)]
        except KeyError:
            raise CommandError(f"The demo data names an unknown branch {number!r} of region {region_code!r}.") from None

    def topic(self, slug):
        try:
            return self.topics[slug]
        except KeyError:
            raise CommandError(f"The demo data names an unknown topic {slug!r}.") from None

    def seed_users(self):
        groups = self.get_groups()
        places = self.places_of_users()
        for demo_user in DEMO_USERS:
            region, branch = places.get(demo_user.username, (None, None))
            user, created = get_user_model().objects.get_or_create(
                username=demo_user.username,
                defaults={
                    "full_name": demo_user.full_name,
                    "email": f"{demo_user.username}@example.org",
                    "is_staff": demo_user.is_staff,
                    "is_superuser": demo_user.is_superuser,
                    "region": region,
                    "branch": branch,
                },
            )
            if created:
                # Only a new user gets the demo password: a password someone changed stays changed.
                user.password = self.demo_password_hash
                user.save(update_fields=["password"])
                self.created["users"] += 1
            user.groups.add(*(groups[name] for name in demo_user.groups))

    @cached_property
    def demo_password_hash(self):
        # Hashing is slow on purpose (about 0.3 s with PBKDF2); one hash serves every new demo user.
        return make_password(DEMO_PASSWORD)

    def get_groups(self):
        groups = {}
        for name in (MENTORS_GROUP, COORDINATORS_GROUP):
            groups[name], created = Group.objects.get_or_create(name=name)
            self.created["groups"] += created
        for name in (EDITORS_GROUP, MODERATORS_GROUP, CASE_STUDY_MODERATORS_GROUP):
            # Their admin and page permissions come from Wagtail's migrations and courses.0005_case_study_review;
            # an empty look-alike would not do.
            group = Group.objects.filter(name=name).first()
            if group is None:
                raise CommandError(f'The group "{name}" that the migrations create is missing.')
            groups[name] = group
        # Editors curate the topics that case studies are tagged with.
        groups[EDITORS_GROUP].permissions.add(
            *Permission.objects.filter(content_type__app_label="courses", content_type__model="topic")
        )
        return groups

    def places_of_users(self):
        """Region and branch of each demo user: learners round-robin over the regions, so reports have spread."""
        regions = [self.region(region_data["code"]) for region_data in self.demo.regions]
        if not regions:
            return {}
        branches_of = {region.code: [] for region in regions}
        for (region_code, _number), branch in self.branches.items():
            branches_of[region_code].append(branch)
        places = {}
        learners = [user for user in DEMO_USERS if user.is_learner]
        for position, demo_user in enumerate(learners):
            region = regions[position % len(regions)]
            branches = branches_of[region.code]
            branch = branches[(position // len(regions)) % len(branches)] if branches else None
            places[demo_user.username] = (region, branch)
        for demo_user in DEMO_USERS:
            if demo_user.is_in_first_region:
                places[demo_user.username] = (regions[0], None)
        return places

    # The page tree

    def get_home_page(self):
        home = HomePage.objects.first()
        if home is None:
            raise CommandError("There is no home page: run `manage.py migrate` first.")
        return home

    def delete_demo_pages(self, home):
        """Remove the demo course and case studies only: other courses and submitted practices stay."""
        demo_pages = [
            *CoursePage.objects.descendant_of(home).filter(slug=self.demo.course["slug"]),
            *CaseStudyPage.objects.descendant_of(home).filter(
                slug__in=[case["slug"] for case in self.demo.case_studies]
            ),
        ]
        try:
            for page in demo_pages:
                page.delete()
        except ProtectedError as error:
            raise CommandError(f"Cannot delete the demo pages, other rows protect them: {error}") from error
        self.say(f"Deleted {len(demo_pages)} demo pages (with their descendants).")

    def seed_pages(self, home):
        self.fill_home_page(home)
        course_index = self.child_page(home, CourseIndexPage(**COURSE_INDEX))
        course = self.child_page(course_index, self.build_course(self.demo.course))
        self.lessons = {}  # by slug, for the questions' "lesson to review"
        for module_data in self.demo.course["modules"]:
            module = self.child_page(course, self.build_module(module_data))
            for item in module_data["items"]:
                if item["type"] == "lesson":
                    self.lessons[item["slug"]] = self.child_page(module, self.build_lesson(item))
                else:
                    self.child_page(module, self.build_quiz(item))
        case_study_index = self.child_page(home, CaseStudyIndexPage(**CASE_STUDY_INDEX))
        # Practices that secretaries submit there go through the review workflow.
        case_study_review_setup(index=case_study_index)
        for case_data in self.demo.case_studies:
            self.child_page(case_study_index, self.build_case_study(case_data))

    def fill_home_page(self, home):
        Site.objects.filter(root_page=home, site_name="").update(site_name=SITE_NAME)
        # Only on the first run: after that the hero belongs to the editors.
        if home.hero_title:
            return
        for field, value in HOME_HERO.items():
            setattr(home, field, value)
        home.save_revision().publish()

    def child_page(self, parent, page):
        """The page with this slug under parent if there is one (left untouched); otherwise page, published."""
        existing = type(page).objects.child_of(parent).filter(slug=page.slug).first()
        if existing is not None:
            return existing
        # As the admin's "Publish" button does: add a draft, save a revision, publish the revision.
        page.live = False
        try:
            parent.add_child(instance=page)
            page.save_revision().publish()
        except ValidationError as error:
            raise CommandError(f"The demo page {page.slug!r} is not valid: {error}") from error
        self.created[PAGE_KINDS[type(page)]] += 1
        return page

    def build_course(self, data):
        return CoursePage(
            title=data["title"],
            slug=data["slug"],
            summary=as_summary(data.get("summary") or data["intro"]),
            intro=data["intro"],
            estimated_hours=data["estimated_hours"],
            is_sequential=data["modules_in_order"],
            image=self.picture(data.get("picture")),
        )

    def build_module(self, data):
        return ModulePage(
            title=data["title"],
            slug=data["slug"],
            summary=as_summary(data.get("summary") or data["intro"]),
            intro=data["intro"],
        )

    def build_lesson(self, data):
        return LessonPage(
            title=data["title"],
            slug=data["slug"],
            summary=as_summary(data["summary"]),
            estimated_minutes=data["estimated_minutes"],
            body=list(data["body"]),
            key_takeaways="\n".join(data["key_takeaways"]),
            is_required=data.get("is_required", True),
        )

    def build_quiz(self, data):
        # Questions and choices are cluster children of the unsaved page, so that the first
        # revision, the one that is published, already holds them.
        return QuizPage(
            title=data["title"],
            slug=data["slug"],
            summary=as_summary(data.get("summary") or data["intro"]),
            intro=data["intro"],
            pass_mark=data["pass_mark"],
            attempt_limit=data["attempt_limit"],
            is_required=data.get("is_required", True),
            is_shuffled=False,
            show_answers=QuizPage.ShowAnswers.AFTER_PASSING,
            questions=[
                QuizQuestion(
                    text=question["text"],
                    kind=question["kind"],
                    explanation=question["explanation"],
                    review_lesson=self.lessons.get(question.get("review_lesson")),
                    sort_order=position,
                    choices=[
                        QuizChoice(text=text, is_correct=is_correct, sort_order=choice_position)
                        for choice_position, (text, is_correct) in enumerate(self.shuffled(question["choices"]))
                    ],
                )
                for position, question in enumerate(data["questions"])
            ],
        )

    def shuffled(self, items):
        items = list(items)
        self.random.shuffle(items)
        return items

    def build_case_study(self, data):
        region = self.region(data["region"])
        branch = self.branch(region.code, data["branch"]) if data.get("branch") else None
        return CaseStudyPage(
            title=data["title"],
            slug=data["slug"],
            summary=as_summary(data["summary"]),
            region=region,
            branch=branch,
            topics=[self.topic(slug) for slug in data["topics"]],
            problem=data["problem"],
            actions=data["actions"],
            results=data["results"],
            image=self.picture(data.get("picture")),
        )

    def picture(self, kind):
        """The demo's own picture of `kind` (courses.demo_pictures), drawn and stored once."""
        if not kind:
            return None
        title = f"{PICTURE_TITLE_PREFIX}{PICTURES[kind]}"
        image = CustomImage.objects.filter(title=title).first()
        if image is None:
            image = CustomImage(title=title, file=ContentFile(draw_picture(kind), name=f"demo-{kind}.png"))
            image.save()
            self.created["pictures"] += 1
        return image

    # Indexes and output

    def rebuild_indexes(self):
        # Pages were published one by one; rebuilding both indexes once leaves them consistent
        # whatever the task backend did meanwhile. Their own chatter is not the user's business.
        for command in ("update_index", "rebuild_references_index"):
            call_command(command, verbosity=0, stdout=StringIO(), stderr=StringIO())

    def print_summary(self, home):
        course = CoursePage.objects.descendant_of(home).filter(slug=self.demo.course["slug"]).first()
        in_course = {
            "modules": ModulePage.objects.descendant_of(course).count(),
            "lessons": LessonPage.objects.descendant_of(course).count(),
            "quizzes": QuizPage.objects.descendant_of(course).count(),
            "quiz questions": QuizQuestion.objects.filter(page__in=QuizPage.objects.descendant_of(course)).count(),
        }
        totals = {
            "case studies": CaseStudyPage.objects.descendant_of(home).count(),
            "regions": Region.objects.count(),
            "branches": Branch.objects.count(),
            "topics": Topic.objects.count(),
            "demo users": get_user_model().objects.filter(username__in=DEMO_USERNAMES).count(),
        }
        self.say(f"Demo course at {course.url}: {counts_text(in_course)}.")
        self.say(f"In the database: {counts_text(totals)}.")
        created = counts_text({what: n for what, n in sorted(self.created.items()) if n})
        self.say(f"Created in this run: {created}." if created else "Nothing new: the demo was already loaded.")

    def print_logins(self):
        self.say()
        self.say(f"Demo logins (password {DEMO_PASSWORD} for everyone):")
        self.say(logins_table())
