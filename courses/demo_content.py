"""Read the demo course from its content files (courses/demo/) into plain data for seed_demo_content.

YAML holds the lists (regions, branches, topics) and the quizzes; Markdown with a YAML front matter
holds the course, its modules, lessons and the case studies. courses/demo/README.md describes the
format for editors and translators. Every mistake is reported as `path:line: what is wrong`, and
the whole folder is read before anything is written to the database.
"""

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from django.conf import settings

from courses.demo_pictures import PICTURES
from courses.models import QuizQuestion, quiz_question_errors


DEMO_DIR = Path(__file__).resolve().parent / "demo"

SLUG = re.compile(r"^[-a-z0-9]+$")
HEADING = re.compile(r"^#{1,6}\s+(.*\S)\s*$")
LIST_ITEM = re.compile(r"^(?:([-*])|\d+[.)])\s+(.*)$")
OPTION = re.compile(r"^:([a-z_]+):\s*(.*?)\s*$")
CALLOUT_KINDS = ("tip", "note", "warning")
LESSON_BLOCKS = (*CALLOUT_KINDS, "task")
CASE_STUDY_SECTIONS = ("problem", "actions", "results")

# What each entry or front matter holds: (required keys, optional keys), each with the type of its value.
CODE = (str, int)  # a region code or branch number, "52" or 52
SCHEMAS = {
    "region": ({"code": CODE, "name": str}, {}),
    "branch": ({"region": CODE, "number": CODE, "name": str}, {}),
    "topic": ({"slug": str, "name": str}, {}),
    "course": (
        {"title": str, "slug": str, "summary": str, "estimated_hours": int, "modules_in_order": bool},
        {"picture": str},
    ),
    "module": ({"title": str, "slug": str}, {"summary": str}),
    "lesson": (
        {"title": str, "slug": str, "summary": str, "estimated_minutes": int},
        {"is_required": bool, "key_takeaways": [str]},
    ),
    "quiz": (
        {"title": str, "slug": str, "intro": str, "pass_mark": int, "attempt_limit": int, "questions": [dict]},
        {"summary": str, "is_required": bool},
    ),
    "question": ({"text": str, "choices": [dict]}, {"kind": str, "explanation": str, "review_lesson": str}),
    "choice": ({"text": str}, {"correct": bool}),
    "case study": (
        {"title": str, "slug": str, "region": CODE, "summary": str, "topics": [str]},
        {"branch": CODE, "picture": str},
    ),
}
TYPE_NAMES = {str: "a text", int: "a whole number above 0", bool: "true or false", CODE: "a text or a number"}


class DemoContentError(Exception):
    """A demo content file is wrong; the message starts with `path:line:`."""


@dataclass(frozen=True)
class DemoContent:
    regions: list
    branches: list
    topics: list
    course: dict
    case_studies: list
    notice: dict  # the personal-data notice: version and text (HTML)


@dataclass(frozen=True)
class Source:
    """A place in a content file, for error messages."""

    path: Path
    line: int = 1

    def __str__(self):
        try:
            return f"{self.path.relative_to(settings.BASE_DIR)}:{self.line}"
        except ValueError:
            return f"{self.path}:{self.line}"

    def at(self, line):
        return Source(self.path, line)

    def error(self, message):
        return DemoContentError(f"{self}: {message}")


# YAML that remembers lines


class Mapping(dict):
    """A YAML mapping that knows its own line and the line of each key."""

    line = 1
    key_lines: dict


class LineLoader(yaml.SafeLoader):
    pass


def construct_mapping(loader, node):
    mapping = Mapping(loader.construct_mapping(node, deep=True))
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = {}
    for key_node, _value in node.value:
        key = loader.construct_object(key_node)
        if key in mapping.key_lines:
            raise yaml.MarkedYAMLError(problem=f'"{key}" is given twice', problem_mark=key_node.start_mark)
        mapping.key_lines[key] = key_node.start_mark.line + 1
    return mapping


LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping)


def parse_yaml(text, source):
    """YAML whose marks count from source.line, so errors and Mapping.line are lines of the file."""
    try:
        return yaml.load("\n" * (source.line - 1) + text, Loader=LineLoader)  # noqa: S506 - a SafeLoader
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        raise source.at(mark.line + 1).error(f"not valid YAML: {error.problem}") from None


def read_text(path):
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise Source(path).error(f"cannot be read: {error}") from None


def read_page(path, kind, slugs):
    """A Markdown file: its front matter (checked as a `kind`, its slug taken) and its body as blocks."""
    source, lines = Source(path), read_text(path).splitlines()
    if not lines or lines[0].strip() != "---":
        raise source.error('the file must start with a front matter: a "---" line, `key: value` lines, "---"')
    end = next((number for number in range(1, len(lines)) if lines[number].strip() == "---"), None)
    if end is None:
        raise source.error('the front matter is not closed by a "---" line')
    meta = checked(parse_yaml("\n".join(lines[1:end]), source.at(2)), source.at(2), kind)
    unique(slugs, "slug", meta["slug"], source.at(meta.key_lines["slug"]))
    return meta, parse_blocks(lines[end + 1 :], end + 2, source), source.at(end + 2)


def fits(value, kind):
    if isinstance(kind, list):
        return isinstance(value, list) and all(fits(item, kind[0]) for item in value)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool) and value > 0
    if kind is str:
        return isinstance(value, str) and bool(value.strip())
    return isinstance(value, kind)


def type_name(kind):
    if isinstance(kind, list):
        return "a list of texts" if kind[0] is str else "a list of `key: value` entries"
    return TYPE_NAMES[kind]


def checked(data, source, kind):
    """data, refused unless it has every required key of its kind, no unknown key and values of the right type."""
    if not isinstance(data, Mapping):
        raise source.error(f"a {kind} must be `key: value` lines, not {data!r}")
    required, optional = SCHEMAS[kind]
    schema = {**required, **optional}
    for key, value in data.items():
        where = source.at(data.key_lines[key])
        if key not in schema:
            raise where.error(f'unknown key "{key}" (a {kind} has: {", ".join(schema)})')
        if not fits(value, schema[key]):
            raise where.error(f'"{key}" must be {type_name(schema[key])}, not {value!r}')
    for key in required:
        if key not in data:
            raise source.at(data.line).error(f'"{key}" is missing (a {kind} needs: {", ".join(required)})')
    if "picture" in data and data["picture"] not in PICTURES:
        known = ", ".join(PICTURES)
        raise source.at(data.key_lines["picture"]).error(f'unknown picture "{data["picture"]}" (known: {known})')
    if "slug" in data and not SLUG.match(data["slug"]):
        raise source.at(data.key_lines["slug"]).error(f'slug "{data["slug"]}" may hold only a-z, 0-9 and "-"')
    return data


def unique(seen, what, key, source):
    """Refuses a second use of a key (a slug, a region code), naming where the first one was."""
    if key in seen:
        raise source.error(f'duplicate {what} "{key}" (first at {seen[key]})')
    seen[key] = source


# Markdown


@dataclass
class Block:
    kind: str  # "paragraph", "heading" or the name of a ::: block
    line: int
    title: str = ""
    html: str = ""
    options: dict = field(default_factory=dict)


def inline(text):
    """**bold**, *italic* and [links](url) as rich-text HTML; everything else is text."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", text)
    text = re.sub(r"\*(.+?)\*", r"<i>\1</i>", text)
    return re.sub(r"\[([^\]]+)\]\(([^)\s\"]+)\)", r'<a href="\2">\1</a>', text)


def chunk_html(chunk, source):
    """One run of non-blank lines: a paragraph, or a list whose items may go on over indented lines."""
    first = LIST_ITEM.match(chunk[0][1])
    if not first:
        return f"<p>{inline(' '.join(line.strip() for _number, line in chunk))}</p>"
    tag, items = ("ul" if first[1] else "ol"), []
    for number, line in chunk:
        match = LIST_ITEM.match(line)
        if not match:
            items[-1] += " " + line.strip()
        elif ("ul" if match[1] else "ol") != tag:
            raise source.at(number).error('a "-" list and a "1." list need a blank line between them')
        else:
            items.append(match[2].strip())
    return f"<{tag}>{''.join(f'<li>{inline(item)}</li>' for item in items)}</{tag}>"


def rich_text(numbered_lines, source):
    """Paragraphs and lists, separated by blank lines, as the HTML a rich-text field stores."""
    html, chunk = [], []
    for number, line in [*numbered_lines, (0, "")]:
        if line.strip():
            chunk.append((number, line))
        elif chunk:
            html.append(chunk_html(chunk, source))
            chunk = []
    return "".join(html)


def parse_blocks(lines, first_line, source):
    """A Markdown body as blocks: rich text between headings ("## …") and ":::name title … :::" blocks."""
    blocks, text = [], []

    def end_text():
        filled = [(number, line) for number, line in text if line.strip()]
        if filled:
            blocks.append(Block("paragraph", filled[0][0], html=rich_text(text, source)))
        text.clear()

    numbered = iter(enumerate(lines, start=first_line))
    for number, line in numbered:
        if line.startswith(":::"):
            end_text()
            name, _, title = line[3:].strip().partition(" ")
            if not name:
                raise source.at(number).error('this ":::" closes no block')
            block, inner = Block(name, number, title=title.strip()), []
            for inner_number, inner_line in numbered:
                if inner_line.strip() == ":::":
                    break
                if inner_line.startswith(":::") or HEADING.match(inner_line):
                    error = f'close block "{name}" (line {number}) with ":::" before a heading or another block'
                    raise source.at(inner_number).error(error)
                inner.append((inner_number, inner_line))
            else:
                raise source.at(number).error(f'block "{name}" is not closed by a ":::" line')
            while inner and (option := OPTION.match(inner[0][1])):
                block.options[option[1]] = (option[2], source.at(inner[0][0]))
                inner.pop(0)
            block.html = rich_text(inner, source)
            blocks.append(block)
        elif heading := HEADING.match(line):
            end_text()
            blocks.append(Block("heading", number, title=heading[1]))
        else:
            text.append((number, line))
    end_text()
    return blocks


def block_text(block, source, *, options=()):
    """The rich text of a ::: block, refused if it is empty or has an option it does not know."""
    for name, (_value, where) in block.options.items():
        if name not in options:
            raise where.error(f'block "{block.kind}" has no option ":{name}:"')
    if not block.html:
        raise source.at(block.line).error(f'block "{block.kind}" is empty')
    return block.html


def unexpected(block, source, known):
    if block.kind in ("paragraph", "heading"):
        return source.at(block.line).error(f"a {block.kind} is not allowed here, only {', '.join(known)} blocks")
    return source.at(block.line).error(f'unknown block "{block.kind}" (known here: {", ".join(known)})')


def intro_html(blocks, source):
    """The introduction of a course or module: paragraphs and lists only."""
    for block in blocks:
        if block.kind != "paragraph":
            raise source.at(block.line).error("an introduction holds only paragraphs and lists")
    return "".join(block.html for block in blocks)


def lesson_body(blocks, source):
    body = []
    for block in blocks:
        if block.kind == "heading":
            body.append(("heading", block.title))
        elif block.kind == "paragraph":
            body.append(("paragraph", block.html))
        elif block.kind in CALLOUT_KINDS:
            body.append(("callout", {"kind": block.kind, "title": block.title, "text": block_text(block, source)}))
        elif block.kind == "task":
            text = block_text(block, source, options=("minutes",))
            if not block.title:
                raise source.at(block.line).error('a "task" block needs a title: ":::task Title"')
            minutes, where = block.options.get("minutes", ("", source))
            if minutes and not (minutes.isdigit() and int(minutes) > 0):
                raise where.error(f'":minutes:" must be a whole number, not "{minutes}"')
            minutes = int(minutes) if minutes else None
            body.append(("task", {"title": block.title, "instructions": text, "estimated_minutes": minutes}))
        else:
            raise unexpected(block, source, LESSON_BLOCKS)
    if not body:
        raise source.error("the lesson has no body")
    return body


# The folder


def load_lesson(path, slugs):
    meta, blocks, source = read_page(path, "lesson", slugs)
    body = lesson_body(blocks, source)
    return {"type": "lesson", **meta, "key_takeaways": meta.get("key_takeaways", []), "body": body}


def load_question(question, source, lesson_slugs):
    # The quiz schema lets only `key: value` entries through as questions and choices.
    where = source.at(question.line)
    checked(question, where, "question")
    choices = [checked(choice, source.at(choice.line), "choice") for choice in question["choices"]]
    kind = question.get("kind", QuizQuestion.Kind.SINGLE)
    if kind not in QuizQuestion.Kind.values:
        raise where.error(f'"kind" must be one of {", ".join(QuizQuestion.Kind.values)}, not "{kind}"')
    if question.get("review_lesson") not in (None, *lesson_slugs):
        raise where.error(f'"review_lesson" names no lesson before this quiz: "{question["review_lesson"]}"')
    flags = [choice.get("correct", False) for choice in choices]
    for error in quiz_question_errors(kind=kind, correct_flags=flags):
        raise where.error(f"question {question['text']!r}: {error}")
    pairs = [(choice["text"], flag) for choice, flag in zip(choices, flags, strict=True)]
    return {**question, "kind": kind, "explanation": question.get("explanation", ""), "choices": pairs}


def load_quiz(path, slugs, lesson_slugs):
    source = Source(path)
    quiz = checked(parse_yaml(read_text(path), source), source, "quiz")
    unique(slugs, "slug", quiz["slug"], source.at(quiz.key_lines["slug"]))
    intro = rich_text(enumerate(quiz["intro"].splitlines(), start=quiz.key_lines["intro"]), source)
    questions = [load_question(question, source, lesson_slugs) for question in quiz["questions"]]
    return {"type": "quiz", **quiz, "intro": intro, "questions": questions}


def load_module(folder, slugs, lesson_slugs):
    """module.md, then the lessons (.md) and quizzes (.yaml) of the folder in the order of their file names."""
    meta, blocks, source = read_page(folder / "module.md", "module", slugs)
    items = []
    for path in sorted(folder.iterdir()):
        if path.suffix == ".md" and path.name != "module.md":
            items.append(load_lesson(path, slugs))
            lesson_slugs.append(items[-1]["slug"])
        elif path.suffix == ".yaml":
            items.append(load_quiz(path, slugs, lesson_slugs))
        elif path.name != "module.md" and not path.name.startswith("."):
            raise Source(path).error("a module folder holds module.md, lessons (.md) and quizzes (.yaml) only")
    return {**meta, "intro": intro_html(blocks, source), "items": items}


def load_course(root):
    """course.md, then the folders under modules/ in the order of their names; slugs are unique in the course."""
    slugs, lesson_slugs = {}, []
    meta, blocks, source = read_page(root / "course.md", "course", slugs)
    folders = sorted(path for path in (root / "modules").glob("*") if path.is_dir())
    if not folders:
        raise source.error(f"the course has no modules: no folder in {root / 'modules'}")
    modules = [load_module(folder, slugs, lesson_slugs) for folder in folders]
    return {**meta, "intro": intro_html(blocks, source), "modules": modules}


def load_case_study(path, slugs, branches_of, topics):
    meta, blocks, source = read_page(path, "case study", slugs)
    case = {**meta, "region": str(meta["region"]), "branch": str(meta["branch"]) if "branch" in meta else None}
    if case["region"] not in branches_of:
        raise source.at(meta.key_lines["region"]).error(f'unknown region code "{case["region"]}" (see regions.yaml)')
    if case["branch"] is not None and case["branch"] not in branches_of[case["region"]]:
        raise source.at(meta.key_lines["branch"]).error(f'region {case["region"]} has no branch "{case["branch"]}"')
    for topic in meta["topics"]:
        if topic not in topics:
            raise source.at(meta.key_lines["topics"]).error(f'unknown topic "{topic}" (see topics.yaml)')
    for block in blocks:
        if block.kind not in CASE_STUDY_SECTIONS:
            raise unexpected(block, source, CASE_STUDY_SECTIONS)
        if block.kind in case:
            raise source.at(block.line).error(f'block "{block.kind}" is given twice')
        case[block.kind] = block_text(block, source)
    for section in CASE_STUDY_SECTIONS:
        if section not in case:
            raise source.error(f'the ":::{section}" block is missing')
    return case


def load_listing(path, kind, *unique_keys):
    """regions.yaml, branches.yaml or topics.yaml: a list of entries; numbers are read as text."""
    entries, taken = parse_yaml(read_text(path), Source(path)), {keys: {} for keys in unique_keys}
    if not isinstance(entries, list):
        raise Source(path).error("expected a list of `- key: value` entries")
    for entry in entries:
        source = Source(path, getattr(entry, "line", 1))
        checked(entry, source, kind)
        entry.update({key: str(value) for key, value in entry.items() if isinstance(value, int)})
        for keys, seen in taken.items():
            unique(seen, " and ".join(keys), " ".join(entry[key] for key in keys), source)
    return entries


def load_notice(path):
    """personal-data-notice.yaml: a version and the text, in paragraphs and lists."""
    source = Source(path, 1)
    data = parse_yaml(read_text(path), source)
    if not isinstance(data, dict) or not str(data.get("version") or "").strip() or not str(data.get("text") or ""):
        raise source.error('the notice needs a "version" and a "text"')
    lines = list(enumerate(str(data["text"]).splitlines(), 1))
    return {"version": str(data["version"]).strip(), "text": rich_text(lines, source)}


def load_demo(root=DEMO_DIR):
    """Everything in the demo folder as plain data, or DemoContentError naming the file and line."""
    root = Path(root)
    regions = load_listing(root / "regions.yaml", "region", ("code",))
    branches_of = {region["code"]: set() for region in regions}
    branches = load_listing(root / "branches.yaml", "branch", ("region", "number"))
    for branch in branches:
        if branch["region"] not in branches_of:
            error = f'unknown region code "{branch["region"]}" (see regions.yaml)'
            raise Source(root / "branches.yaml", branch.line).error(error)
        branches_of[branch["region"]].add(branch["number"])
    topics = load_listing(root / "topics.yaml", "topic", ("slug",), ("name",))
    topic_slugs, case_slugs = {topic["slug"] for topic in topics}, {}
    course = load_course(root)
    case_studies = [
        load_case_study(path, case_slugs, branches_of, topic_slugs)
        for path in sorted((root / "case-studies").glob("*.md"))
    ]
    return DemoContent(regions, branches, topics, course, case_studies, load_notice(root / "personal-data-notice.yaml"))
