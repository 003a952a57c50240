"""The CRM's JSON API (/api/v1/) through Flask's test client.

Authentication: no token, a wrong or revoked token, another scheme -> 401 JSON; a session
cookie alone (a logged-in browser) -> 401, so the API cannot be used through CSRF; failed
tokens are throttled per address (429).  With a token: contacts listed/searched/paged,
created (400 with the store's message on bad data), read, patched, deleted only by a
supervisor or admin (403 for agents); notes honour privacy (agent B: 404 for agent A's
private note, not in the list); tasks created, listed, and changed by whom the panel lets
(an agent: their own/unassigned/created by them; only managers reassign)."""
from __future__ import annotations

import pytest

from appliance.crm import contacts as C
from appliance.store import users
from appliance.webui import create_app
from tests.test_webui import ADMIN_PW, login


@pytest.fixture
def app(tmp_path):
    app = create_app(str(tmp_path / "box.db"))
    app.config["TESTING"] = True
    return app


@pytest.fixture
def db(app):
    return app.extensions["jns_db"].get()


class Api:
    def __init__(self, app, db, name: str, role: str):
        self.id = users.create_user(db, name, ADMIN_PW, role)
        self.token = C.create_token(db, self.id, "api", "test")
        self.client = app.test_client()

    def __getattr__(self, method):
        def call(path, json=None, **kw):
            headers = {"Authorization": f"Bearer {self.token}"}
            return getattr(self.client, method)("/api/v1" + path, json=json, headers=headers,
                                                **kw)
        return call


@pytest.fixture
def admin(app, db):
    return Api(app, db, "admin", "admin")


@pytest.fixture
def anna(app, db, admin):
    return Api(app, db, "anna", "agent")


@pytest.fixture
def bartek(app, db, admin):
    return Api(app, db, "bartek", "agent")


@pytest.fixture
def szef(app, db, admin):
    return Api(app, db, "szef", "supervisor")


def test_authentication(app, db, anna):
    c = app.test_client()
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": f"Basic {anna.token}"},
                    {"Authorization": "Bearer "}):
        r = c.get("/api/v1/contacts", headers=headers)
        assert r.status_code == 401 and "error" in r.get_json(), headers
    # a logged-in browser session does not open the API, not even for reading
    assert login(c, "anna", ADMIN_PW).status_code == 302
    assert c.get("/").status_code == 200
    assert c.get("/api/v1/contacts").status_code == 401
    assert c.post("/api/v1/contacts", json={"name": "CSRF"}).status_code == 401
    assert C.search(db, "")[1] == 0
    assert anna.get("/contacts").status_code == 200
    # a revoked token stops working
    C.revoke_token(db, anna.id, C.list_tokens(db, anna.id)[0]["id"])
    assert anna.get("/contacts").status_code == 401


def test_wrong_tokens_are_throttled(app, db, anna):
    c = app.test_client()
    for _ in range(users.FREE_FAILURES):
        assert c.get("/api/v1/contacts", headers={"Authorization": "Bearer bad"}).status_code == 401
    r = c.get("/api/v1/contacts", headers={"Authorization": f"Bearer {anna.token}"})
    assert r.status_code == 429 and "Retry-After" in r.headers
    # another address is not affected
    r = c.get("/api/v1/contacts", headers={"Authorization": f"Bearer {anna.token}"},
              environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert r.status_code == 200


def test_contacts(db, anna, szef):
    r = anna.post("/contacts", json={"name": "Jan Nowak",
                                     "phones": ["600 100 200",
                                                {"label": "work", "number": "22 123 45 67"}],
                                     "emails": ["jan@example.com"], "tags": ["VIP"]})
    assert r.status_code == 201
    c = r.get_json()["contact"]
    assert c["phones"] == [{"label": "mobile", "number": "+48600100200"},
                           {"label": "work", "number": "+48221234567"}]
    assert c["source"] == "api" and c["url"] == f"/crm/{c['id']}"
    r = anna.post("/contacts", json={"name": "Zły", "emails": ["x@@y"]})
    assert r.status_code == 400 and "e-mail" in r.get_json()["error"]
    assert anna.post("/contacts", data="nie json").status_code == 400
    for i in range(3):
        anna.post("/contacts", json={"name": f"Klient {i}"})
    r = anna.get("/contacts?q=0048600100200").get_json()
    assert r["total"] == 1 and r["contacts"][0]["name"] == "Jan Nowak"
    r = anna.get("/contacts?limit=2&offset=2").get_json()
    assert r["total"] == 4 and [x["name"] for x in r["contacts"]] == ["Klient 1", "Klient 2"]
    assert anna.get("/contacts?limit=x").status_code == 400
    r = anna.patch(f"/contacts/{c['id']}", json={"job_title": "Prezes", "tags": ["VIP", "nowy"]})
    assert r.status_code == 200 and r.get_json()["contact"]["job_title"] == "Prezes"
    assert r.get_json()["contact"]["phones"][0]["number"] == "+48600100200"   # kept
    assert anna.patch(f"/contacts/{c['id']}", json={"name": ""}).status_code == 400
    assert anna.get("/contacts/9999").status_code == 404
    r = anna.delete(f"/contacts/{c['id']}")
    assert r.status_code == 403 and r.get_json()["error"]
    assert szef.delete(f"/contacts/{c['id']}").status_code == 200
    assert szef.get(f"/contacts/{c['id']}").status_code == 404


def test_private_notes(db, admin, anna, bartek):
    cid = C.create_contact(db, {"name": "Klient"})
    r = anna.post(f"/contacts/{cid}/notes", json={"body": "tajne", "private": True})
    assert r.status_code == 201
    secret = r.get_json()["note"]["id"]
    bartek.post(f"/contacts/{cid}/notes", json={"body": "jawne"})
    notes = bartek.get(f"/contacts/{cid}/notes").get_json()["notes"]
    assert [n["body"] for n in notes] == ["jawne"]
    assert len(anna.get(f"/contacts/{cid}/notes").get_json()["notes"]) == 2
    assert len(admin.get(f"/contacts/{cid}/notes").get_json()["notes"]) == 2
    assert bartek.get(f"/notes/{secret}").status_code == 404
    assert anna.get(f"/notes/{secret}").get_json()["note"]["body"] == "tajne"
    assert anna.post(f"/contacts/{cid}/notes", json={"body": ""}).status_code == 400


def test_tasks(db, anna, bartek, szef):
    cid = C.create_contact(db, {"name": "Klient"})
    r = anna.post("/tasks", json={"title": "Oddzwonić", "contact_id": cid, "due_at": 1.9e9})
    assert r.status_code == 201
    t = r.get_json()["task"]
    assert t["assignee_id"] is None and t["created_by"] == "anna" and t["source"] == "api"
    assert anna.post("/tasks", json={"title": ""}).status_code == 400
    assert anna.post("/tasks", json={"title": "x", "due_at": "jutro"}).status_code == 400
    assert anna.post("/tasks", json={"title": "x", "contact_id": 999}).status_code == 400
    # unassigned: bartek may take it; then only bartek, anna (creator) and managers change it
    r = bartek.patch(f"/tasks/{t['id']}", json={"assignee_id": bartek.id})
    assert r.status_code == 200 and r.get_json()["task"]["assignee"] == "bartek"
    assert bartek.patch(f"/tasks/{t['id']}", json={"assignee_id": anna.id}).status_code == 403
    r = szef.post("/tasks", json={"title": "Dla Bartka", "assignee_id": bartek.id})
    other = r.get_json()["task"]["id"]
    assert anna.patch(f"/tasks/{other}", json={"status": "done"}).status_code == 403
    r = bartek.patch(f"/tasks/{other}", json={"status": "done"})
    assert r.get_json()["task"]["status"] == "done" and r.get_json()["task"]["done_at"]
    assert bartek.patch(f"/tasks/{other}", json={"status": "zrobione"}).status_code == 400
    assert szef.patch(f"/tasks/{other}", json={"assignee_id": anna.id}).status_code == 200
    tasks = anna.get("/tasks?assignee=me").get_json()["tasks"]
    assert [x["title"] for x in tasks] == ["Dla Bartka"]
    tasks = bartek.get(f"/tasks?contact_id={cid}").get_json()["tasks"]
    assert [x["id"] for x in tasks] == [t["id"]]
    assert anna.patch("/tasks/999", json={}).status_code == 404
