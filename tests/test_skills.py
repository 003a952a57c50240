"""Skills-based routing (issue 12, item 3 — BEY-3): the rule, the penalties and the files
without Asterisk, then real SIPp callers and agents in a real Asterisk 22: who is rung for a
Polish and an English caller as the wait grows, the reports' view of it, and overflow by
callers per agent and by estimated wait."""
from __future__ import annotations

import pytest

from appliance.devbox import free_port
from appliance.store import config
from appliance.store import db as store
from appliance.store.db import StoreError
from appliance.telephony import render, skills
from appliance.telephony.actions import Actions
from tests.conftest import require_sipp
from tests.test_inbound_calls import applied, entered, userfield
from tests.test_skeleton_call import queue_log, wait_for
from tests.test_webui_browser import page  # noqa: F401 (fixture: headless Chromium)

RULE = "0: language>=50\n8: language\n16: *"
POLISH, ENGLISH = "48600100200", "447700900123"


# -- the rule and the store, without Asterisk -------------------------------------------------

@pytest.fixture
def sdb(tmp_path):
    db = store.open_db(tmp_path / "jns.db")
    for ext in ("101", "102", "103"):
        config.add_agent(db, ext, f"Agent {ext}", login=False)
    skills.save_skill(db, "polish", "Polish", "pl")
    skills.save_skill(db, "english", "English", "en")
    skills.save_skill(db, "internet", "Internet")
    skills.set_levels(db, {"101": {"polish": 80}, "102": {"polish": 30, "internet": 40},
                           "103": {"english": 90}})
    config.save_queue(db, "support", "Support", members=["101", "102", "103"])
    skills.set_queue_routing(db, "support", rule=RULE)
    return db


def test_rule_steps_are_parsed_with_levels_and_anyone():
    steps = skills.parse_rule("0: language>=50, internet>=30\n60: language\n\n# later\n120: *",
                              {"internet"})
    assert [(s.after_s, s.terms) for s in steps] == [
        (0, (("language", 50), ("internet", 30))), (60, (("language", 1),)), (120, ())]


def test_bad_rule_lines_are_named_with_what_to_fix():
    with pytest.raises(skills.RuleError) as err:
        skills.parse_rule("0: language>=50, sales\n30: internet>=130\n20: *\nsoon: *", {"internet"})
    lines = [(n, msg.format(**kw)) for n, msg, kw in err.value.problems]
    assert lines == [(1, "there is no skill sales"), (2, "the level of internet must be 1-100"),
                     (3, "each step must start later than the one before"),
                     (4, 'write seconds, a colon, then skills, e.g. "60: language>=50"')]
    with pytest.raises(StoreError, match="line 1: the first step must start at 0"):
        skills.parse_rule("10: *")


def test_a_queue_keeps_its_rule_only_when_it_is_valid(sdb):
    with pytest.raises(StoreError, match="line 2: there is no skill billing"):
        skills.set_queue_routing(sdb, "support", rule="0: internet\n30: billing")
    assert skills.routing_snapshot(sdb)["queues"][0]["skill_rule"] == RULE   # nothing lost
    with pytest.raises(StoreError, match="estimated wait"):
        skills.set_queue_routing(sdb, "support", rule=RULE, overflow_ewt_s=-5)


def test_penalties_follow_the_first_step_each_agent_satisfies(sdb):
    snap = config.snapshot(sdb)
    queues = {aq.name: aq for aq in skills.asterisk_queues(snap["queues"][0], snap)}
    assert sorted(queues) == ["support", "support.en", "support.pl"]
    # Polish callers: 101 (pl 80) first, 102 (pl 30) from 8 s, 103 (no Polish) from 16 s
    assert queues["support.pl"].penalties == {"101": 1, "102": 2, "103": 3}
    assert queues["support.en"].penalties == {"103": 1, "101": 3, "102": 3}
    # without a language the language terms are dropped: everyone from the start
    assert queues["support"].penalties == {"101": 1, "102": 1, "103": 1}


def test_an_agent_who_satisfies_no_step_is_not_in_that_queue(sdb):
    skills.set_queue_routing(sdb, "support", rule="0: language>=50, internet>=30\n60: internet")
    snap = config.snapshot(sdb)
    queues = {aq.name: aq.penalties for aq in skills.asterisk_queues(snap["queues"][0], snap)}
    assert queues == {"support": {"102": 1}, "support.en": {"102": 2}, "support.pl": {"102": 2}}


def test_skills_are_checked_and_a_used_skill_is_not_deleted(sdb):
    with pytest.raises(StoreError, match="already stands for language 'pl'"):
        skills.save_skill(sdb, "polski", "Polski", "pl")
    with pytest.raises(StoreError, match="lowercase"):
        skills.save_skill(sdb, "Billing Team")
    with pytest.raises(StoreError, match="language"):
        skills.save_skill(sdb, "language")
    with pytest.raises(StoreError, match="1-100"):
        skills.set_levels(sdb, {"101": {"internet": 0}})
    skills.set_queue_routing(sdb, "support", rule="0: internet\n10: *")
    with pytest.raises(StoreError, match="rule of queue 'support' asks for it"):
        skills.delete_skill(sdb, "internet")
    with pytest.raises(StoreError, match="rule of queue 'support' asks for it"):
        skills.save_skill(sdb, "web", "Internet", old_name="internet")
    skills.delete_skill(sdb, "polish")      # the rule's "language" is not this name
    assert "101" not in config.agent_skill_levels(sdb)      # 101 had only Polish
    skills.set_levels(sdb, {"102": {"internet": None}})   # an emptied level: taken away
    assert "102" not in config.agent_skill_levels(sdb)


def test_rendered_queues_rules_and_dialplan(sdb):
    skills.set_queue_routing(sdb, "support", rule=RULE, overflow_per_agent=1.5,
                             overflow_ewt_s=120)
    files = render.render_files(config.snapshot(sdb), render.Layout(ami_secret="x"))
    conf = files["queues.conf"]
    pl = conf[conf.index("[support.pl]"):].split("\n\n")[0]
    assert "defaultrule = jns-support.pl" in pl
    assert "member => PJSIP/102,2,Agent 102,PJSIP/102" in pl
    assert "member => PJSIP/103,3,Agent 103,PJSIP/103" in pl
    rules = files["queuerules.conf"]
    assert ("[jns-support.pl]\npenaltychange => 0,1\npenaltychange => 8,2\n"
            "penaltychange => 16,3\n") in rules
    dial = files["extensions.conf"]
    block = dial[dial.index("exten => support,1", dial.index("[jns-queue]\n")):]
    block = block[:block.index("\nexten => ", 1)]
    assert 'ExecIf($["${JNS_LANG}" = "pl"]?Set(__JNS_MEMBER_QUEUE=support.pl))' in block
    assert "Queue(${JNS_MEMBER_QUEUE},t,,,300,,jns-agent-leg,jns-${JNS_MEMBER_QUEUE})" in block
    assert ("${QUEUE_WAITING_COUNT(${JNS_MEMBER_QUEUE})} + 1 > "
            "${QUEUE_MEMBER(${JNS_MEMBER_QUEUE},logged)} * 1.5") in block
    assert "* 0${QUEUETALKTIME} > ${QUEUE_MEMBER(${JNS_MEMBER_QUEUE},logged)} * 120" in block


def test_a_queue_without_a_rule_keeps_its_manual_penalties(sdb):
    config.save_queue(sdb, "sales", "Sales", members={"101": 0, "102": 5})
    files = render.render_files(config.snapshot(sdb), render.Layout(ami_secret="x"))
    assert "[sales.pl]" not in files["queues.conf"]
    assert "member => PJSIP/102,5,Agent 102,PJSIP/102" in files["queues.conf"]
    assert "jns-sales" not in files["queuerules.conf"]


def test_the_wallboard_sees_a_variant_as_its_queue():
    from tests.test_live_state import T0, base_state, member
    st = base_state()
    for queue in ("support", "support.pl"):    # a desk login: the queue and its variant
        st.apply(member("QueueMemberAdded", "103", membership="dynamic", queue=queue), T0 + 1)
    st.apply({"Event": "QueueCallerJoin", "Queue": "support.pl", "Uniqueid": "1.1",
              "Linkedid": "1.1", "Channel": "PJSIP/trunk-1", "CallerIDNum": POLISH,
              "Position": "1", "Count": "1"}, T0 + 2)
    # 103 lost the Polish skill: it leaves the variant, not the queue
    st.apply(member("QueueMemberRemoved", "103", membership="dynamic", queue="support.pl"), T0 + 3)
    snap = st.snapshot(T0 + 4)
    assert "support.pl" not in str(snap)
    agent = snap["agents"]["103"]
    assert agent["queues"] == ["support"]
    assert snap["queues"]["support"]["waiting"] == 1


# -- real calls -------------------------------------------------------------------------------

@pytest.fixture
def skillbox(devbox, sipp, agent_port):
    """Agents 101 (Polish 80), 102 (Polish 30), 103 (English 90), each a SIPp phone on its
    own port, in queue "support" (DID 300) with RULE; callers from 4860... speak Polish,
    from 44... English (caller rules, as the route service decides)."""
    require_sipp()
    db = devbox.db
    ports = {"101": agent_port, "102": free_port(), "103": free_port()}
    config.set_agent_contact(db, "102", f"sip:102@127.0.0.1:{ports['102']}")
    config.add_agent(db, "103", "Agent 103", contact=f"sip:103@127.0.0.1:{ports['103']}",
                     dtmf_mode="auto", login=False)
    skills.save_skill(db, "polish", "Polish", "pl")
    skills.save_skill(db, "english", "English", "en")
    skills.set_levels(db, {"101": {"polish": 80}, "102": {"polish": 30}, "103": {"english": 90}})
    config.save_queue(db, "support", "Support", members=["101", "102", "103"],
                      strategy="rrmemory", member_timeout=5, announce_position=0,
                      announce_holdtime=0)
    skills.set_queue_routing(db, "support", rule=RULE)
    config.save_route(db, "300", "queue", "support")
    config.save_caller_rule(db, "4860", match="prefix", lang="pl")
    config.save_caller_rule(db, "44", match="prefix", lang="en")
    applied(devbox)
    devbox.ports = ports
    yield devbox
    assert_asterisk_content(devbox)


def assert_asterisk_content(box) -> None:
    """Our files and dialplan made Asterisk log no warning or error."""
    bad = [line for line in box.log_text().splitlines() if " WARNING[" in line or " ERROR[" in line]
    assert not bad, "Asterisk logged problems:\n" + "\n".join(bad[-20:])


def connects(box) -> list[tuple[str, str, int]]:
    """(caller number, agent, seconds waited) of every answered call, in order."""
    callers = {e[1]: e[6] for e in queue_log(box) if e[4] == "ENTERQUEUE"}
    return [(callers.get(e[1], ""), e[3], int(e[5])) for e in queue_log(box) if e[4] == "CONNECT"]


@pytest.mark.asterisk
def test_callers_reach_agents_by_language_and_the_rule_relaxes_as_they_wait(skillbox, sipp):
    box, port = skillbox, skillbox.layout.sip_port
    reports = box.start_reports(interval=3600)
    try:
        phones = {"101": sipp.agent(box.ports["101"], talk_ms=1000, calls=1),
                  "102": sipp.agent(box.ports["102"], talk_ms=30000, calls=1),
                  "103": sipp.agent(box.ports["103"], talk_ms=1000, calls=2)}
        # everyone free: the English caller gets the English speaker, the Polish one 101
        for caller in (ENGLISH, POLISH):
            done = sipp.call_keys(port, "300", [(500, "5")], caller=caller)
            assert done.returncode == 0, done.stdout[-2000:]
        assert [(c, a) for c, a, _ in connects(box)] == [(ENGLISH, "Agent 103"),
                                                       (POLISH, "Agent 101")]
        assert phones["101"].wait(timeout=30) == 0
        # 101 is away: a Polish caller waits for the second step (102, Polish 30) ...
        resp = box.ami.action("QueuePause", Interface="PJSIP/101", Paused="true", Reason="break")
        assert resp.get("Response") == "Success", resp
        first = sipp.call_keys(port, "300", [(500, "5")], caller="48600100201", wait=False)
        assert wait_for(lambda: len(connects(box)) == 3, timeout=30), queue_log(box)
        # ... and while 102 talks, the next one reaches 103 only at the third step ("*")
        second = sipp.call_keys(port, "300", [(500, "5")], caller="48600100202", wait=False)
        assert wait_for(lambda: len(connects(box)) == 4, timeout=40), queue_log(box)
        answered = connects(box)[2:]
        assert [(c, a) for c, a, _ in answered] == [("48600100201", "Agent 102"),
                                                     ("48600100202", "Agent 103")]
        assert answered[0][2] >= 8 and answered[1][2] >= 16, answered
        assert second.wait(timeout=30) == 0 and first.wait(timeout=40) == 0
        # every Polish caller joined the Polish variant, the English one the English
        joined = {e[6]: e[2] for e in queue_log(box) if e[4] == "ENTERQUEUE"}
        assert joined == {ENGLISH: "support.en", POLISH: "support.pl",
                          "48600100201": "support.pl", "48600100202": "support.pl"}
        # the reports see one queue "support" with the agents who answered, and 101's
        # pause once (not once per Asterisk queue)
        reports.run_once()
        rows = box.db.execute("SELECT caller, queue, agent, status FROM report_calls "
                              "ORDER BY entered, caller").fetchall()
        assert sorted(tuple(r) for r in rows) == sorted([
            (ENGLISH, "support", "103", "answered"), (POLISH, "support", "101", "answered"),
            ("48600100201", "support", "102", "answered"),
            ("48600100202", "support", "103", "answered")])
        pauses = box.db.execute("SELECT count(*) FROM report_agent_time WHERE agent = '101' "
                                "AND kind = 'pause'").fetchone()[0]
        assert pauses == 1
    finally:
        reports.stop()


@pytest.mark.asterisk
def test_desk_login_joins_the_variants_with_the_rules_penalties(skillbox):
    box = skillbox
    config.set_agent_login(box.db, "103", True)
    applied(box)
    actions = Actions(box.ami, str(box.db_path))
    assert actions.login("103", None, user="agent103")["queues"] == ["support"]
    _, events = box.ami.action_list("QueueStatus", "QueueStatusComplete", Member="PJSIP/103")
    penalties = {e["Queue"]: e["Penalty"] for e in events if e.get("Event") == "QueueMember"}
    assert penalties == {"support": "1", "support.en": "1", "support.pl": "3"}
    # a config apply keeps them (they are assigned, only under the queue's variants)
    assert actions.drop_unassigned() == []
    # new levels reach the logged-in agent at once (jns-calld runs this on every change)
    skills.set_levels(box.db, {"103": {"english": 90, "polish": 60}})
    assert actions.drop_unassigned() == []
    _, events = box.ami.action_list("QueueStatus", "QueueStatusComplete", Member="PJSIP/103")
    penalties = {e["Queue"]: e["Penalty"] for e in events if e.get("Event") == "QueueMember"}
    assert penalties == {"support": "1", "support.en": "1", "support.pl": "1"}
    # without a "*" step: losing Polish leaves the Polish queue, regaining it joins again
    skills.set_queue_routing(box.db, "support", rule="0: language>=50")
    skills.set_levels(box.db, {"103": {"polish": None}})
    assert actions.drop_unassigned() == [("103", "support.pl")]
    skills.set_levels(box.db, {"103": {"polish": 70}})
    assert actions.drop_unassigned() == []
    _, events = box.ami.action_list("QueueStatus", "QueueStatusComplete", Member="PJSIP/103")
    penalties = {e["Queue"]: e["Penalty"] for e in events if e.get("Event") == "QueueMember"}
    assert penalties == {"support": "1", "support.en": "1", "support.pl": "1"}
    applied(box)
    assert actions.logout("103", user="agent103")["queues"] == ["support"]
    _, events = box.ami.action_list("QueueStatus", "QueueStatusComplete", Member="PJSIP/103")
    assert not [e for e in events if e.get("Event") == "QueueMember"]
    # the reports: one logged-in session in queue "support", not one per Asterisk queue
    # (4 removals: support.pl when Polish was lost, then the three at the logout)
    assert wait_for(lambda: len([e for e in queue_log(box) if e[4] == "REMOVEMEMBER"]) == 4)
    reports = box.start_reports(interval=3600)
    try:
        reports.run_once()
    finally:
        reports.stop()
    sessions = box.db.execute("SELECT queues, end IS NOT NULL FROM report_agent_time "
                              "WHERE agent = '103' AND kind = 'session'").fetchall()
    assert [tuple(r) for r in sessions] == [("support", 1)]


# -- overflow before joining -----------------------------------------------------------------

@pytest.fixture
def overflowbox(devbox, sipp, agent_port):
    """Queue "busy" (agent 101, DID 300) overflowing to queue "spare" (agent 102)."""
    require_sipp()
    db = devbox.db
    spare_port = free_port()
    config.set_agent_contact(db, "102", f"sip:102@127.0.0.1:{spare_port}")
    config.save_queue(db, "spare", "Spare", members={"102": 5}, announce_position=0,
                      announce_holdtime=0)
    config.save_queue(db, "busy", "Busy", members=["101"], max_wait=20, announce_position=0,
                      announce_holdtime=0, overflow=("queue", "spare"))
    config.save_route(db, "300", "queue", "busy")
    devbox.spare_port = spare_port
    yield devbox
    assert_asterisk_content(devbox)


@pytest.mark.asterisk
def test_too_many_callers_per_agent_overflow_before_joining(overflowbox, sipp):
    box = overflowbox
    # a skill-routed queue overflowing into one without a rule, whose agent has penalty 5
    skills.set_queue_routing(box.db, "busy", rule="0: *", overflow_per_agent=1)
    applied(box)
    box.ami.action("QueuePause", Queue="busy", Interface="PJSIP/101", Paused="true")
    spare = sipp.agent(box.spare_port, talk_ms=1000, calls=1)
    first = sipp.call_keys(box.layout.sip_port, "300", [(500, "5")], caller="48600100001",
                           wait=False)
    assert wait_for(lambda: entered(box, "busy"), timeout=15)
    # one caller waits for the one (paused) agent: a second would make two per agent
    second = sipp.call_keys(box.layout.sip_port, "300", [(500, "5")], caller="48600100002")
    assert second.returncode == 0, second.stdout[-2000:]
    assert [e[6] for e in entered(box, "busy")] == ["48600100001"]
    spare_entry = wait_for(lambda: entered(box, "spare"))
    assert [e[6] for e in spare_entry] == ["48600100002"]
    assert "overflow=agents" in userfield(box, spare_entry[0][1])
    full = [e for e in queue_log(box) if e[2] == "busy" and e[4] == "FULL"]
    assert [e[5] for e in full] == ["48600100002"]
    # the skill rule's penalty limit did not follow the caller into "spare"
    assert spare.wait(timeout=30) == 0
    assert [e[2] for e in queue_log(box) if e[4] == "CONNECT"] == ["spare"]
    # the reports count it as a caller the queue turned away as full
    reports = box.start_reports(interval=3600)
    try:
        reports.run_once()
    finally:
        reports.stop()
    rows = box.db.execute("SELECT queue, status, reason FROM report_calls "
                          "WHERE caller = '48600100002' ORDER BY part").fetchall()
    assert [tuple(r) for r in rows][0] == ("busy", "unanswered", "full")
    first.kill()


@pytest.mark.asterisk
def test_a_long_estimated_wait_overflows_only_while_no_agent_is_free(overflowbox, sipp, agent_port):
    box = overflowbox
    skills.set_queue_routing(box.db, "busy", overflow_ewt_s=2)
    applied(box)
    agent = sipp.agent(agent_port, talk_ms=12000, calls=2)
    spare = sipp.agent(box.spare_port, talk_ms=1000, calls=1)
    port = box.layout.sip_port
    # no talk time measured yet: the first caller joins and talks 12 s with 101
    done = sipp.call_keys(port, "300", [(500, "5")], caller="48600100001")
    assert done.returncode == 0, done.stdout[-2000:]
    # 101 is free again: the next caller joins although calls take long here
    talking = sipp.call_keys(port, "300", [(500, "5")], caller="48600100002", wait=False)
    assert wait_for(lambda: len([e for e in queue_log(box) if e[4] == "CONNECT"]) == 2,
                    timeout=20), queue_log(box)
    # 101 busy, a call takes ~12 s: the estimated wait is over 2 s, so to the spare queue
    late = sipp.call_keys(port, "300", [(500, "5")], caller="48600100003")
    assert late.returncode == 0, late.stdout[-2000:]
    assert [e[6] for e in entered(box, "busy")] == ["48600100001", "48600100002"]
    spare_entry = wait_for(lambda: entered(box, "spare"))
    assert [e[6] for e in spare_entry] == ["48600100003"]
    assert "overflow=wait" in userfield(box, spare_entry[0][1])
    assert talking.wait(timeout=30) == 0
    agent.wait(timeout=30)
    spare.wait(timeout=30)


# -- the panel ---------------------------------------------------------------------------------

@pytest.fixture
def app(tmp_path):
    from appliance.webui import create_app
    app = create_app(str(tmp_path / "box.db"))
    app.config["TESTING"] = True
    config.seed_demo(app.extensions["jns_db"].get())
    return app


def queue_form(db, **changes) -> dict:
    """The support queue's form as the panel would post it, with `changes`."""
    from appliance.store import webqueries
    from appliance.webui import queues
    return {**queues._values(webqueries.queue(db, "support")), **changes}


def test_skill_pages_are_for_admins_and_every_form_needs_its_token(app, db, admin, sup):
    from tests.conftest import client_for, csrf_token
    agent = client_for(app, db, "agent")
    for client in (sup, agent):
        assert client.get("/admin/skills/").status_code == 403
        token = csrf_token(client)
        for path in ("/", "/levels"):
            r = client.post("/admin/skills" + path, data={"csrf_token": token, "name": "sales"})
            assert r.status_code == 403
    for path in ("/", "/levels"):
        assert admin.post("/admin/skills" + path, data={"name": "sales"}).status_code == 400
    assert skills.skills(db) == []
    from tests.conftest import page_text
    assert "Umiejętności" in page_text(admin.get("/admin/"))     # in the admin menu, Polish


def test_admin_adds_skills_and_sets_levels_and_a_bad_level_loses_nothing(app, db, admin):
    from tests.conftest import csrf_token, page_text
    token = csrf_token(admin, "/admin/skills/")
    for name, lang in (("polish", "pl"), ("internet", "")):
        r = admin.post("/admin/skills/", data={"csrf_token": token, "name": name,
                                               "title": name.title(), "language": lang})
        assert r.status_code == 302
    r = admin.post("/admin/skills/", data={"csrf_token": token, "name": "polski",
                                           "language": "pl"})
    assert r.status_code == 400 and "already stands for language 'pl'" in page_text(r)
    bad = {"csrf_token": token, "level-101-polish": "80", "level-102-polish": "30",
           "level-102-internet": "150"}
    r = admin.post("/admin/skills/levels", data=bad)
    page = page_text(r)
    assert r.status_code == 400
    assert "Agent 102, umiejętność internet: poziom to liczba całkowita 1-100" in page
    assert 'name="level-101-polish" id="level-101-polish" value="80"' in page   # kept as typed
    assert config.agent_skill_levels(db) == {}                                   # nothing saved
    r = admin.post("/admin/skills/levels", data={**bad, "level-102-internet": "40"})
    assert r.status_code == 302
    assert config.agent_skill_levels(db) == {"101": {"polish": 80},
                                             "102": {"polish": 30, "internet": 40}}
    # an emptied cell takes the skill away
    r = admin.post("/admin/skills/levels", data={**bad, "level-102-internet": ""})
    assert config.agent_skill_levels(db)["102"] == {"polish": 30}
    # a skill a queue asks for stays, under its name
    skills.set_queue_routing(db, "support", rule="0: internet\n30: *")
    r = admin.post("/admin/skills/internet/delete", data={"csrf_token": token})
    assert r.status_code == 302 and [s["name"] for s in skills.skills(db)] == ["internet", "polish"]
    assert "asks for it" in page_text(admin.get("/admin/skills/internet/edit"))   # the flash
    r = admin.post("/admin/skills/internet/edit", data={"csrf_token": token, "name": "web",
                                                        "title": "Web", "language": ""})
    assert r.status_code == 400 and 'value="web"' in page_text(r)
    r = admin.post("/admin/skills/internet/edit", data={
        "csrf_token": token, "name": "internet", "title": "Internet support", "language": ""})
    assert r.status_code == 302
    assert [s["title"] for s in skills.skills(db)] == ["Internet support", "Polish"]


def test_queue_form_names_each_bad_line_of_the_rule_and_keeps_the_text(app, db, admin):
    from tests.conftest import csrf_token, page_text
    skills.save_skill(db, "polish", "Polish", "pl")
    token = csrf_token(admin, "/admin/queues/support/edit")
    rule = "0: language>=50\n10: billing\n5: *"
    r = admin.post("/admin/queues/support/edit", data=queue_form(
        db, csrf_token=token, skill_rule=rule, overflow_ewt_s="90", overflow_per_agent="2"))
    page = page_text(r)
    assert r.status_code == 400
    assert "Wiersz 2: nie ma umiejętności billing" in page
    assert "Wiersz 3: każdy krok musi zaczynać się później niż poprzedni" in page
    assert rule in page                                       # the textarea keeps it
    row = db.execute("SELECT skill_rule, overflow_ewt_s FROM queues "
                     "WHERE name = 'support'").fetchone()
    assert tuple(row) == ("", 0)                                # nothing half saved
    r = admin.post("/admin/queues/support/edit", data=queue_form(
        db, csrf_token=token, skill_rule="0: language>=50\n30: *", overflow_ewt_s="90",
        overflow_per_agent="1,5"))
    assert r.status_code == 302
    row = db.execute("SELECT skill_rule, overflow_ewt_s, overflow_per_agent FROM queues "
                     "WHERE name = 'support'").fetchone()
    assert tuple(row) == ("0: language>=50\n30: *", 90, 1.5)
    r = admin.post("/admin/queues/support/edit", data=queue_form(
        db, csrf_token=token, overflow_per_agent="many"))
    assert r.status_code == 400 and "wpisz liczbę" in page_text(r)


@pytest.mark.asterisk
@pytest.mark.browser
def test_admin_sets_levels_in_the_matrix_and_asterisk_rings_by_them(devbox, tmp_path, page):
    from playwright.sync_api import expect
    from tests.test_webui_browser import PASSWORD, running_panel
    with running_panel(devbox.web_env(), tmp_path / "gunicorn.log") as server:
        page.goto(server + "/admin/skills/")
        page.fill("#username", "admin")
        page.fill("#password", PASSWORD)
        page.fill("#password2", PASSWORD)
        page.click("button.primary")
        page.goto(server + "/admin/skills/")
        expect(page.locator("h1")).to_have_text("Umiejętności")
        for name, title, lang in (("polish", "Polski", "pl"), ("english", "Angielski", "en")):
            page.fill("#name", name)
            page.fill("#title", title)
            page.select_option("#language", lang)
            page.click("#add-skill")
            expect(page.locator(".alert-ok")).to_have_text(f"Dodano umiejętność {name}.")
        page.fill("#level-101-polish", "80")
        page.fill("#level-102-polish", "30")
        page.fill("#level-102-english", "60")
        page.click("#save-levels")
        expect(page.locator(".alert-ok")).to_have_text("Zapisano poziomy umiejętności agentów.")
        expect(page.locator("#level-102-english")).to_have_value("60")
        page.goto(server + "/admin/queues/support/edit")
        page.fill("#skill_rule", "0: language>=50\n8: language\n16: *")
        page.click("#queue-form button.primary")
        expect(page.locator(".alert-ok")).to_contain_text("support")
        expect(page.locator("#skill_rule")).to_have_value("0: language>=50\n8: language\n16: *")
    # the box applied it: Asterisk has the Polish and English variants with the levels' order

    def penalties():
        _, events = devbox.ami.action_list("QueueStatus", "QueueStatusComplete")
        return {(e["Queue"], e["Name"]): e["Penalty"] for e in events
                if e.get("Event") == "QueueMember" and e["Queue"].startswith("support")}
    expected = {("support", "Agent 101"): "1", ("support", "Agent 102"): "1",
                ("support.pl", "Agent 101"): "1", ("support.pl", "Agent 102"): "2",
                ("support.en", "Agent 102"): "1", ("support.en", "Agent 101"): "3"}
    assert wait_for(lambda: penalties() == expected, timeout=20), penalties()
