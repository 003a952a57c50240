"""Web panel skeleton, through Flask's test client on a fresh database per test.

Covers first-start setup, login/logout, CSRF, throttling, roles, i18n, the dashboard with
a status provider defined here (the real-Asterisk dashboard test lives elsewhere), and
the security headers.  No network, no Asterisk.
"""
from __future__ import annotations

import importlib
import re
import sys
import types
from pathlib import Path

import pytest
from flask import Flask

from appliance.store import users
from appliance.store.config import IVR_ACTIONS, ROUTE_ACTIONS, seed_demo
from appliance.webui import create_app
from appliance.webui.auth import PUBLIC_ENDPOINTS
from appliance.webui.i18n import CATALOG

ADMIN_PW = "correct horse battery"
WEBUI = Path(__file__).resolve().parents[1] / "appliance" / "webui"

STATUS = {
    "version": "22.10.1~dfsg+~cs6.15.60671435-1",
    "startup": 1_700_000_000.0,
    "uptime_s": 2 * 86400 + 3 * 3600 + 4 * 60 + 5,
    "active_channels": 7,
    "active_calls": 3,
    "queues": [{"name": "support", "logged_in": 2, "available": 1, "callers": 4,
                "hold_time": 12, "talk_time": 95, "longest_hold_s": 61}],
}


def ok_provider():
    return STATUS


def down_provider():
    raise ConnectionRefusedError("[Errno 111] Connection refused")


@pytest.fixture
def make_app(tmp_path):
    def make(provider=ok_provider):
        app = create_app(str(tmp_path / "box.db"), status_provider=provider)
        app.config["TESTING"] = True
        return app
    return make


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def db(app):
    return app.extensions["jns_db"].get()


@pytest.fixture
def client(app):
    return app.test_client()


def token(client, path="/login") -> str:
    page = client.get(path)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    assert found, f"no csrf_token field on {path}"
    return found.group(1)


def do_setup(client, username="admin", password=ADMIN_PW, password2=None):
    return client.post("/setup", data={
        "csrf_token": token(client, "/setup"), "username": username,
        "password": password, "password2": password if password2 is None else password2})


def login(client, username, password):
    return client.post("/login", data={"csrf_token": token(client), "username": username,
                                       "password": password})


def logout(client):
    return client.post("/logout", data={"csrf_token": token(client, "/")})


@pytest.fixture
def admin_client(client):
    assert do_setup(client).status_code == 302
    return client


def text(response) -> str:
    return response.get_data(as_text=True)


def get_routes(app):
    """Every GET URL without parameters, except static files."""
    return sorted(r.rule for r in app.url_map.iter_rules()
                  if "GET" in r.methods and not r.arguments and r.endpoint != "static")


# -- first start ---------------------------------------------------------------------------

def test_first_start_redirects_everything_to_setup(app, client):
    for path in get_routes(app) + ["/no/such/page", "/api/status"]:
        r = client.get(path)
        if path == "/setup":
            assert r.status_code == 200
            assert "Pierwsze uruchomienie" in text(r)
        else:
            assert r.status_code == 302, path
            assert r.location.endswith("/setup"), path


def test_setup_creates_admin_then_setup_is_gone(client, db):
    r = do_setup(client)
    assert r.status_code == 302 and r.location.endswith("/")
    assert not users.needs_setup(db)
    r = client.get("/")
    assert r.status_code == 200 and "Konto administratora zostało utworzone." in text(r)
    assert client.get("/setup").status_code == 404
    r = client.post("/setup", data={"csrf_token": token(client, "/"), "username": "evil",
                                    "password": "x" * 20, "password2": "x" * 20})
    assert r.status_code == 404
    assert db.execute("SELECT count(*) FROM users").fetchone()[0] == 1
    logout(client)
    assert client.get("/setup").status_code == 404


def test_setup_refuses_weak_or_mismatched_password(client, db):
    r = do_setup(client, password="short")
    assert r.status_code == 400
    assert "Hasło jest za krótkie: co najmniej 10 znaków." in text(r)
    client.post("/lang", data={"csrf_token": token(client, "/setup"), "lang": "en"})
    r = do_setup(client, password="short")
    assert "password too short: at least 10 characters" in text(r)
    r = do_setup(client, password=ADMIN_PW, password2=ADMIN_PW + "x")
    assert r.status_code == 400 and "The passwords do not match." in text(r)
    assert users.needs_setup(db)


# -- CSRF ------------------------------------------------------------------------------------

@pytest.mark.parametrize("bad", [None, "", "wrong-token", "zażółć"])
def test_posts_without_valid_csrf_token_are_refused(client, db, bad):
    def post(path, **data):
        if bad is not None:
            data["csrf_token"] = bad
        return client.post(path, data=data)

    token(client, "/setup")  # the session has a token; the form just does not send it
    r = post("/setup", username="admin", password=ADMIN_PW, password2=ADMIN_PW)
    assert r.status_code == 400 and "CSRF" in text(r)
    assert users.needs_setup(db)

    do_setup(client)
    logout(client)
    r = post("/login", username="admin", password=ADMIN_PW)
    assert r.status_code == 400 and "CSRF" in text(r)
    assert client.get("/").status_code == 302  # still anonymous

    assert login(client, "admin", ADMIN_PW).status_code == 302
    r = post("/logout")
    assert r.status_code == 400 and "tokenu bezpieczeństwa (CSRF)" in text(r)
    assert client.get("/").status_code == 200  # still logged in
    for method in (client.put, client.patch, client.delete):
        assert method("/", data={"csrf_token": bad or ""}).status_code == 400


def test_csrf_token_without_session_is_refused(app, admin_client):
    stolen = token(admin_client, "/")
    other = app.test_client()
    r = other.post("/login", data={"csrf_token": stolen, "username": "admin", "password": ADMIN_PW})
    assert r.status_code == 400


# -- login, throttling -------------------------------------------------------------------------

def test_login_logout(admin_client):
    c = admin_client
    r = logout(c)
    assert r.status_code == 302 and r.location.endswith("/login")
    assert "Wylogowano." in text(c.get("/login"))
    assert c.get("/logout").status_code == 405  # logout is POST only
    r = login(c, "admin", "wrong password!")
    assert r.status_code == 401
    assert "Nieprawidłowa nazwa użytkownika lub hasło." in text(r)
    assert c.get("/").status_code == 302
    r = login(c, "admin", ADMIN_PW)
    assert r.status_code == 302 and r.location.endswith("/")
    assert c.get("/").status_code == 200


def test_login_next_stays_on_this_site(admin_client):
    c = admin_client
    logout(c)
    r = c.get("/admin/")
    assert r.status_code == 302 and "/login?next=/admin/" in r.location
    for evil in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        r = c.post("/login", data={"csrf_token": token(c), "username": "admin",
                                   "password": ADMIN_PW, "next": evil})
        assert r.status_code == 302 and r.location == "/", evil
        logout(c)
    r = c.post("/login", data={"csrf_token": token(c), "username": "admin",
                               "password": ADMIN_PW, "next": "/admin/"})
    assert r.location == "/admin/"


def test_throttling_after_five_failures(admin_client, db):
    c = admin_client
    logout(c)
    for _ in range(users.FREE_FAILURES):
        assert login(c, "admin", "not the password").status_code == 401
    failures = db.execute("SELECT count(*) FROM login_failures").fetchone()[0]
    r = login(c, "admin", ADMIN_PW)  # correct password, but throttled
    assert r.status_code == 429
    assert re.search(r"Zbyt wiele nieudanych prób, spróbuj ponownie za \d+ s\.", text(r))
    assert c.get("/").status_code == 302
    # refused without checking the password: authenticate() did not record anything
    assert db.execute("SELECT count(*) FROM login_failures").fetchone()[0] == failures
    c.post("/lang", data={"csrf_token": token(c), "lang": "en"})
    r = login(c, "admin", ADMIN_PW)
    assert r.status_code == 429
    assert re.search(r"Too many failed attempts, try again in \d+ s\.", text(r))


# -- roles -------------------------------------------------------------------------------------

def test_every_private_route_is_role_checked(app):
    for endpoint, view in app.view_functions.items():
        if endpoint not in PUBLIC_ENDPOINTS:
            assert getattr(view, "allowed_roles", None), f"{endpoint} has no role_required"


def test_anonymous_is_sent_to_login_everywhere(app, admin_client):
    c = app.test_client()
    for path in get_routes(app):
        r = c.get(path)
        if path in ("/login",):
            assert r.status_code == 200
        elif path == "/setup":
            assert r.status_code == 404
        elif path.startswith("/api/"):
            assert r.status_code == 401 and r.get_json() == {"error": "login required"}
        else:
            assert r.status_code == 302 and "/login" in r.location, path


@pytest.mark.parametrize("role, allowed, forbidden", [
    ("agent", ["/", "/agent/", "/api/status"], ["/admin/", "/supervisor/", "/sms/",
                                                 "/admin/alarms/"]),
    ("supervisor", ["/", "/agent/", "/supervisor/", "/sms/", "/admin/alarms/"], ["/admin/"]),
    ("admin", ["/", "/agent/", "/supervisor/", "/admin/", "/sms/"], []),
])
def test_role_checks(app, db, admin_client, role, allowed, forbidden):
    c = app.test_client()
    if role != "admin":
        users.create_user(db, f"{role}1", ADMIN_PW, role)
    assert login(c, "admin" if role == "admin" else f"{role}1", ADMIN_PW).status_code == 302
    for path in allowed:
        assert c.get(path).status_code == 200, path
    for path in forbidden:
        r = c.get(path)
        assert r.status_code == 403, path
        assert "Brak dostępu" in text(r)
    nav = text(c.get("/")).split("</nav>")[0]
    for path in forbidden:
        assert f'href="{path}"' not in nav
    for path in allowed:
        if not path.startswith("/api/"):
            assert f'href="{path}"' in nav


def test_role_change_applies_at_once(app, db, admin_client):
    users.create_user(db, "boss", ADMIN_PW, "supervisor")
    c = app.test_client()
    login(c, "boss", ADMIN_PW)
    assert c.get("/supervisor/").status_code == 200
    db.execute("UPDATE users SET role = 'agent' WHERE username = 'boss'")
    assert c.get("/supervisor/").status_code == 403


# -- language ----------------------------------------------------------------------------------

def test_language_switch(admin_client, db):
    c = admin_client
    r = c.get("/")
    assert "Połączenia aktywne" in text(r) and "Wyloguj się" in text(r)
    assert 'lang="pl"' in text(r)
    r = c.post("/lang", data={"csrf_token": token(c, "/"), "lang": "en", "next": "/admin/"})
    assert r.status_code == 302 and r.location == "/admin/"
    r = c.get("/")
    assert "Active calls" in text(r) and "Log out" in text(r) and "Połączenia" not in text(r)
    assert db.execute("SELECT lang FROM users WHERE username = 'admin'").fetchone()[0] == "en"
    c.post("/lang", data={"csrf_token": token(c, "/"), "lang": "pl"})
    assert "Połączenia aktywne" in text(c.get("/"))
    c.post("/lang", data={"csrf_token": token(c, "/"), "lang": "xx"})  # ignored
    assert "Połączenia aktywne" in text(c.get("/"))


def test_language_from_user_then_browser(app, db, admin_client):
    users.create_user(db, "anna", ADMIN_PW, "agent", lang="en")
    c = app.test_client()
    assert "Zaloguj się" in text(c.get("/login"))  # no Accept-Language: Polish
    assert "Log in" in text(c.get("/login", headers={"Accept-Language": "en-GB,en;q=0.8"}))
    login(c, "anna", ADMIN_PW)
    assert "Active calls" in text(c.get("/"))  # the user's own setting


def test_catalogue_covers_every_ui_string():
    """Each _("...") in templates and views, and each flashed or titled id, has Polish."""
    pattern = re.compile(r"""(?:\b_\(|flash\(|title=|message=)\s*(["'])((?:(?!\1).)+)\1""")
    ids = set()
    for path in list(WEBUI.glob("templates/**/*.html")) + list(WEBUI.glob("*.py")):
        ids |= {m.group(2) for m in pattern.finditer(path.read_text(encoding="utf-8"))
                if "{{" not in m.group(2)}
    ids = {i for i in ids if not i.endswith(":")}  # "role:" ~ value: prefixes, added below
    from appliance.webui import ERRORS
    ids |= {s for pair in ERRORS.values() for s in pair}
    ids |= {f"role:{r}" for r in users.ROLES}
    ids |= {f"action:{a}" for a in IVR_ACTIONS + ROUTE_ACTIONS} | {"record:all", "record:none"}
    missing = sorted(i for i in ids if i not in CATALOG)
    assert not missing, f"no Polish text for: {missing}"
    assert len(ids) > 60
    polish = "".join(CATALOG.values())
    assert all(ch in polish for ch in "ąćęłńóśż")


# -- dashboard ---------------------------------------------------------------------------------

def test_dashboard_shows_status_from_provider(admin_client):
    r = admin_client.get("/")
    body = text(r)
    assert r.status_code == 200
    assert STATUS["version"] in body
    assert "2 d 3 godz. 4 min" in body
    assert re.search(r"Kanały aktywne</span><span class=\"value\">7<", body)
    assert re.search(r"Połączenia aktywne</span><span class=\"value\">3<", body)
    assert "<td>support</td>" in body and "1:01" in body and "1:35" in body
    assert "nieosiągalny" not in body
    admin_client.post("/lang", data={"csrf_token": token(admin_client, "/"), "lang": "en"})
    assert "2 d 3 h 4 min" in text(admin_client.get("/"))


def test_dashboard_when_asterisk_is_down(make_app):
    c = make_app(down_provider).test_client()
    do_setup(c)
    r = c.get("/")
    assert r.status_code == 200
    assert ("Asterisk jest nieosiągalny przez AMI: [Errno 111] Connection refused") in text(r)
    assert 'class="alert alert-error"' in text(r)
    c.post("/lang", data={"csrf_token": token(c, "/"), "lang": "en"})
    assert "Asterisk is not reachable over AMI: [Errno 111] Connection refused" in text(c.get("/"))
    r = c.get("/api/status")
    assert r.status_code == 503 and r.get_json() == {"error": "[Errno 111] Connection refused"}


def test_dashboard_provider_not_configured(make_app):
    c = make_app(None).test_client()
    do_setup(c)
    c.post("/lang", data={"csrf_token": token(c, "/"), "lang": "en"})
    r = c.get("/")
    assert r.status_code == 200 and "not configured" in text(r)
    r = c.get("/api/status")
    assert r.status_code == 503 and r.get_json() == {"error": "not configured"}


def test_provider_called_on_each_request(make_app):
    calls = []
    c = make_app(lambda: calls.append(1) or STATUS).test_client()
    do_setup(c)
    c.get("/"), c.get("/"), c.get("/api/status")
    assert len(calls) == 3


def test_api_status_json(admin_client):
    r = admin_client.get("/api/status")
    assert r.status_code == 200 and r.get_json() == STATUS


def test_status_text_is_escaped(make_app):
    c = make_app(lambda: {**STATUS, "version": "<script>alert(1)</script>"}).test_client()
    do_setup(c)
    body = text(c.get("/"))
    assert "<script>alert(1)" not in body and "&lt;script&gt;" in body


# -- admin listing -------------------------------------------------------------------------------

def test_admin_lists_configuration_without_secrets(admin_client, db):
    seed_demo(db)
    secret = db.execute("SELECT secret FROM agents WHERE extension = '101'").fetchone()[0]
    body = text(admin_client.get("/admin/"))
    for expected in ("Agenci", "Agent 101", "Kolejki", "101, 102", "Menu IVR", "<code>main</code>",
                     "Trasy przychodzące", "<td>100</td>"):
        assert expected in body, expected
    assert secret not in body


# -- headers, cookie, wsgi -----------------------------------------------------------------------

def test_security_headers_and_cookie(client):
    cookie = client.get("/setup").headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    for path in ("/setup", "/static/panel.css", "/"):
        r = client.get(path)
        assert r.headers["X-Frame-Options"] == "DENY"
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["Referrer-Policy"] == "same-origin"
        assert "default-src 'self'" in r.headers["Content-Security-Policy"]


def test_secure_cookie_configurable_and_secret_key_kept(tmp_path):
    a = create_app(str(tmp_path / "b.db"), config={"SESSION_COOKIE_SECURE": True})
    b = create_app(str(tmp_path / "b.db"))
    assert a.config["SESSION_COOKIE_SECURE"] is True
    assert a.secret_key == b.secret_key and len(a.secret_key) >= 40
    assert "Secure" in a.test_client().get("/setup").headers["Set-Cookie"]


def test_no_inline_script_or_style_or_external_links():
    loaded = re.compile(r"""<script src="\{\{ url_for\('static', filename='([a-z_]+\.js)'\) \}\}" """
                        r"""defer></script>""")
    for path in WEBUI.glob("templates/*.html"):
        # scripts only as files from static/ (CSP: scripts only from 'self'), and they exist
        src = path.read_text(encoding="utf-8")
        for name in loaded.findall(src):
            assert (WEBUI / "static" / name).is_file(), (path, name)
        src = loaded.sub("", src)
        assert "<script" not in src and "style=" not in src and "<style" not in src, path
        assert "http://" not in src and "https://" not in src, path


@pytest.mark.parametrize("have_module", [False, True])
def test_wsgi_entry_point(tmp_path, monkeypatch, have_module):
    monkeypatch.setenv("JNS_DB", str(tmp_path / "wsgi.db"))
    provider = lambda: STATUS  # noqa: E731
    if have_module:
        fake = types.ModuleType("appliance.telephony.status")
        fake.status_provider_from_env = lambda: provider
        monkeypatch.setitem(sys.modules, "appliance.telephony.status", fake)
    else:
        monkeypatch.setitem(sys.modules, "appliance.telephony.status", None)  # ImportError
    monkeypatch.delitem(sys.modules, "appliance.webui.wsgi", raising=False)
    wsgi = importlib.import_module("appliance.webui.wsgi")
    assert isinstance(wsgi.app, Flask)
    assert wsgi.app.extensions["jns_status_provider"] is (provider if have_module else None)
