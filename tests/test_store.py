"""The database: schema migrations, and saves that are all-or-nothing even when killed."""
from __future__ import annotations

import multiprocessing
import os
import random
import signal
import sqlite3
import time

import pytest

from appliance.store import config, db as store, live, users


def test_new_database_is_migrated_and_in_wal_mode(tmp_path):
    db = store.open_db(tmp_path / "jns.db")
    assert store.schema_version(db) == store.SCHEMA_VERSION
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert {"users", "agents", "queues", "queue_members", "ivr_menus", "ivr_options",
            "inbound_routes", "trunks", "settings"} <= set(db.table_names())


def test_newer_schema_is_refused_with_advice(tmp_path):
    db = store.open_db(tmp_path / "jns.db")
    db.execute(f"PRAGMA user_version={store.SCHEMA_VERSION + 1}")
    with pytest.raises(store.StoreError, match="newer than this firmware"):
        store.open_db(tmp_path / "jns.db")


def test_bad_values_are_rejected_with_the_reason(tmp_path):
    db = store.open_db(tmp_path / "jns.db")
    with pytest.raises(store.StoreError, match="queue name"):
        config.add_queue(db, "Bad Name!", "x")
    with pytest.raises(store.StoreError, match="no agent with extension"):
        config.add_queue(db, "sales", "Sales", members=["999"])
    # the failed add_queue left nothing behind
    assert db.execute("SELECT count(*) FROM queues").fetchone()[0] == 0


def test_secrets_are_generated_once_and_differ_per_box(tmp_path):
    a = store.open_db(tmp_path / "a.db")
    b = store.open_db(tmp_path / "b.db")
    first = store.ensure_secret(a, "ami_secret")
    assert first == store.ensure_secret(a, "ami_secret")
    assert first != store.ensure_secret(b, "ami_secret") and len(first) >= 20


def test_no_default_users_and_passwords_are_hashed(tmp_path):
    db = store.open_db(tmp_path / "jns.db")
    assert users.needs_setup(db)
    users.create_user(db, "admin", "correct horse battery", "admin")
    stored = db.execute("SELECT password_hash FROM users").fetchone()[0]
    assert "correct horse" not in stored and stored.startswith(("scrypt:", "pbkdf2:"))
    assert users.authenticate(db, "admin", "correct horse battery", "127.0.0.1")["role"] == "admin"
    assert users.authenticate(db, "admin", "wrong", "127.0.0.1") is None


def _writer(path: str, start: int) -> None:
    """Saves forever; every save changes three tables and must land whole or not at all."""
    db = store.open_db(path)
    i = start
    while True:
        i += 1
        with store.transaction(db):
            db.execute("UPDATE queues SET title = ?", [f"v{i}"])
            db.execute("UPDATE ivr_menus SET prompt = ?", [f"v{i}"])
            db.execute("INSERT INTO settings(key, value) VALUES ('generation', ?) "
                       "ON CONFLICT(key) DO UPDATE SET value = excluded.value", [f"v{i}"])
            db.execute("DELETE FROM inbound_routes")
            for n in range(20):
                db.execute("INSERT INTO inbound_routes(did, action, target) VALUES (?, 'ivr', ?)",
                           [str(1000 + n), f"v{i}"])


def test_writer_killed_at_random_points_leaves_old_or_new_state(tmp_path):
    path = str(tmp_path / "jns.db")
    db = store.open_db(path)
    config.seed_demo(db)
    config.add_queue(db, "sales", "Sales", members=["102"])
    ctx = multiprocessing.get_context("fork")
    rng = random.Random(1234)
    generations = set()
    for round_ in range(25):
        proc = ctx.Process(target=_writer, args=(path, round_ * 1_000_000))
        proc.start()
        time.sleep(rng.uniform(0.02, 0.25))
        os.kill(proc.pid, signal.SIGKILL)
        proc.join()
        check = sqlite3.connect(path)
        assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        titles = {r[0] for r in check.execute("SELECT title FROM queues")}
        prompts = {r[0] for r in check.execute("SELECT prompt FROM ivr_menus")}
        routes = check.execute("SELECT count(*), count(DISTINCT target), min(target) FROM inbound_routes").fetchone()
        gen = check.execute("SELECT value FROM settings WHERE key = 'generation'").fetchone()
        check.close()
        if gen is None:       # killed before the first save committed: the seed state
            assert titles == {"Support", "Sales"} and prompts == {"hello-world"}
            continue
        assert titles == prompts == {gen[0]}, (titles, prompts, gen)
        assert routes == (20, 1, gen[0]), routes
        generations.add(gen[0])
    assert len(generations) > 10, "the writer hardly ever committed; the test proves little"


def test_destinations_must_exist_and_deletes_that_would_strand_callers_are_refused(tmp_path):
    db = store.open_db(tmp_path / "jns.db")
    config.seed_demo(db)
    with pytest.raises(store.StoreError, match="no queue named 'nope'"):
        config.save_route(db, "200", "queue", "nope")
    with pytest.raises(store.StoreError, match="menu 'x', key 1: there is no IVR menu named 'y'"):
        config.save_menu(db, "x", "hello-world", {"1": ("menu", "y")}, fallback=("hangup", ""))
    assert db.execute("SELECT count(*) FROM ivr_menus WHERE name = 'x'").fetchone()[0] == 0
    with pytest.raises(store.StoreError, match="still used"):
        config.delete_queue(db, "support")
    with pytest.raises(store.StoreError, match="language"):
        config.save_route(db, "200", "language", "pl")    # only inside a menu
    with pytest.raises(store.StoreError, match="not a phone number"):
        config.save_menu(db, "x", "hello-world", {"1": ("external", "12; DROP")},
                         fallback=("hangup", ""))
    config.save_schedule(db, "office", [(0, "08:00", "16:00")])
    config.save_route(db, "200", "queue", "support", schedule="office", closed=("hangup", ""))
    with pytest.raises(store.StoreError, match="used by the routes of 200"):
        config.delete_schedule(db, "office")


def test_caller_rules_most_specific_wins_and_blacklist_matches_prefixes(tmp_path):
    db = store.open_db(tmp_path / "jns.db")
    config.seed_demo(db)
    config.save_caller_rule(db, "48", match="prefix", lang="pl")
    config.save_caller_rule(db, "4822", match="prefix", lang="en")
    config.save_caller_rule(db, "48221234567", vip=True, pin="2468")
    assert config.caller_rule_for(db, "48221234567", "100")["vip"] == 1
    assert config.caller_rule_for(db, "48229999999", "100")["lang"] == "en"
    assert config.caller_rule_for(db, "48601234567", "100")["lang"] == "pl"
    assert config.caller_rule_for(db, "15551234567", "100") is None
    pin_hash = config.caller_rule_for(db, "48221234567", "100")["pin_hash"]
    # stored hashed, never as the PIN itself (a hex digest may contain "2468" by chance)
    assert pin_hash.startswith("scrypt$") and "2468" not in pin_hash.split("$")
    assert config.check_pin(pin_hash, "2468")
    assert not config.check_pin(pin_hash, "2469")
    config.blacklist_add(db, "48700", match="prefix")
    config.blacklist_add(db, "48123456789")
    assert config.blacklist_match(db, "48700111222")["pattern"] == "48700"
    assert config.blacklist_match(db, "48123456789")["match"] == "exact"
    assert config.blacklist_match(db, "4812345678") is None
    with pytest.raises(store.StoreError, match="already on the blacklist"):
        config.blacklist_add(db, "48700", match="prefix")


def test_opening_hours_and_holidays(tmp_path):
    import datetime
    db = store.open_db(tmp_path / "jns.db")
    sid = config.save_schedule(db, "office", [(d, "08:00", "16:00") for d in range(5)],
                               holidays=[("12-25", "Christmas"), ("2026-11-11", "Independence")])
    at = datetime.datetime
    assert config.is_open(db, sid, at(2026, 11, 25, 8, 0))          # Wednesday 08:00
    assert not config.is_open(db, sid, at(2026, 11, 25, 16, 0))     # closes at 16:00
    assert not config.is_open(db, sid, at(2026, 11, 28, 10, 0))     # Saturday
    assert not config.is_open(db, sid, at(2026, 11, 11, 10, 0))     # one-off holiday
    assert not config.is_open(db, sid, at(2031, 12, 25, 10, 0))     # every year
    with pytest.raises(store.StoreError, match="closing must come after opening"):
        config.save_schedule(db, "office", [(0, "16:00", "08:00")])
    assert config.is_open(db, sid, at(2026, 11, 25, 9, 0)), "a refused save changed nothing"


def test_inbound_settings_are_checked_before_any_is_saved(tmp_path):
    db = store.open_db(tmp_path / "jns.db")
    config.seed_demo(db)
    with pytest.raises(store.StoreError, match="recording mode"):
        config.save_settings(db, rec_mode="sometimes", operator_key="9")
    assert config.settings(db)["operator_key"] == "0"
    with pytest.raises(store.StoreError, match="operator"):
        config.save_settings(db, operator_action="operator")
    with pytest.raises(store.StoreError, match="not a phone number"):
        config.save_settings(db, rec_mode="list", rec_numbers="4860\n<script>")
    config.save_settings(db, rec_mode="list", rec_numbers="4860\n48221234567")
    assert config.record_numbers_match(config.settings(db), "48601112223")


# -- the live call center (migration 4, store.live) ------------------------------------

def test_agents_from_before_desk_logins_stay_always_logged_in(tmp_path):
    """Migration 4 on a box with agents: they answered without a login before, so they
    stay static; agents added afterwards log in at the desk unless told otherwise."""
    path = tmp_path / "jns.db"
    conn = sqlite3.connect(path)
    for version, script in enumerate(store.MIGRATIONS[:3]):
        for statement in store._split_sql(script):
            conn.execute(statement)
        conn.execute(f"PRAGMA user_version={version + 1}")
    conn.execute("INSERT INTO agents (extension, name, secret) VALUES ('201', 'Ola', 's')")
    conn.commit()
    conn.close()
    db = store.open_db(path)
    config.add_agent(db, "202", "Jan")
    config.add_agent(db, "203", "Ewa", login=False)
    assert dict(db.execute("SELECT extension, login FROM agents").fetchall()) == {
        "201": 0, "202": 1, "203": 0}
    config.set_agent_login(db, "201", True)
    config.set_agent_login(db, "202", False)
    assert dict(db.execute("SELECT extension, login FROM agents").fetchall()) == {
        "201": 1, "202": 0, "203": 0}
    with pytest.raises(store.StoreError, match="no agent with extension '999'"):
        config.set_agent_login(db, "999", True)
    fresh = store.open_db(tmp_path / "demo.db")
    config.seed_demo(fresh)
    assert dict(fresh.execute("SELECT extension, login FROM agents").fetchall()) == {
        "101": 0, "102": 0}


def test_pause_reasons_are_seeded_checked_and_ordered(tmp_path):
    db = store.open_db(tmp_path / "jns.db")
    assert [(r["code"], r["title"]) for r in live.pause_reasons(db)] == [
        ("break", "Przerwa"), ("lunch", "Lunch"), ("training", "Szkolenie"),
        ("backoffice", "Praca biurowa")]
    for code, title, message in (("Coffee!", "Kawa", "lowercase letters"),
                                 ("x" * 21, "Kawa", "1-20"), ("coffee", "", "1-40"),
                                 ("coffee", "k" * 41, "1-40")):
        with pytest.raises(store.StoreError, match=message):
            live.save_pause_reason(db, code, title)
    live.save_pause_reason(db, "coffee", "Kawa", position=0)
    live.save_pause_reason(db, "lunch", "Obiad", position=2, active=False)
    assert [r["code"] for r in live.pause_reasons(db)] == ["coffee", "break", "training",
                                                           "backoffice"]
    assert {r["code"]: r["title"] for r in live.pause_reasons(db, active_only=False)}[
        "lunch"] == "Obiad"
    live.delete_pause_reason(db, "coffee")
    with pytest.raises(store.StoreError, match="no pause reason with code 'coffee'"):
        live.delete_pause_reason(db, "coffee")


def test_login_history_and_audit(tmp_path):
    db = store.open_db(tmp_path / "jns.db")
    config.seed_demo(db)
    live.session_started(db, "101", "support", 100.0)
    live.session_started(db, "101", "support", 105.0)   # repeated event: one session
    live.session_ended(db, "101", "support", 160.0)
    live.session_ended(db, "102", "support", 170.0)     # login unseen: still a last logout
    live.session_started(db, "101", "support", 200.0)
    assert live.last_sessions(db) == {
        "101": {"last_login": 200.0, "last_logout": 160.0},
        "102": {"last_login": 170.0, "last_logout": 170.0}}
    assert db.execute("SELECT count(*) FROM agent_sessions WHERE agent = '101'").fetchone()[0] == 2
    assert live.assigned_queues(db, "101") == ["support"]
    assert live.assigned_queues(db, "999") == []
    live.audit(db, "sup1", "spy", call="1.1", channel="PJSIP/101-1", target="listen")
    live.audit(db, "sup1", "spy", call="1.2", result="your phone is not registered")
    log = live.audit_log(db)
    assert [(r["call"], r["result"]) for r in log] == [
        ("1.2", "your phone is not registered"), ("1.1", "ok")]
    assert log[1]["channel"] == "PJSIP/101-1" and log[1]["target"] == "listen"


def test_users_of_every_role_link_their_own_phone_one_user_per_extension(tmp_path):
    db = store.open_db(tmp_path / "jns.db")
    config.seed_demo(db)
    sup = users.create_user(db, "sup1", "a-long-password", "supervisor", agent="102")
    users.create_user(db, "root1", "a-long-password", "admin", agent="101")
    assert live.phone_of(db, "sup1") == "102" and live.phone_of(db, "root1") == "101"
    assert live.agent_user(db) == {"101": "root1", "102": "sup1"}
    with pytest.raises(store.StoreError, match="already linked"):
        users.create_user(db, "ag1", "a-long-password", "agent", agent="102")
    assert users.find_user(db, "ag1") is None
    users.update_user(db, sup, role="supervisor", lang="pl", agent=None)
    assert live.phone_of(db, "sup1") is None
    users.create_user(db, "ag1", "a-long-password", "agent", agent="102")
    assert live.agent_user(db) == {"101": "root1", "102": "ag1"}
