"""The admin's users page `/admin/users/` and the store functions behind it, through Flask's
test client on a real SQLite file with the demo configuration (agents 101 and 102).

Users are created, changed and deleted only through the page here (the store is called
directly only to prove its own refusals); an agent user made on the page logs in and sees
only the recordings of the agent extension linked to them.  Every refusal (weak or
mismatched password, duplicate or hostile name, the last admin, deleting yourself) shows
its message and writes nothing; other roles get 403 and a POST without CSRF token 400.
No Asterisk here.
"""
from __future__ import annotations

import re

import pytest

from appliance.store import users
from appliance.store.db import StoreError
from tests.test_webui import ADMIN_PW, login
from tests.test_webui_inbound import (  # noqa: F401  (fixtures used by name)
    HOSTILE, admin_client, app, client_for, db, dirs, dump, english, form_value, post, recs, text)

NEW_PW = "another long secret"


def user_id(db, username: str) -> int:
    return users.find_user(db, username)["id"]


def create(client, username, role="agent", agent="", lang="pl", password=NEW_PW,
           password2=None):
    return post(client, "/admin/users/", {
        "username": username, "role": role, "agent": agent, "lang": lang,
        "password": password, "password2": password if password2 is None else password2})


def edit(client, db, username, role, agent="", lang="pl"):
    return post(client, f"/admin/users/{user_id(db, username)}/edit",
                {"role": role, "agent": agent, "lang": lang})


def flashes(client, location: str) -> str:
    body = text(client.get(location))
    return " ".join(re.findall(r'class="alert alert-\w+"[^>]*>([^<]*)<', body))


def shown_recordings(client) -> set[int]:
    return {int(i) for i in re.findall(r'<tr data-id="(\d+)"', text(client.get("/recordings/")))}


def logged_in_as(app, username, password=NEW_PW):
    c = app.test_client()
    assert login(c, username, password).status_code == 302, username
    return c


# -- create, list, edit, delete through the page ---------------------------------------------

def test_admin_creates_users_and_the_list_shows_them(app, admin_client, db):
    c = admin_client
    r = create(c, "anna.nowak", agent="101", lang="en")
    assert r.status_code == 302 and r.location.endswith("/admin/users/")
    assert create(c, "boss", role="supervisor").status_code == 302
    assert create(c, "ewa-2", role="admin").status_code == 302
    listed = {u["username"]: u for u in users.list_users(db)}
    assert {k: (v["role"], v["lang"], v["agent"]) for k, v in listed.items()} == {
        "admin": ("admin", "pl", None), "anna.nowak": ("agent", "en", "101"),
        "boss": ("supervisor", "pl", None), "ewa-2": ("admin", "pl", None)}
    # stored as a hash only; the page never shows a password or a hash
    hashes = [r[0] for r in db.execute("SELECT password_hash FROM users")]
    assert NEW_PW not in "".join(hashes)
    body = text(c.get("/admin/users/"))
    assert "Utworzono użytkownika ewa-2." in body
    assert NEW_PW not in body and not any(h[:20] in body for h in hashes)
    table = body.split('id="users"')[1].split("</table>")[0]
    anna = table.split(f'data-id="{listed["anna.nowak"]["id"]}"')[1].split("</tr>")[0]
    assert "agent" in anna and "angielski" in anna and "101 — Agent 101" in anna
    assert "koordynator" in table and "administrator" in table and "(to Ty)" in table
    english(c)
    body = text(c.get("/admin/users/"))
    assert "Linked agent" in body and "supervisor" in body and "English" in body
    # the new form offers agent 101 as already linked
    assert "101 — Agent 101 (linked to anna.nowak)" in body
    for name in ("anna.nowak", "boss", "ewa-2"):
        assert logged_in_as(app, name).get("/").status_code == 200


def test_agent_made_on_the_page_sees_only_own_recordings(app, admin_client, db, recs):
    c = admin_client
    assert create(c, "anna", agent="101").status_code == 302
    anna = logged_in_as(app, "anna")
    assert shown_recordings(anna) == {recs["u1"]}
    assert anna.get(f"/recordings/{recs['u1']}/play").status_code == 200
    assert anna.get(f"/recordings/{recs['u2']}/play").status_code == 404
    # linked to another agent: now only that agent's calls, at once
    assert edit(c, db, "anna", "agent", agent="102").status_code == 302
    assert shown_recordings(anna) == {recs["u2"]}
    assert anna.get(f"/recordings/{recs['u1']}/play").status_code == 404
    # no link: nothing; supervisor: everything, and the link stays as their own phone
    assert edit(c, db, "anna", "agent").status_code == 302
    assert shown_recordings(anna) == set()
    assert "nie jest powiązane" in text(anna.get("/recordings/"))
    assert edit(c, db, "anna", "supervisor", agent="101").status_code == 302
    assert shown_recordings(anna) == set(recs.values())
    assert users.find_user(db, "anna")["role"] == "supervisor"
    assert {u["username"]: u["agent"] for u in users.list_users(db)}["anna"] == "101"
    assert anna.get("/admin/users/").status_code == 403


def test_edit_page_changes_role_language_and_link(admin_client, db):
    c = admin_client
    create(c, "piotr", role="supervisor")
    uid = user_id(db, "piotr")
    body = text(c.get(f"/admin/users/{uid}/edit"))
    assert "Użytkownik piotr" in body and '<option value="supervisor" selected' in body
    assert form_value(body, "password") is None   # the password fields are always empty
    r = edit(c, db, "piotr", "agent", agent="102", lang="en")
    assert r.status_code == 302 and "Zapisano użytkownika piotr." in flashes(c, r.location)
    assert users.get_user(db, uid) == {"id": uid, "username": "piotr", "role": "agent",
                                       "lang": "en"}
    body = text(c.get(f"/admin/users/{uid}/edit"))
    assert '<option value="102" selected' in body and '<option value="en" selected' in body
    assert c.get("/admin/users/999/edit").status_code == 404
    assert post(c, "/admin/users/999/edit", {"role": "agent", "lang": "pl"}).status_code == 404


def test_password_reset(app, admin_client, db):
    c = admin_client
    create(c, "marek", role="supervisor")
    uid = user_id(db, "marek")
    before = dump(db)
    r = post(c, f"/admin/users/{uid}/password", {"password": "short", "password2": "short"})
    assert r.status_code == 400 and "Hasło jest za krótkie: co najmniej 10 znaków." in text(r)
    r = post(c, f"/admin/users/{uid}/password", {"password": "x" * 12, "password2": "y" * 12})
    assert r.status_code == 400 and "Hasła nie są zgodne." in text(r)
    r = post(c, f"/admin/users/{uid}/password", {"password": " padded secret ",
                                                 "password2": " padded secret "})
    assert r.status_code == 400 and "nie może zaczynać się ani kończyć spacją" in text(r)
    assert dump(db) == before and NEW_PW not in text(r) and "x" * 12 not in text(r)
    # marek is logged in somewhere; five wrong logins, then the reset: the new password works
    # at once, the old one not, and his old session ends
    marek = logged_in_as(app, "marek")
    assert marek.get("/supervisor/").status_code == 200
    other = app.test_client()
    for _ in range(users.FREE_FAILURES):
        login(other, "marek", "wrong password!")
    r = post(c, f"/admin/users/{uid}/password", {"password": "fresh password 1",
                                                 "password2": "fresh password 1"})
    assert r.status_code == 302
    assert "Zapisano nowe hasło użytkownika marek." in text(c.get("/admin/users/"))
    assert login(app.test_client(), "marek", NEW_PW).status_code == 401
    assert login(app.test_client(), "marek", "fresh password 1").status_code == 302
    r = marek.get("/supervisor/")
    assert r.status_code == 302 and "/login" in r.location
    # an admin who sets their own new password stays logged in
    me = user_id(db, "admin")
    r = post(c, f"/admin/users/{me}/password", {"password": "fresh password 2",
                                                "password2": "fresh password 2"})
    assert r.status_code == 302 and c.get("/admin/users/").status_code == 200
    assert login(app.test_client(), "admin", "fresh password 2").status_code == 302


def test_delete_user_ends_their_session(app, admin_client, db):
    c = admin_client
    create(c, "temp", role="admin")
    temp = logged_in_as(app, "temp")
    assert temp.get("/admin/users/").status_code == 200
    uid = user_id(db, "temp")
    assert "Usuń użytkownika temp" in text(c.get(f"/admin/users/{uid}/edit"))
    r = post(c, f"/admin/users/{uid}/delete")
    assert r.status_code == 302 and "Usunięto użytkownika temp." in flashes(c, r.location)
    assert users.find_user(db, "temp") is None
    r = temp.get("/admin/users/")
    assert r.status_code == 302 and "/login" in r.location
    assert post(c, f"/admin/users/{uid}/delete").status_code == 404


# -- refusals ------------------------------------------------------------------------------------

def test_create_refusals_write_nothing(admin_client, db):
    c = admin_client
    create(c, "anna", agent="101")
    before = dump(db)

    def refused(response, message):
        body = text(response)
        assert response.status_code == 400, body[:2000]
        assert "alert-error" in body and message in body, message
        assert "<script>alert" not in body and NEW_PW not in body
        assert form_value(body.split('id="user-form"')[1], "password") is None
        assert dump(db) == before

    r = create(c, "jan", password="short")
    refused(r, "Hasło jest za krótkie: co najmniej 10 znaków.")
    assert form_value(text(r), "username") == "jan"       # what was typed is kept
    refused(create(c, "jan", password2="something else"), "Hasła nie są zgodne.")
    refused(create(c, "jan", password=" " + NEW_PW), "nie może zaczynać się ani kończyć")
    refused(create(c, "ANNA"), "Użytkownik o nazwie ANNA już istnieje.")
    refused(create(c, "jan", agent="101"), "ten numer wewnętrzny agenta jest już powiązany")
    refused(create(c, "jan", agent="999"), "żaden agent nie ma tego numeru wewnętrznego")
    refused(create(c, "jan", role="root"), "unknown role &#39;root&#39;")
    refused(create(c, "jan", lang="de"), "unknown language &#39;de&#39;")
    refused(create(c, ""), "Nazwa użytkownika: 1–64 znaki")
    refused(create(c, "x" * 65), "Nazwa użytkownika: 1–64 znaki")
    for hostile in HOSTILE + ["a/b", "a b", "ann\u0000a"]:
        r = create(c, hostile)
        refused(r, "Nazwa użytkownika: 1–64 znaki")
        assert form_value(text(r), "username") in (
            hostile.replace("<", "&lt;").replace(">", "&gt;"), hostile.replace("'", "&#39;"),
            hostile.replace("\u0000", ""), hostile)
    english(c)   # remembered as the admin's language: a write of its own
    before = dump(db)
    refused(create(c, "jan", password="short"), "password too short: at least 10 characters")
    refused(create(c, "jan", agent="101"), users.AGENT_TAKEN)


def test_last_admin_and_yourself_are_kept(app, admin_client, db):
    c = admin_client
    me = user_id(db, "admin")
    before = dump(db)
    # the only admin can neither demote nor delete themselves
    r = post(c, f"/admin/users/{me}/edit", {"role": "supervisor", "lang": "pl"})
    assert r.status_code == 400
    assert "urządzenie musi mieć co najmniej jednego administratora" in text(r)
    body = text(c.get(f"/admin/users/{me}/edit"))
    assert "Nie możesz usunąć użytkownika, na którego jesteś zalogowany" in body
    assert f'action="/admin/users/{me}/delete"' not in body      # no button for yourself
    r = post(c, f"/admin/users/{me}/delete")
    assert r.status_code == 302
    assert "Nie usunięto: nie możesz usunąć użytkownika, na którego jesteś zalogowany" in \
        flashes(c, r.location)
    assert dump(db) == before
    # with a second admin: demoting one of them is fine, the other stays the last admin
    create(c, "ewa", role="admin")
    ewa = logged_in_as(app, "ewa")
    assert edit(c, db, "ewa", "supervisor").status_code == 302
    assert ewa.get("/admin/users/").status_code == 403
    assert post(ewa, f"/admin/users/{me}/delete").status_code == 403
    english(c)
    r = post(c, f"/admin/users/{me}/edit", {"role": "agent", "lang": "en"})
    assert r.status_code == 400 and "must keep at least one administrator" in text(r)
    # an admin may step down while another admin remains, and leaves the page
    assert edit(c, db, "ewa", "admin").status_code == 302
    r = post(c, f"/admin/users/{me}/edit", {"role": "supervisor", "lang": "pl"})
    assert r.status_code == 302 and r.location.endswith("/")
    assert users.find_user(db, "admin")["role"] == "supervisor"
    assert c.get("/admin/users/").status_code == 403
    # now ewa is the last admin: she cannot delete herself; nobody else may delete her
    r = post(ewa, f"/admin/users/{user_id(db, 'ewa')}/delete")
    assert "Nie usunięto: nie możesz usunąć użytkownika, na którego jesteś zalogowany" in \
        flashes(ewa, r.location)
    assert users.find_user(db, "ewa")["role"] == "admin"


def test_store_refusals(db):
    """The rules hold in the store itself, whoever calls it."""
    admin = users.create_user(db, "root1", ADMIN_PW, "admin")
    sup = users.create_user(db, "sup1", ADMIN_PW, "supervisor")
    with pytest.raises(StoreError, match="at least one administrator"):
        users.delete_user(db, admin, acting_user_id=sup)
    with pytest.raises(StoreError, match="at least one administrator"):
        users.update_user(db, admin, role="agent", lang="pl")
    with pytest.raises(StoreError, match="logged in as"):
        users.delete_user(db, sup, acting_user_id=sup)
    with pytest.raises(StoreError, match="no longer exists"):
        users.delete_user(db, 999, acting_user_id=admin)
    with pytest.raises(StoreError, match="no longer exists"):
        users.reset_password(db, 999, NEW_PW)
    with pytest.raises(StoreError, match="no longer exists"):
        users.update_user(db, 999, role="agent", lang="pl")
    with pytest.raises(StoreError, match="too short"):
        users.reset_password(db, sup, "short")
    agent = users.create_user(db, "ag1", ADMIN_PW, "agent", agent="101")
    with pytest.raises(StoreError, match="already linked"):
        users.update_user(db, sup, role="agent", lang="pl", agent="101")
    assert users.list_users(db)[0].keys() == {"id", "username", "role", "lang", "agent_id",
                                              "agent", "agent_name"}
    # a refused create leaves no half-made user behind
    with pytest.raises(StoreError, match="no agent has that extension"):
        users.create_user(db, "ag2", ADMIN_PW, "agent", agent="555")
    assert users.find_user(db, "ag2") is None
    users.delete_user(db, agent, acting_user_id=admin)
    users.update_user(db, sup, role="agent", lang="en", agent="101")
    assert {u["username"]: u["agent"] for u in users.list_users(db)}["sup1"] == "101"


# -- roles and CSRF ------------------------------------------------------------------------------

USER_POSTS = ["/admin/users/", "/admin/users/1/edit", "/admin/users/1/password",
              "/admin/users/1/delete"]


@pytest.mark.parametrize("role", ["supervisor", "agent"])
def test_non_admins_get_403(app, db, admin_client, role):
    c = client_for(app, db, role, "101" if role == "agent" else None)
    before = dump(db)
    for path in ("/admin/users/", "/admin/users/1/edit"):
        assert c.get(path).status_code == 403, path
    for path in USER_POSTS:
        r = post(c, path, {"username": "evil", "role": "admin", "lang": "pl",
                           "password": NEW_PW, "password2": NEW_PW})
        assert r.status_code == 403, path
    assert dump(db) == before
    assert 'href="/admin/users/"' not in text(c.get("/"))


def test_posts_without_csrf_are_refused(app, admin_client, db):
    before = dump(db)
    data = {"username": "evil", "role": "admin", "lang": "pl", "password": NEW_PW,
            "password2": NEW_PW}
    for path in USER_POSTS:
        r = admin_client.post(path, data=data)
        assert r.status_code == 400 and "CSRF" in text(r), path
        r = admin_client.post(path, data={**data, "csrf_token": "forged"})
        assert r.status_code == 400, path
    assert dump(db) == before
    assert login(app.test_client(), "admin", ADMIN_PW).status_code == 302
