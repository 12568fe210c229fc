"""Production serving: gunicorn with gunicorn.conf.py and the production settings, compressed HTML,
security headers, static files from the production manifest, media, and login throttling behind the
load balancer."""

import contextlib
import json
import os
import re
import runpy
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import requests
from axes.models import AccessAttempt

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.db import connection
from django.urls import reverse

from school.factories import UserFactory
from school.settings import base


PROJECT_DIR = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
PASSWORD = "Zelenaya-lampa-1917"
PRODUCTION_BACKENDS = base.AUTHENTICATION_BACKENDS
LOAD_BALANCER = "10.0.0.2"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


_collected = {}


def collected_static_root():
    """`make static` into a temporary STATIC_ROOT, once per test run (install is taken as done)."""
    if "root" not in _collected:
        root = Path(tempfile.mkdtemp(prefix="static-"))
        environ = {**os.environ, "STATIC_ROOT": str(root)}
        # Collecting must work without a real secret, as on a build machine.
        environ.pop("SECRET_KEY", None)
        environ.pop("DJANGO_SETTINGS_MODULE", None)
        subprocess.run(  # noqa: S603
            [shutil.which("make"), "--no-print-directory", "-s", "-o", ".venv/.installed", "static"],
            cwd=PROJECT_DIR,
            env=environ,
            check=True,
            capture_output=True,
            timeout=300,
        )
        _collected["root"] = root
    return _collected["root"]


def served_database_url(port=None):
    """The URL of the database this test runs on, optionally through another local port."""
    database = connection.settings_dict
    user = database["USER"] or "postgres"
    password = f":{database['PASSWORD']}" if database["PASSWORD"] else ""
    address = f"{database['HOST'] or '127.0.0.1'}:{port or database['PORT'] or 5432}"
    return f"postgres://{user}{password}@{address}/{database['NAME']}"


def production_environ(**overrides):
    """The environment of a production process on this machine, plain HTTP, on the test's secret key
    (so sessions made by the test client are valid there)."""
    environ = {
        key: value
        for key, value in os.environ.items()
        if key not in {"REDIS_URL", "DATABASE_URL", "DJANGO_SETTINGS_MODULE", "SECRET_KEY", "WEB_CONCURRENCY"}
    }
    environ.update(
        DJANGO_SETTINGS_MODULE="school.settings.production",
        SECRET_KEY=settings.SECRET_KEY,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="false",
        SECURE_COOKIES="false",
        STATIC_ROOT=str(collected_static_root()),
        # An empty cache of its own, as a new Redis would be: the shared cache outlives test databases.
        CACHE_DIR=tempfile.mkdtemp(prefix="school-cache-"),
        HOST="127.0.0.1",
        PORT=str(free_port()),
    )
    environ.update(overrides)
    return environ


@contextlib.contextmanager
def gunicorn(environ):
    """gunicorn with gunicorn.conf.py and school.wsgi, as `make serve` starts it; yields its base URL."""
    base_url = f"http://{environ['HOST']}:{environ['PORT']}"
    with tempfile.TemporaryFile() as output:
        process = subprocess.Popen(  # noqa: S603
            [str(VENV_BIN / "gunicorn"), "-c", "gunicorn.conf.py", "school.wsgi"],
            cwd=PROJECT_DIR,
            env=environ,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        final = []

        def log():
            if final:
                return final[0]
            output.seek(0)
            return output.read().decode(errors="replace")

        process.log = log
        try:
            deadline = time.monotonic() + 60
            while True:
                if process.poll() is not None:
                    pytest.fail(f"gunicorn stopped:\n{process.log()}")
                try:
                    requests.get(f"{base_url}/healthz", timeout=5)
                    break
                except requests.ConnectionError:
                    if time.monotonic() > deadline:
                        pytest.fail(f"gunicorn did not answer:\n{process.log()}")
                    time.sleep(0.2)
            yield base_url, process
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            final.append(log())


@pytest.fixture
def served_database(request, tmp_path):
    """DATABASE_URL for the server: the committed PostgreSQL test database, or a migrated SQLite file."""
    if connection.vendor == "postgresql":
        request.getfixturevalue("home_page")
        return served_database_url()
    database_url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=PROJECT_DIR,
        env=production_environ(DATABASE_URL=database_url),
        check=True,
        timeout=300,
    )
    return database_url


@pytest.mark.django_db(transaction=True)
class GunicornTests:
    """One gunicorn, started the way `make serve` starts it, asked the way a browser and the balancer ask."""

    def test_production_stack_answers_compressed_with_headers_static_and_media(self, served_database, tmp_path):
        media_root = tmp_path / "media"
        (media_root / "original_images").mkdir(parents=True)
        (media_root / "original_images" / "branch.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
        (media_root / "documents").mkdir()
        (media_root / "documents" / "private.pdf").write_bytes(b"%PDF-1.4 private")
        environ = production_environ(DATABASE_URL=served_database, MEDIA_ROOT=str(media_root), WEB_CONCURRENCY="2")

        with gunicorn(environ) as (base_url, process):
            home = requests.get(f"{base_url}/", headers={"Accept-Encoding": "gzip"}, timeout=10)
            assert home.status_code == 200, process.log()
            # HTML is compressed (requests has already unpacked it) and keeps the policy.
            assert home.headers["Content-Encoding"] == "gzip"
            assert "<html" in home.text
            assert "default-src 'self'" in home.headers["Content-Security-Policy"]
            assert home.headers["X-Frame-Options"] == "DENY"
            # HSTS only on a request that reached the balancer over HTTPS.
            assert "Strict-Transport-Security" not in home.headers
            https = requests.get(f"{base_url}/", headers={"X-Forwarded-Proto": "https"}, timeout=10)
            assert https.status_code == 200
            assert "max-age=31536000" in https.headers["Strict-Transport-Security"]

            # The page names its stylesheet by the manifest's hashed name, and whitenoise serves it.
            manifest = json.loads((Path(environ["STATIC_ROOT"]) / "staticfiles.json").read_text())["paths"]
            stylesheet = f"/static/{manifest['css/site.css']}"
            assert stylesheet in home.text
            static = requests.get(f"{base_url}{stylesheet}", headers={"Accept-Encoding": "gzip"}, timeout=10)
            assert static.status_code == 200
            assert "immutable" in static.headers["Cache-Control"]
            assert static.headers["Content-Encoding"] == "gzip"

            media = requests.get(f"{base_url}/media/original_images/branch.png", timeout=10)
            assert media.status_code == 200
            assert media.content.startswith(b"\x89PNG")
            assert "max-age=2592000" in media.headers["Cache-Control"]
            # Documents go through /documents/<id>/<name>, which checks their privacy, never /media/.
            assert requests.get(f"{base_url}/media/documents/private.pdf", timeout=10).status_code == 404

            assert requests.get(f"{base_url}/healthz", timeout=10).json() == {"status": "ok"}

        # gunicorn.conf.py sends the access log to stdout.
        assert re.search(r'"GET / HTTP/1\.1" 200', process.log())


class GunicornConfigTests:
    def _config(self, monkeypatch, **environ):
        for name in ("WEB_CONCURRENCY", "HOST", "PORT"):
            monkeypatch.delenv(name, raising=False)
        for name, value in environ.items():
            monkeypatch.setenv(name, value)
        return runpy.run_path(str(PROJECT_DIR / "gunicorn.conf.py"))

    def test_workers_follow_the_cores_with_a_cap(self, monkeypatch):
        config = self._config(monkeypatch)
        assert config["workers"] == min(2 * os.cpu_count() + 1, 12)
        assert config["bind"] == "0.0.0.0:8000"

    def test_the_environment_sets_workers_and_address(self, monkeypatch):
        config = self._config(monkeypatch, WEB_CONCURRENCY="3", HOST="127.0.0.1", PORT="8123")
        assert config["workers"] == 3
        assert config["bind"] == "127.0.0.1:8123"

    def test_workers_are_recycled_with_jitter_and_logs_go_to_stdout(self, monkeypatch):
        config = self._config(monkeypatch)
        assert config["max_requests"] > 0 and config["max_requests_jitter"] > 0
        assert config["accesslog"] == "-"
        assert 0 < config["timeout"] <= 60
        assert config["control_socket_disable"] is True  # two servers on one host must not share a socket


class MakeStaticTests:
    def test_make_static_collects_a_production_manifest_without_a_secret_key(self):
        """The manifest exists only when the production storage collected the files (dev settings make none)."""
        manifest = json.loads((collected_static_root() / "staticfiles.json").read_text())["paths"]
        assert manifest["css/site.css"] != "css/site.css"
        assert (collected_static_root() / manifest["css/site.css"]).exists()
        assert (collected_static_root() / f"{manifest['css/site.css']}.gz").exists()


def _log_in(client, password, forwarded_for, username="secretary"):
    return client.post(
        reverse("login"),
        {"username": username, "password": password},
        REMOTE_ADDR=LOAD_BALANCER,
        HTTP_X_FORWARDED_FOR=forwarded_for,
    )


@pytest.mark.django_db
class ProxyClientAddressTests:
    """Behind one load balancer every request comes from its address; the client is in X-Forwarded-For."""

    @pytest.fixture(autouse=True)
    def learner(self, db, settings):
        settings.AUTHENTICATION_BACKENDS = PRODUCTION_BACKENDS
        settings.TRUSTED_PROXY_COUNT = 1
        return UserFactory(username="secretary", password=PASSWORD)

    def _lock_out(self, client, forwarded_for):
        responses = [_log_in(client, "wrong-password", forwarded_for(n)) for n in range(settings.AXES_FAILURE_LIMIT)]
        assert [response.status_code for response in responses[:-1]] == [200] * (settings.AXES_FAILURE_LIMIT - 1)
        assert responses[-1].status_code == 429

    def test_two_clients_behind_the_balancer_are_throttled_separately(self, client):
        self._lock_out(client, lambda n: "203.0.113.5")
        assert AccessAttempt.objects.get().ip_address == "203.0.113.5"

        other = type(client)()
        response = _log_in(other, PASSWORD, "198.51.100.7")
        assert response.status_code == 302
        assert SESSION_KEY in other.session

    def test_a_forged_entry_does_not_escape_the_lockout(self, client):
        """The client writes what it likes to the left; the balancer appends the real address last."""
        self._lock_out(client, lambda n: f"192.0.2.{n}, 203.0.113.5")
        response = _log_in(client, PASSWORD, "192.0.2.200, 203.0.113.5")
        assert response.status_code == 429
        assert SESSION_KEY not in client.session
        assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["203.0.113.5"]

    def test_a_garbled_header_falls_back_to_the_peer_address(self, client):
        assert _log_in(client, "wrong-password", "not-an-address").status_code == 200
        assert AccessAttempt.objects.get().ip_address == LOAD_BALANCER

    def test_without_a_trusted_proxy_the_header_is_ignored(self, client, settings):
        """Development (TRUSTED_PROXY_COUNT=0): nothing in front, so X-Forwarded-For is the client's own word."""
        settings.TRUSTED_PROXY_COUNT = 0
        assert _log_in(client, "wrong-password", "203.0.113.5").status_code == 200
        assert AccessAttempt.objects.get().ip_address == LOAD_BALANCER

    def test_production_trusts_one_proxy_unless_told_otherwise(self, monkeypatch):
        monkeypatch.setenv("SECRET_KEY", "x" * 60)
        monkeypatch.delenv("TRUSTED_PROXY_COUNT", raising=False)
        for module in ("school.settings.base", "school.settings.production"):
            monkeypatch.delitem(sys.modules, module, raising=False)
        production = runpy.run_module("school.settings.production")
        assert production["TRUSTED_PROXY_COUNT"] == 1
        assert production["AXES_CLIENT_IP_CALLABLE"] == "school.middleware.client_ip"
