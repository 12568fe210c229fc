"""`manage.py backup` and `manage.py restore` on PostgreSQL: a round trip, and every bad input
refused with a clear message while the target database and media stay exactly as they were.

The source is the test database itself (transactional tests, so pg_dump sees committed rows); the
target is a database of its own next to it, made empty for each test and dropped afterwards.
MEDIA_ROOT points into the test's temporary directory, never at the site's media.
"""

import hashlib
import json
import tarfile
from io import StringIO
from pathlib import Path

import pytest
from psycopg import sql

from django.core.management import CommandError, call_command
from django.db import connection

from progress.models import LessonCompletion, QuizAttempt
from progress.services import lesson_mark_complete, quiz_attempt_start, quiz_attempt_submit
from school.backups import BackupError, Database, create_database, database_restore, drop_database


on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="Backups are pg_dump and pg_restore: PostgreSQL only"
)
# pg_dump reads through its own connection: it sees only committed rows.
committed = pytest.mark.django_db(transaction=True)
PICTURE = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8


def database_state(database):
    """Every table of the public schema with its row count and an MD5 of its ordered rows, and
    every sequence's position: equal states hold equal data."""
    with database.connect() as db:
        tables = [name for (name,) in db.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
        state = {
            name: db.execute(
                sql.SQL(
                    "SELECT count(*), md5(coalesce(string_agg(row_text, ',' ORDER BY row_text), '')) "
                    "FROM (SELECT t::text AS row_text FROM public.{} AS t) AS rows"
                ).format(sql.Identifier(name))
            ).fetchone()
            for name in tables
        }
        sequences = dict(
            db.execute("SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'").fetchall()
        )
    return {"tables": state, "sequences": sequences}


def media_state(media_root):
    if not media_root.is_dir():
        return {}
    return {
        path.relative_to(media_root).as_posix(): path.read_bytes() for path in media_root.rglob("*") if path.is_file()
    }


def make_backup(directory):
    out = StringIO()
    call_command("backup", directory=str(directory), stdout=out)
    (path,) = [child for child in Path(directory).iterdir() if child.name[0].isdigit()]
    return path, out.getvalue()


def restore(backup_path, target, **options):
    out = StringIO()
    call_command("restore", str(backup_path), database_url=target.url(), stdout=out, **options)
    return out.getvalue()


@pytest.fixture
def source(transactional_db):
    return Database.from_settings(connection.settings_dict)


@pytest.fixture
def target(source):
    """An empty database beside the test database, gone after the test."""
    server = source.with_name("postgres")
    name = f"{source.name}_restore"
    drop_database(server=server, name=name)
    create_database(server=server, name=name)
    yield source.with_name(name)
    drop_database(server=server, name=name)


@pytest.fixture
def site_media(settings, tmp_path):
    """The site's uploads while the backup is made: one picture in a sub-folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    (settings.MEDIA_ROOT / "original_images").mkdir(parents=True)
    (settings.MEDIA_ROOT / "original_images" / "meeting.png").write_bytes(PICTURE)
    return settings.MEDIA_ROOT


@pytest.fixture
def history(learner, course_tree):
    """A learner's progress: two lessons done and a quiz passed."""
    lesson_mark_complete(learner=learner, lesson=course_tree.lesson_one)
    lesson_mark_complete(learner=learner, lesson=course_tree.lesson_two)
    attempt = quiz_attempt_start(learner=learner, quiz=course_tree.quiz)
    answers = {
        str(question.pk): [str(choice.pk) for choice in question.choices.all() if choice.is_correct]
        for question in course_tree.quiz.questions.prefetch_related("choices")
    }
    quiz_attempt_submit(learner=learner, attempt_id=attempt.pk, answers=answers)
    assert LessonCompletion.objects.count() == 2
    assert QuizAttempt.objects.get().is_passed is True


@pytest.fixture
def backup(history, site_media, tmp_path):
    """A backup of the test database (with the learner's history) and of the site's media."""
    path, _output = make_backup(tmp_path / "backups")
    return path


@pytest.fixture
def restored_media(settings, tmp_path, backup):
    """Once the backup is made, MEDIA_ROOT points at a directory not there yet: where a restore puts the files."""
    settings.MEDIA_ROOT = tmp_path / "restored-media"
    return settings.MEDIA_ROOT


@pytest.fixture
def occupied_target(target):
    """The target already in use: a table with a row."""
    with target.connect(autocommit=True) as db:
        db.execute("CREATE TABLE notes (id serial PRIMARY KEY, text text)")
        db.execute("INSERT INTO notes (text) VALUES ('keep me')")
    return target


def damage(backup_path, name, *, keep_checksum=False, content=None):
    """Replace a file of the backup by `content`, or by its first half. With `keep_checksum` the
    manifest is made to agree, as if the file had been cut before its checksum was taken."""
    file_path = backup_path / name
    data = file_path.read_bytes()
    file_path.write_bytes(content if content is not None else data[: len(data) // 2])
    if keep_checksum:
        manifest_path = backup_path / "manifest.json"
        manifest = json.loads(manifest_path.read_text())
        manifest["files"][name] = {"sha256": hashlib.sha256(file_path.read_bytes()).hexdigest()}
        manifest_path.write_text(json.dumps(manifest))


@on_postgresql
@committed
class BackupTests:
    def test_backup_writes_a_dump_media_and_manifest_under_a_timestamp(self, history, site_media, tmp_path):
        """The backup is one directory named by its UTC time, with the dump, the media and their checksums."""
        path, output = make_backup(tmp_path / "backups")

        assert path.name.endswith("Z") and len(path.name) == len("20260301T020000Z")
        assert sorted(child.name for child in path.iterdir()) == ["database.dump", "manifest.json", "media.tar.gz"]
        assert (path / "database.dump").read_bytes().startswith(b"PGDMP")  # pg_dump's custom format
        manifest = json.loads((path / "manifest.json").read_text())
        assert manifest["media_files"] == 1
        assert set(manifest["files"]) == {"database.dump", "media.tar.gz"}
        assert str(path) in output

    def test_backups_kept_inside_media_root_are_not_archived_again(self, history, site_media):
        """BACKUP_DIR inside MEDIA_ROOT: each backup archives the uploads, not the earlier backups."""
        first, _output = make_backup(site_media / "backups")
        first.rename(first.parent / "earlier")  # frees its name, should the next one come within the second

        second, _output = make_backup(site_media / "backups")

        with tarfile.open(second / "media.tar.gz") as archive:
            assert [member.name for member in archive if member.isfile()] == ["original_images/meeting.png"]

    def test_a_failed_backup_leaves_no_directory_behind(self, site_media, source, tmp_path):
        """A database that cannot be dumped: a clear error, and nothing that looks like a backup."""
        directory = tmp_path / "backups"
        missing = source.with_name(f"{source.name}_missing")

        with pytest.raises(CommandError, match="pg_dump could not dump the database"):
            call_command("backup", directory=str(directory), database_url=missing.url(), stdout=StringIO())

        assert list(directory.iterdir()) == []


@on_postgresql
@committed
class RestoreTests:
    def test_round_trip_restores_every_row_sequence_and_media_file(
        self, backup, source, target, site_media, restored_media
    ):
        """Back up, restore into an empty database: every table holds the same rows, every sequence
        stands at the same place, and the media files are the same."""
        output = restore(backup, target)

        assert database_state(target) == database_state(source)
        assert database_state(target)["tables"]["progress_lessoncompletion"][0] == 2
        assert media_state(restored_media) == media_state(site_media) == {"original_images/meeting.png": PICTURE}
        assert "Restored" in output

    def test_non_empty_database_is_refused_and_left_alone(self, backup, occupied_target, restored_media):
        """A database that already has tables is not restored into without --force."""
        before = database_state(occupied_target)

        with pytest.raises(CommandError, match="is not empty.*notes.*Nothing was restored.*--force"):
            restore(backup, occupied_target)

        assert database_state(occupied_target) == before
        assert media_state(restored_media) == {}

    def test_non_empty_media_directory_is_refused(self, backup, target, restored_media):
        """Media already in MEDIA_ROOT are not overwritten without --force, and the database stays empty."""
        restored_media.mkdir()
        (restored_media / "mine.txt").write_text("keep me")

        with pytest.raises(CommandError, match="media directory .* is not empty.*Nothing was restored"):
            restore(backup, target)

        assert database_state(target) == {"tables": {}, "sequences": {}}
        assert media_state(restored_media) == {"mine.txt": b"keep me"}

    def test_force_replaces_what_is_there(self, backup, source, occupied_target, site_media, restored_media):
        """--force drops the tables already there and empties MEDIA_ROOT, then restores."""
        restored_media.mkdir()
        (restored_media / "stale.png").write_bytes(b"old")

        restore(backup, occupied_target, force=True)

        assert database_state(occupied_target) == database_state(source)
        assert "notes" not in database_state(occupied_target)["tables"]
        assert media_state(restored_media) == media_state(site_media)

    def test_truncated_dump_is_refused_and_target_untouched(self, backup, target, restored_media):
        """A dump cut short (a copy that stopped half-way): its checksum no longer matches."""
        damage(backup, "database.dump")

        with pytest.raises(CommandError, match="database.dump is damaged or incomplete.*Nothing was restored"):
            restore(backup, target)

        assert database_state(target) == {"tables": {}, "sequences": {}}
        assert media_state(restored_media) == {}

    def test_dump_cut_near_its_end_is_refused_even_when_the_checksum_agrees(
        self, backup, occupied_target, restored_media
    ):
        """A dump missing only its last bytes still has a readable table of contents; reading it to
        the end finds the gap. Even with --force the target is not touched."""
        data = (backup / "database.dump").read_bytes()
        damage(backup, "database.dump", content=data[:-100], keep_checksum=True)
        before = database_state(occupied_target)

        with pytest.raises(CommandError, match="database.dump is incomplete or damaged: pg_restore cannot read it"):
            restore(backup, occupied_target, force=True)

        assert database_state(occupied_target) == before
        assert media_state(restored_media) == {}

    def test_garbage_dump_is_refused_and_target_untouched(self, backup, occupied_target, restored_media):
        """A file that is no dump at all, even with a matching checksum and --force: a clear error."""
        damage(backup, "database.dump", content=b"this is not a dump\n" * 100, keep_checksum=True)
        before = database_state(occupied_target)

        with pytest.raises(CommandError, match="is not a readable PostgreSQL dump"):
            restore(backup, occupied_target, force=True)

        assert database_state(occupied_target) == before

    def test_truncated_media_archive_is_refused_before_the_database(self, backup, target, restored_media):
        """The media archive is checked whole before the database is touched."""
        damage(backup, "media.tar.gz", keep_checksum=True)

        with pytest.raises(CommandError, match="media.tar.gz is incomplete or damaged"):
            restore(backup, target)

        assert database_state(target) == {"tables": {}, "sequences": {}}
        assert media_state(restored_media) == {}

    def test_a_directory_that_is_not_a_backup_is_refused(self, target, tmp_path, settings):
        """A wrong path: the error names what a backup holds."""
        settings.MEDIA_ROOT = tmp_path / "media"
        (tmp_path / "elsewhere").mkdir()

        with pytest.raises(CommandError, match="manifest.json is missing or unreadable"):
            restore(tmp_path / "elsewhere", target)
        with pytest.raises(CommandError, match="is not a backup directory"):
            restore(tmp_path / "nowhere", target)

        assert database_state(target) == {"tables": {}, "sequences": {}}


class NotPostgresqlTests:
    def test_backup_of_a_sqlite_database_is_refused(self, tmp_path):
        """Backups are pg_dump's: another database engine gets a clear message, and no files."""
        with pytest.raises(CommandError, match="PostgreSQL databases only"):
            call_command(
                "backup",
                directory=str(tmp_path / "backups"),
                database_url=f"sqlite:///{tmp_path / 'db.sqlite3'}",
                stdout=StringIO(),
            )

        assert not (tmp_path / "backups").exists()


@on_postgresql
@committed
class RestoreTransactionTests:
    def test_a_restore_that_fails_half_way_is_rolled_back_with_the_drop(self, backup, occupied_target):
        """Past the checks, a dump that breaks off mid-way (the disk fails during the restore):
        nothing is committed, not even the drop of --force, and the message is pg_restore's."""
        data = (backup / "database.dump").read_bytes()
        (backup / "database.dump").write_bytes(data[:-100])
        before = database_state(occupied_target)

        with pytest.raises(BackupError, match="failed and was rolled back.*could not read from input file"):
            database_restore(dump_path=backup / "database.dump", database=occupied_target, drop_first=True)

        assert database_state(occupied_target) == before
