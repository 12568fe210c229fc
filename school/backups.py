"""Backups of the site: a PostgreSQL dump and an archive of the uploaded media, and their restore.

A backup is one directory named by its UTC time, e.g. `backups/20260301T020000Z/`, holding
`database.dump` (pg_dump's custom format), `media.tar.gz` (MEDIA_ROOT) and `manifest.json` (what
made them and the SHA-256 of each file). It is written under a hidden `.partial` name and renamed
only when complete and read back, so a directory with a time stamp is always a whole backup.

pg_dump reads the whole database in one snapshot, so the dump is consistent while the site runs.
The media are archived after the dump: every file the dump refers to is in the archive (files
are only added and deleted, never rewritten).

A restore checks everything before it touches anything: the checksums, then the whole dump read
through pg_restore (its `--list` reads only the table of contents, which survives a truncated
end), then the whole media archive. The database is restored in one transaction, so a failure at
any point leaves the target as it was, and with `force` the old tables are dropped in that same
transaction. The PostgreSQL tools get the password through the environment, never the command
line, and run without a shell.
"""

import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, urlencode

import dj_database_url
import psycopg
from psycopg import sql


DUMP_NAME = "database.dump"
MEDIA_NAME = "media.tar.gz"
MANIFEST_NAME = "manifest.json"
MANIFEST_FORMAT = 1
STAMP_FORMAT = "%Y%m%dT%H%M%SZ"
POSTGRESQL_ENGINES = {"django.db.backends.postgresql", "django.contrib.gis.db.backends.postgis"}
# Relations a Django schema creates in "public"; the target must hold none of them unless forced.
RELATION_KINDS = ("r", "p", "v", "m", "f", "S")
# Connection options of DATABASE_URL that libpq also reads from the environment.
LIBPQ_OPTION_VARIABLES = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "target_session_attrs": "PGTARGETSESSIONATTRS",
}
COPY_CHUNK_BYTES = 1 << 16

# Tables and sequences first, so that whatever depends on them goes with them (CASCADE); what is
# left of a sequence or view by then is skipped (IF EXISTS).
DROP_PUBLIC_RELATIONS = """
DO $drop$
DECLARE relation record;
BEGIN
    FOR relation IN
        SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') AND NOT c.relispartition
        ORDER BY CASE c.relkind WHEN 'r' THEN 0 WHEN 'p' THEN 0 WHEN 'f' THEN 1 WHEN 'm' THEN 2
                                WHEN 'v' THEN 3 ELSE 4 END
    LOOP
        EXECUTE format(
            'DROP %s IF EXISTS public.%I CASCADE',
            CASE relation.relkind
                WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'f' THEN 'FOREIGN TABLE'
                WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE'
            END,
            relation.relname
        );
    END LOOP;
END
$drop$;
"""


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why, for the operator."""


@dataclass(frozen=True)
class Database:
    """Where a PostgreSQL database is, as libpq wants it."""

    name: str
    host: str = ""
    port: str = ""
    user: str = ""
    password: str = ""
    options: tuple = ()

    @classmethod
    def from_settings(cls, settings_dict):
        """From a Django DATABASES entry; anything but PostgreSQL is refused."""
        engine = settings_dict.get("ENGINE", "")
        if engine not in POSTGRESQL_ENGINES:
            raise BackupError(
                f"Backups are made of PostgreSQL databases only; this site's database is {engine or 'not set'}. "
                "Set DATABASE_URL to the PostgreSQL database."
            )
        options = settings_dict.get("OPTIONS") or {}
        return cls(
            name=settings_dict.get("NAME") or "",
            host=str(settings_dict.get("HOST") or ""),
            port=str(settings_dict.get("PORT") or ""),
            user=settings_dict.get("USER") or "",
            password=settings_dict.get("PASSWORD") or "",
            options=tuple(sorted((key, str(value)) for key, value in options.items() if key in LIBPQ_OPTION_VARIABLES)),
        )

    @classmethod
    def from_url(cls, url):
        try:
            return cls.from_settings(dj_database_url.parse(url))
        except ValueError as error:
            raise BackupError(f"Not a database URL: {error}") from error

    def with_name(self, name):
        return Database(
            name=name, host=self.host, port=self.port, user=self.user, password=self.password, options=self.options
        )

    def url(self):
        """As a DATABASE_URL, for another process's environment (it carries the password)."""
        credentials = ""
        if self.user:
            credentials = (
                quote(self.user, safe="") + (f":{quote(self.password, safe='')}" if self.password else "") + "@"
            )
        address = quote(self.host, safe="") + (f":{self.port}" if self.port else "")
        query = f"?{urlencode(self.options)}" if self.options else ""
        return f"postgres://{credentials}{address}/{quote(self.name, safe='')}{query}"

    def describe(self):
        """The database without its password, for messages."""
        where = f"{self.host or 'local socket'}{f':{self.port}' if self.port else ''}"
        return f'"{self.name}" on {where}'

    def environment(self):
        """The process environment for pg_dump, pg_restore and psql: the password never shows in `ps`.

        What the URL leaves out comes from the PG* variables and ~/.pgpass, as for the site's own
        connections (libpq reads them too), so the tools reach the database the site uses.
        """
        variables = {
            "PGDATABASE": self.name,
            "PGHOST": self.host,
            "PGPORT": self.port,
            "PGUSER": self.user,
            "PGPASSWORD": self.password,
            **{LIBPQ_OPTION_VARIABLES[key]: value for key, value in self.options},
        }
        return {**os.environ, **{key: value for key, value in variables.items() if value}}

    def connect(self, **kwargs):
        params = {
            "connect_timeout": 10,
            "dbname": self.name,
            "host": self.host,
            "port": self.port,
            "user": self.user,
            "password": self.password,
            **dict(self.options),
            **kwargs,
        }
        return psycopg.connect(**{key: value for key, value in params.items() if value not in ("", None)})


@dataclass(frozen=True)
class Backup:
    path: Path
    manifest: dict

    @property
    def dump_path(self):
        return self.path / DUMP_NAME

    @property
    def media_path(self):
        return self.path / MEDIA_NAME


def public_relations(database):
    """Names of the tables, then the views and sequences, in the public schema of `database`."""
    try:
        with database.connect() as connection:
            rows = connection.execute(
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = 'public' AND c.relkind = ANY(%s) ORDER BY c.relkind NOT IN ('r', 'p'), c.relname",
                [list(RELATION_KINDS)],
            ).fetchall()
    except psycopg.Error as error:
        raise BackupError(f"Cannot reach the database {database.describe()}: {error}".strip()) from error
    return [name for (name,) in rows]


# Making a backup


def backup_create(*, database, directory, media_root):
    """Dump `database` and archive `media_root` into a new time-stamped directory under `directory`."""
    stamp = datetime.now(UTC).strftime(STAMP_FORMAT)
    directory = Path(directory)
    final_path = directory / stamp
    if final_path.exists():
        raise BackupError(f"{final_path} already exists; wait a second and run the backup again.")
    partial_path = directory / f".{stamp}.partial"
    try:
        partial_path.mkdir(parents=True)
    except OSError as error:
        raise BackupError(f"Cannot create {partial_path}: {error}") from error
    try:
        run_tool(
            ["pg_dump", "--format=custom", "--no-password", f"--file={partial_path / DUMP_NAME}"],
            database=database,
            failure=f"pg_dump could not dump the database {database.describe()}",
        )
        media_files = media_archive_create(
            media_root=Path(media_root), archive_path=partial_path / MEDIA_NAME, skip=directory
        )
        dump_verify(partial_path / DUMP_NAME)
        manifest = {
            "format": MANIFEST_FORMAT,
            "created_at": stamp,
            "database": database.name,
            "pg_dump": tool_version("pg_dump"),
            "media_files": media_files,
            "files": {name: file_digest(partial_path / name) for name in (DUMP_NAME, MEDIA_NAME)},
        }
        (partial_path / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        partial_path.rename(final_path)
    except BaseException:
        shutil.rmtree(partial_path, ignore_errors=True)
        raise
    return Backup(path=final_path, manifest=manifest)


def media_archive_create(*, media_root, archive_path, skip):
    """A gzipped tar of everything under `media_root`, paths relative to it; returns the file count.

    `skip` (the backups' directory) is left out should it lie inside `media_root`: no backup holds
    the earlier ones, or itself.
    """
    files = 0
    skip = Path(skip).resolve()
    try:
        with tarfile.open(archive_path, "w:gz") as archive:
            if media_root.is_dir():
                for path in sorted(media_root.rglob("*")):
                    if path.resolve().is_relative_to(skip):
                        continue
                    archive.add(path, arcname=path.relative_to(media_root).as_posix(), recursive=False)
                    files += path.is_file()
    except OSError as error:
        raise BackupError(f"Cannot archive the media in {media_root}: {error}") from error
    return files


# Checking a backup


def backup_open(path):
    """The backup at `path`, checked whole: nothing is restored from a backup that fails here."""
    path = Path(path)
    if not path.is_dir():
        raise BackupError(
            f"{path} is not a backup directory (it should hold {MANIFEST_NAME}, {DUMP_NAME}, {MEDIA_NAME})."
        )
    try:
        manifest = json.loads((path / MANIFEST_NAME).read_text(encoding="utf-8"))
        recorded = {name: manifest["files"][name]["sha256"] for name in (DUMP_NAME, MEDIA_NAME)}
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise BackupError(
            f"{path / MANIFEST_NAME} is missing or unreadable ({error}); this is not a whole backup."
        ) from error
    for name, sha256 in recorded.items():
        file_path = path / name
        if not file_path.is_file():
            raise BackupError(f"{file_path} is missing; this is not a whole backup.")
        if file_digest(file_path)["sha256"] != sha256:
            raise BackupError(
                f"{file_path} is damaged or incomplete: its SHA-256 differs from the one recorded when the "
                "backup was made. Nothing was restored; use another copy of this backup."
            )
    backup = Backup(path=path, manifest=manifest)
    dump_verify(backup.dump_path)
    media_archive_verify(backup.media_path)
    return backup


def dump_verify(dump_path):
    """pg_restore reads the whole dump (table of contents and every table's data) and writes it nowhere."""
    run_tool(
        ["pg_restore", "--list", str(dump_path)],
        failure=f"{dump_path} is not a readable PostgreSQL dump (pg_dump's custom format)",
    )
    run_tool(
        ["pg_restore", "--file=/dev/null", str(dump_path)],
        failure=f"{dump_path} is incomplete or damaged: pg_restore cannot read it to the end",
    )


def media_archive_verify(archive_path):
    """Every member read to the end (gzip checks its CRC there), and every path stays inside the target."""
    try:
        with tarfile.open(archive_path, "r:gz") as archive:
            for member in archive:
                tarfile.data_filter(member, "/restore-target")
                if member.isfile():
                    with archive.extractfile(member) as content:
                        while content.read(COPY_CHUNK_BYTES):
                            pass
    except (OSError, EOFError, tarfile.TarError) as error:
        raise BackupError(f"{archive_path} is incomplete or damaged: {error}. Nothing was restored.") from error


# Restoring


def backup_restore(*, backup, database, media_root, force=False):
    """Restore `backup` (already checked by backup_open) into `database` and `media_root`.

    Both must be empty unless `force`: then the public schema's tables are dropped in the restoring
    transaction and the media directory is emptied once the database is in.
    """
    media_root = Path(media_root)
    tables = public_relations(database)
    media_entries = sorted(path.name for path in media_root.iterdir()) if media_root.is_dir() else []
    if not force:
        if tables:
            raise BackupError(
                f"The database {database.describe()} is not empty: its public schema holds {len(tables)} tables, views "
                f"or sequences ({', '.join(tables[:3])}{', …' if len(tables) > 3 else ''}). Nothing was restored. "
                "Restore into an empty database, or add --force (FORCE=1) to replace what is there."
            )
        if media_entries:
            raise BackupError(
                f"The media directory {media_root} is not empty ({', '.join(media_entries[:3])}"
                f"{', …' if len(media_entries) > 3 else ''}). Nothing was restored. "
                "Restore into an empty one, or add --force (FORCE=1) to replace what is there."
            )
    database_restore(dump_path=backup.dump_path, database=database, drop_first=force)
    try:
        media_archive_restore(archive_path=backup.media_path, media_root=media_root, replace=force)
    except OSError as error:
        raise BackupError(f"The database was restored, but not the media into {media_root}: {error}") from error


def database_restore(*, dump_path, database, drop_first):
    """pg_restore writes the dump as SQL, which psql runs in one transaction committed only at the end.

    If pg_restore fails half-way, COMMIT is never sent and closing psql rolls everything back.
    """
    with tempfile.TemporaryFile() as restore_errors, tempfile.TemporaryFile() as psql_errors:
        # Objects belong to whoever restores (--no-owner): the roles of the old server need not exist.
        read_dump = ["pg_restore", "--no-owner", "--no-privileges", "--file=-", str(dump_path)]
        run_sql = ["psql", "--no-psqlrc", "--quiet", "--no-password", "--set=ON_ERROR_STOP=1"]
        # The client tools on PATH, as everywhere here: the operator's PostgreSQL version.
        reader = subprocess.Popen(  # noqa: S603
            read_dump,
            stdout=subprocess.PIPE,
            stderr=restore_errors,
            env=database.environment(),
        )
        # Warnings and errors only: the drop's "does not exist, skipping" notices are no news.
        environment = database.environment()
        writer = subprocess.Popen(  # noqa: S603
            run_sql,
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=psql_errors,
            env={**environment, "PGOPTIONS": f"{environment.get('PGOPTIONS', '')} -c client_min_messages=warning"},
        )
        try:
            writer.stdin.write(b"BEGIN;\n")
            if drop_first:
                writer.stdin.write(DROP_PUBLIC_RELATIONS.encode())
            while chunk := reader.stdout.read(COPY_CHUNK_BYTES):
                writer.stdin.write(chunk)
            read_ok = reader.wait() == 0
            if read_ok:
                writer.stdin.write(b"\nCOMMIT;\n")
                writer.stdin.close()
                written_ok = writer.wait() == 0
            else:
                writer.kill()
                writer.wait()
                written_ok = False
        except BrokenPipeError:
            # psql stopped at an error and closed its side; its transaction is gone with it.
            read_ok = True
            written_ok = False
        finally:
            for process in (reader, writer):
                if process.poll() is None:
                    process.kill()
                process.wait()
            reader.stdout.close()
            with contextlib.suppress(BrokenPipeError):
                writer.stdin.close()
        if read_ok and written_ok:
            return
        first, second = (psql_errors, restore_errors) if read_ok else (restore_errors, psql_errors)
        message = tool_output(first) or tool_output(second) or "no message"
        raise BackupError(
            f"The restore into {database.describe()} failed and was rolled back; the database is as it was. {message}"
        )


def media_archive_restore(*, archive_path, media_root, replace):
    media_root.mkdir(parents=True, exist_ok=True)
    if replace:
        for path in media_root.iterdir():
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
    with tarfile.open(archive_path, "r:gz") as archive:
        archive.extractall(media_root, filter="data")


# Small helpers


def run_tool(arguments, *, failure, database=None):
    """Run a PostgreSQL client tool; its own error message goes into the BackupError."""
    try:
        completed = subprocess.run(  # noqa: S603 - fixed tool names, arguments are paths
            arguments,
            env=database.environment() if database else None,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            check=False,
        )
    except FileNotFoundError as error:
        raise BackupError(f"{arguments[0]} is not installed (the PostgreSQL client tools are needed).") from error
    if completed.returncode != 0:
        details = completed.stderr.decode(errors="replace").strip() or f"exit status {completed.returncode}"
        raise BackupError(f"{failure}: {details}")
    return completed.stdout.decode(errors="replace")


def tool_version(name):
    try:
        return run_tool([name, "--version"], failure=f"{name} does not run").strip()
    except BackupError:
        return ""


def tool_output(stream):
    stream.seek(0)
    return stream.read().decode(errors="replace").strip()


def file_digest(path):
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while chunk := file.read(COPY_CHUNK_BYTES):
            digest.update(chunk)
    return {"sha256": digest.hexdigest(), "bytes": Path(path).stat().st_size}


def drop_database(*, server, name):
    """Drop database `name` (if there) through `server`, a Database of the same server; sessions are ended."""
    with server.connect(autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def create_database(*, server, name):
    with server.connect(autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
