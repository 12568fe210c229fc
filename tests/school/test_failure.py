"""Plain failure: an unreachable database gives every page a short Russian 503 and the site comes back
by itself; a lost Redis only costs cache misses."""

import contextlib
import importlib
import socket
import sys
import threading

import pytest
import requests

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.db import IntegrityError, OperationalError, connection
from django.test import Client
from django.urls import reverse

from school.factories import UserFactory
from tests.school.test_serving import free_port, gunicorn, production_environ, served_database_url


UNAVAILABLE = "Курс ненадолго недоступен"
PASSWORD = "Zelenaya-lampa-1917"


def _refuse(matching=""):
    """A query wrapper that fails as a lost PostgreSQL connection does, for every query containing `matching`."""

    def wrapper(execute, sql, params, many, context):
        if matching in sql:
            raise OperationalError("connection to server at 127.0.0.1, port 5432 failed: Connection refused")
        return execute(sql, params, many, context)

    return wrapper


def _assert_unavailable_page(response):
    html = response.content.decode()
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "no-store" in response["Cache-Control"]
    assert UNAVAILABLE in html
    assert '<html lang="ru"' in html
    assert "Traceback" not in html and "OperationalError" not in html


@pytest.fixture
def quiet_client():
    """A client that gets the error page, as a browser does, instead of the exception."""
    return Client(raise_request_exception=False)


@pytest.mark.django_db
class DatabaseDownTests:
    """The database answers no query (its connection is refused): the test client sees what visitors see."""

    @pytest.mark.parametrize(
        ("path", "who"),
        [
            ("/", None),  # a Wagtail page
            ("lesson", "learner"),  # a Wagtail page of the course, signed in
            ("/my/", "learner"),
            ("/search/?query=приём", None),
            ("/admin/", "admin"),
            ("/django-admin/", "admin"),
        ],
    )
    def test_every_page_answers_503_with_a_short_russian_page(self, quiet_client, course_tree, path, who):
        if who:
            quiet_client.force_login(UserFactory(is_staff=who == "admin", is_superuser=who == "admin"))
        if path == "lesson":
            path = course_tree.lesson_one.url
        assert quiet_client.get(path).status_code == 200

        with connection.execute_wrapper(_refuse()):
            response = quiet_client.get(path)
        _assert_unavailable_page(response)

    def test_logging_in_answers_503_while_the_form_itself_needs_no_database(self, quiet_client, course_tree):
        """Once served, the login form is built from cached parts only, so it still shows; sending it
        needs the database and gets the 503 page, not an error about the password."""
        UserFactory(username="secretary-down", password=PASSWORD)
        assert quiet_client.get("/accounts/login/").status_code == 200
        with connection.execute_wrapper(_refuse()):
            assert quiet_client.get("/accounts/login/").status_code == 200
            response = quiet_client.post("/accounts/login/", {"username": "secretary-down", "password": PASSWORD})
        _assert_unavailable_page(response)
        # Whatever had started to render, the answer is the standalone 503 page.
        assert "503.html" in [template.name for template in response.templates]

    def test_a_failure_inside_a_lazily_rendered_template_response(self, quiet_client, home_page):
        """Only the footer's site settings fail, read while Wagtail's TemplateResponse renders."""
        with connection.execute_wrapper(_refuse("home_sitesettings")):
            _assert_unavailable_page(quiet_client.get("/"))

    def test_a_failure_in_the_session_middleware(self, quiet_client, home_page):
        """Logging in saves the new session in SessionMiddleware's response phase, after the view."""
        UserFactory(username="secretary", password=PASSWORD)
        with connection.execute_wrapper(_refuse('INSERT INTO "django_session"')):
            response = quiet_client.post(reverse("login"), {"username": "secretary", "password": PASSWORD})
        _assert_unavailable_page(response)

    def test_healthz_answers_503_json(self, quiet_client):
        with connection.execute_wrapper(_refuse()):
            response = quiet_client.get("/healthz")
        assert response.status_code == 503
        assert response.json() == {"status": "unavailable"}

    def test_other_errors_keep_the_plain_500_page(self, quiet_client, home_page):
        """A database error that is a bug, not an outage, is a 500 without Retry-After."""

        def broken(execute, sql, params, many, context):
            raise IntegrityError("duplicate key value violates unique constraint")

        with connection.execute_wrapper(broken):
            response = quiet_client.get("/")
        assert response.status_code == 500
        assert "Retry-After" not in response
        assert "Что-то пошло не так" in response.content.decode()
        assert UNAVAILABLE not in response.content.decode()

    def test_the_page_comes_back_with_the_database(self, quiet_client, home_page):
        with connection.execute_wrapper(_refuse()):
            assert quiet_client.get("/").status_code == 503
        assert quiet_client.get("/").status_code == 200


class Forwarder:
    """A TCP forwarder in front of PostgreSQL that the test cuts (connections dropped, port refused) and restores."""

    def __init__(self, target):
        self.target = target
        self.port = free_port()
        self.sockets = set()
        self.lock = threading.Lock()
        self.restore()

    def restore(self):
        self.listener = socket.create_server(("127.0.0.1", self.port))
        self.listener.settimeout(0.1)
        self.running = True
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def cut(self):
        self.running = False
        self.listener.close()
        with self.lock:
            for sock in self.sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self.sockets.clear()

    def _accept(self, listener):
        while self.running:
            try:
                client, _address = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(None)
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.sockets.update((client, upstream))
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()

    def _pump(self, source, destination):
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                destination.sendall(data)
        with contextlib.suppress(OSError):
            destination.shutdown(socket.SHUT_WR)


@pytest.mark.django_db(transaction=True)
class DatabaseOutageInProductionTests:
    """gunicorn with the production settings, reaching PostgreSQL through a forwarder the test cuts."""

    @pytest.fixture
    def forwarder(self):
        if connection.vendor != "postgresql":
            pytest.skip("needs PostgreSQL (DATABASE_URL=postgres://…)")
        database = connection.settings_dict
        forwarder = Forwarder((database["HOST"] or "127.0.0.1", int(database["PORT"] or 5432)))
        yield forwarder
        forwarder.cut()

    def test_pages_answer_503_while_the_database_is_cut_and_200_once_it_is_back(self, forwarder, course_tree):
        learner, admin = Client(), Client()
        learner.force_login(UserFactory())
        admin.force_login(UserFactory(is_staff=True, is_superuser=True))
        pages = [
            ("/", None),
            (course_tree.lesson_one.url, learner),
            ("/my/", learner),
            ("/search/?query=приём", None),
            ("/admin/", admin),
        ]
        # One worker keeps one persistent connection (DB_CONN_MAX_AGE): the one the cut breaks.
        environ = production_environ(DATABASE_URL=served_database_url(port=forwarder.port), WEB_CONCURRENCY="1")

        with gunicorn(environ) as (base_url, process):

            def get(path, client):
                cookies = {"sessionid": client.cookies["sessionid"].value} if client else {}
                return requests.get(f"{base_url}{path}", cookies=cookies, allow_redirects=False, timeout=20)

            assert [get(path, client).status_code for path, client in pages] == [200] * len(pages), process.log()

            forwarder.cut()
            for path, client in pages:
                response = get(path, client)
                assert response.status_code == 503, (path, process.log())
                assert response.headers["Retry-After"] == "30"
                assert UNAVAILABLE in response.text
                assert "Traceback" not in response.text
            health = requests.get(f"{base_url}/healthz", timeout=20)
            assert (health.status_code, health.json()) == (503, {"status": "unavailable"})

            forwarder.restore()
            assert [get(path, client).status_code for path, client in pages] == [200] * len(pages), process.log()
            assert requests.get(f"{base_url}/healthz", timeout=20).status_code == 200
            assert process.poll() is None  # the same server, never restarted


def _settings_with_redis(monkeypatch, url):
    """school.settings.base read afresh with REDIS_URL set (sys.modules is restored after)."""
    monkeypatch.setenv("REDIS_URL", url)
    monkeypatch.delitem(sys.modules, "school.settings.base", raising=False)
    return importlib.import_module("school.settings.base")


@pytest.mark.django_db
class RedisDownTests:
    """REDIS_URL names a port where nothing listens: the cache misses, the site works."""

    @pytest.fixture(autouse=True)
    def redis_down(self, monkeypatch, settings):
        base = _settings_with_redis(monkeypatch, f"redis://127.0.0.1:{free_port()}/0")
        settings.CACHES = base.CACHES
        settings.DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = base.DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS
        return base

    def test_the_cache_is_redis_and_sessions_stay_in_the_database(self, redis_down, settings, client):
        assert redis_down.CACHES["default"]["BACKEND"] == "django_redis.cache.RedisCache"
        # Sessions are read from the cache first but always written to the database.
        assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.cached_db"
        client.force_login(UserFactory())
        assert Session.objects.filter(session_key=client.session.session_key).exists()

    def test_a_lost_redis_is_a_logged_cache_miss(self, caplog):
        with caplog.at_level("ERROR"):
            cache.set("key", "value")
            assert cache.get("key") is None
        assert any(record.name.startswith("django_redis") for record in caplog.records)

    def test_pages_and_login_still_work(self, client, course_tree, caplog):
        UserFactory(username="secretary", password=PASSWORD)
        with caplog.at_level("ERROR"):
            assert client.get("/").status_code == 200
            response = client.post(reverse("login"), {"username": "secretary", "password": PASSWORD})
            assert response.status_code == 302
            assert SESSION_KEY in client.session
            assert client.get(course_tree.lesson_one.url).status_code == 200
            assert client.get("/my/").status_code == 200
        # The pages did ask the cache (Wagtail keeps the site's root paths there) and went on without it.
        assert any(record.name.startswith("django_redis") for record in caplog.records)
