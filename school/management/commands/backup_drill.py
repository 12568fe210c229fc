"""`manage.py backup_drill`: prove that a backup restores, the way an operator would do it.

The demo (content, mentorships, progress) is loaded into a scratch database, `backup` is run on
it, `restore` puts it into a second, fresh database and a second media directory, and the two
sides are compared: the row count of every table, every sequence's position (new rows after a
restore must not collide with restored ones), an MD5 of the ordered rows of the progress tables,
and the media files. Each step runs as its own `manage.py` process pointed at its database by
DATABASE_URL and MEDIA_ROOT, exactly as `make backup` and `make restore` run. Any difference
fails the command. The scratch databases (backup_drill_source, backup_drill_restored) and files
are removed afterwards.
"""

import hashlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from psycopg import sql

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from school.backups import BackupError, Database, create_database, drop_database


SOURCE_NAME = "backup_drill_source"
RESTORED_NAME = "backup_drill_restored"
SEED_COMMANDS = ("seed_demo_content", "seed_demo_mentorships", "seed_demo_progress")
PROGRESS_TABLE_PREFIX = "progress_"


class Command(BaseCommand):
    help = (
        "Backup drill on PostgreSQL: load the demo and its progress into a scratch database, back it up, "
        "restore it into a fresh database, and compare every table's row count, the sequences, a checksum "
        "of the progress rows and the media files. Fails on any difference."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--server-url",
            default="postgres://postgres@127.0.0.1:5432/postgres",
            help="A PostgreSQL URL of the server to drill on; its database name is not used.",
        )

    def handle(self, *args, server_url, **options):
        try:
            server = Database.from_url(server_url).with_name("postgres")
        except BackupError as error:
            raise CommandError(str(error)) from error
        source = server.with_name(SOURCE_NAME)
        restored = server.with_name(RESTORED_NAME)
        with tempfile.TemporaryDirectory(prefix="backup-drill-") as scratch_name:
            scratch = Path(scratch_name)
            try:
                for name in (SOURCE_NAME, RESTORED_NAME):
                    drop_database(server=server, name=name)
                create_database(server=server, name=SOURCE_NAME)
                create_database(server=server, name=RESTORED_NAME)
                failures = self.drill(source=source, restored=restored, scratch=scratch)
            finally:
                for name in (SOURCE_NAME, RESTORED_NAME):
                    drop_database(server=server, name=name)
        if failures:
            raise CommandError(f"Backup drill failed: {'; '.join(failures)}.")
        self.stdout.write(self.style.SUCCESS("Backup drill passed: the restored copy matches the original."))

    def drill(self, *, source, restored, scratch):
        source_media = scratch / "source-media"
        restored_media = scratch / "restored-media"
        backups = scratch / "backups"

        self.stdout.write(f"Loading the demo and its progress into {source.describe()}…")
        self.manage("migrate", "--noinput", database=source, media_root=source_media, scratch=scratch)
        for command in SEED_COMMANDS:
            self.manage(command, database=source, media_root=source_media, scratch=scratch)

        self.stdout.write(
            self.manage(
                "backup", "--directory", str(backups), database=source, media_root=source_media, scratch=scratch
            )
        )
        (backup_path,) = [path for path in backups.iterdir() if not path.name.startswith(".")]
        self.stdout.write(
            self.manage("restore", str(backup_path), database=restored, media_root=restored_media, scratch=scratch)
        )

        failures = []
        before = database_summary(source)
        after = database_summary(restored)
        failures += self.compare_tables(before, after)
        failures += self.compare_sequences(before, after)
        failures += self.compare_progress(before, after)
        failures += self.compare_media(media_summary(source_media), media_summary(restored_media))

        again = self.manage(
            "restore", str(backup_path), database=restored, media_root=restored_media, scratch=scratch, check=False
        )
        if again is None:
            self.stdout.write("Restoring once more into the now non-empty database: refused, as it must be.")
        else:
            failures.append("a second restore into the non-empty database was not refused")
        return failures

    def manage(self, *arguments, database, media_root, scratch, check=True):
        """Run `manage.py` with the site pointed at `database` and `media_root`; its output, or None if
        it failed and `check` is off. Cache of its own, so the drill never touches a shared Redis."""
        environment = {key: value for key, value in os.environ.items() if key != "REDIS_URL"}
        environment.update(DATABASE_URL=database.url(), MEDIA_ROOT=str(media_root), CACHE_DIR=str(scratch / "cache"))
        completed = subprocess.run(  # noqa: S603 - this interpreter and manage.py, fixed arguments
            [sys.executable, str(settings.BASE_DIR / "manage.py"), *arguments],
            env=environment,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=False,
        )
        if completed.returncode == 0:
            return completed.stdout.strip()
        if not check:
            return None
        raise CommandError(
            f"`manage.py {' '.join(arguments)}` failed (exit status {completed.returncode}):\n"
            f"{completed.stdout}{completed.stderr}"
        )

    def compare_tables(self, before, after):
        names = sorted(set(before["counts"]) | set(after["counts"]))
        width = max(len(name) for name in names)
        self.stdout.write(f"\n{'table':<{width}}  {'original':>9}  {'restored':>9}")
        differing = []
        for name in names:
            original, copy = before["counts"].get(name), after["counts"].get(name)
            mark = "" if original == copy else "  <- differs"
            if mark:
                differing.append(name)
            self.stdout.write(f"{name:<{width}}  {fmt(original):>9}  {fmt(copy):>9}{mark}")
        total = sum(before["counts"].values())
        self.stdout.write(
            f"{len(names)} tables, {total:,} rows in the original, {sum(after['counts'].values()):,} restored."
        )
        return [f"row counts differ in {', '.join(differing)}"] if differing else []

    def compare_sequences(self, before, after):
        differing = sorted(
            name
            for name in set(before["sequences"]) | set(after["sequences"])
            if before["sequences"].get(name) != after["sequences"].get(name)
        )
        self.stdout.write(
            f"Sequences: {len(before['sequences'])} in the original, "
            f"{'each at the same position in the copy' if not differing else 'differing: ' + ', '.join(differing)}."
        )
        return [f"sequences differ: {', '.join(differing)}"] if differing else []

    def compare_progress(self, before, after):
        original, copy = before["progress_checksum"], after["progress_checksum"]
        self.stdout.write(
            f"Progress rows (MD5 of the ordered rows of {len(before['progress_tables'])} progress_* tables): "
            f"original {original}, restored {copy}: {'the same' if original == copy else 'DIFFERENT'}."
        )
        return [] if original == copy else ["the progress rows differ"]

    def compare_media(self, original, copy):
        same = original == copy
        self.stdout.write(
            f"Media files: {len(original)} in the original, {len(copy)} restored, "
            f"{'same names and contents' if same else 'DIFFERENT'}."
        )
        if not original:
            return ["the demo wrote no media files, so the media archive went untested"]
        return [] if same else ["the media files differ"]


def fmt(count):
    return "missing" if count is None else f"{count:,}"


def database_summary(database):
    """Row counts of every table, each sequence's position, and a checksum of the progress rows."""
    with database.connect() as connection:
        tables = [
            name
            for (name,) in connection.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
            )
        ]
        counts = {
            name: connection.execute(sql.SQL("SELECT count(*) FROM public.{}").format(sql.Identifier(name))).fetchone()[
                0
            ]
            for name in tables
        }
        sequences = dict(
            connection.execute(
                "SELECT sequencename, coalesce(last_value, 0) FROM pg_sequences WHERE schemaname = 'public'"
            ).fetchall()
        )
        progress_tables = [name for name in tables if name.startswith(PROGRESS_TABLE_PREFIX)]
        digest = hashlib.md5(usedforsecurity=False)
        for name in progress_tables:
            # Each row as PostgreSQL prints it, in a fixed order: equal only if every value is equal.
            (table_md5,) = connection.execute(
                sql.SQL(
                    "SELECT md5(coalesce(string_agg(row_text, E'\\n' ORDER BY row_text), '')) "
                    "FROM (SELECT t::text AS row_text FROM public.{} AS t) AS rows"
                ).format(sql.Identifier(name))
            ).fetchone()
            digest.update(f"{name}:{table_md5}\n".encode())
    return {
        "counts": counts,
        "sequences": sequences,
        "progress_tables": progress_tables,
        "progress_checksum": digest.hexdigest(),
    }


def media_summary(media_root):
    """Each file under `media_root` by its relative path, with the SHA-256 of its content."""
    if not media_root.is_dir():
        return {}
    return {
        path.relative_to(media_root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(media_root.rglob("*"))
        if path.is_file()
    }
