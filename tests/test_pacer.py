"""The dialer's rules and pacing (appliance.campaigns.pacer) under a simulated clock: the
calling window, retries, the 72-hour rule, Ofcom's abandon rate and how many calls the
dialer places in each mode.  Pure: no Asterisk."""
from __future__ import annotations

import time

import pytest

from appliance.campaigns.pacer import (AbandonCounts, Pacer, Rules, Snapshot, abandon_rate,
                                       in_window, may_redial_abandoned, retry_at)

H = 3600

pytestmark = pytest.mark.usefixtures("warsaw")   # conftest: the box's zone


def local(y, mo, d, h=0, mi=0, s=0) -> float:
    return time.mktime((y, mo, d, h, mi, s, 0, 0, -1))


MON = (2026, 3, 2)      # a Monday
SAT = (2026, 3, 7)


def rules(**kw) -> Rules:
    base = dict(window_start="09:00", window_end="17:00", weekdays="12345")
    base.update(kw)
    return Rules(**base)


# -- when a number may be dialed -------------------------------------------------------

def test_window_edges():
    r = rules()
    assert not in_window(r, local(*MON, 8, 59, 59))
    assert in_window(r, local(*MON, 9, 0, 0))
    assert in_window(r, local(*MON, 16, 59, 59))
    assert not in_window(r, local(*MON, 17, 0, 0))


def test_weekdays_are_iso():
    assert not in_window(rules(), local(*SAT, 12))
    assert in_window(rules(weekdays="6"), local(*SAT, 12))
    assert not in_window(rules(weekdays="6"), local(*MON, 12))
    assert in_window(rules(weekdays="1"), local(*MON, 12))


def test_date_range_is_inclusive():
    r = rules(start_date="2026-03-03", end_date="2026-03-05")
    assert not in_window(r, local(2026, 3, 2, 12))
    assert in_window(r, local(2026, 3, 3, 12))
    assert in_window(r, local(2026, 3, 5, 16, 59))
    assert not in_window(r, local(2026, 3, 6, 12))


def test_rules_from_a_campaigns_row():
    row = {"id": 4, "name": "spring", "mode": "predictive", "window_start": "08:00",
           "window_end": "21:00", "weekdays": "123456", "start_date": None, "end_date": "",
           "max_attempts": 5, "retry_noanswer_s": 600, "retry_busy_s": 300,
           "retry_failed_s": 900, "retry_machine_s": 1200, "abandon_cap": 2.5,
           "abandon_rule": "30d", "max_ratio": 2.0, "ring_s": 30, "script": "Hello {name}"}
    r = Rules.from_row(row)
    assert (r.mode, r.window_start, r.window_end, r.weekdays) == \
        ("predictive", "08:00", "21:00", "123456")
    assert r.start_date is None and r.end_date is None
    assert (r.max_attempts, r.retry_busy_s, r.abandon_cap, r.abandon_rule, r.max_ratio) == \
        (5, 300, 2.5, "30d", 2.0)
    assert in_window(r, local(*SAT, 20, 59)) and not in_window(r, local(*SAT, 21, 0))


def test_retry_delays_per_outcome_and_max_attempts():
    r = rules(max_attempts=3, retry_noanswer_s=3600, retry_busy_s=900, retry_failed_s=1800,
              retry_machine_s=7200)
    now = local(*MON, 10)
    assert retry_at(r, "noanswer", 1, now) == now + 3600
    assert retry_at(r, "busy", 1, now) == now + 900
    assert retry_at(r, "failed", 2, now) == now + 1800
    assert retry_at(r, "machine", 2, now) == now + 7200
    assert retry_at(r, "noanswer", 3, now) is None          # attempts used up
    assert retry_at(r, "busy", 4, now) is None


def test_invalid_and_connected_are_never_retried_cancelled_is_not_an_attempt():
    r = rules(max_attempts=20)
    now = local(*MON, 10)
    assert retry_at(r, "invalid", 1, now) is None
    assert retry_at(r, "connected", 1, now) is None
    assert retry_at(r, "cancelled", 20, now) == now
    with pytest.raises(ValueError):
        retry_at(r, "exploded", 1, now)


def test_abandoned_number_waits_72_hours_unless_an_agent_is_guaranteed():
    r = rules(retry_noanswer_s=600)
    t0 = local(*MON, 10)
    assert retry_at(r, "abandoned", 1, t0) == t0 + 72 * H
    assert not may_redial_abandoned(t0, t0 + 71 * H + 59 * 60, agent_guaranteed=False)
    assert may_redial_abandoned(t0, t0 + 72 * H, agent_guaranteed=False)
    assert may_redial_abandoned(t0, t0 + 60, agent_guaranteed=True)
    assert may_redial_abandoned(None, t0, agent_guaranteed=False)


# -- the abandon rate ----------------------------------------------------------------------

def test_abandon_rate_ofcom_adjusted_for_answering_machines():
    # 30 abandoned, 970 live, no machines: 30 / 1000
    assert abandon_rate(AbandonCounts(abandoned=30, live=970, machine_marked=0)) == \
        pytest.approx(3.0)
    # agents marked 30 machines: 30/1000 of the abandons are taken to be machines too:
    # D' = 30 - 30 * 30 / 1000 = 29.1; 29.1 / (29.1 + 970) = 2.9126 %
    assert abandon_rate(AbandonCounts(abandoned=30, live=970, machine_marked=30)) == \
        pytest.approx(2.9126, abs=1e-4)
    assert abandon_rate(AbandonCounts(0, 0, 0)) == 0.0
    assert abandon_rate(AbandonCounts(0, 50, 3)) == 0.0
    assert abandon_rate(AbandonCounts(2, 0, 0)) == 100.0


def feed(p: Pacer, at: float, connected: int = 0, abandoned: int = 0, machine: int = 0):
    for _ in range(connected):
        p.observe("connected", at)
    for _ in range(abandoned):
        p.observe("abandoned", at)
    for _ in range(machine):
        p.observe("machine_marked", at)


def test_day_rule_resets_at_local_midnight():
    p = Pacer(rules(abandon_rule="day"))
    feed(p, local(*MON, 23, 58), connected=97, abandoned=3, machine=0)
    assert p.abandon_counts(local(*MON, 23, 59)) == AbandonCounts(3, 97, 0)
    assert abandon_rate(p.abandon_counts(local(*MON, 23, 59, 59))) == pytest.approx(3.0)
    # 00:00:01 local is still the previous day in UTC, yet the count starts over
    assert p.abandon_counts(local(2026, 3, 3, 0, 0, 1)) == AbandonCounts(0, 0, 0)


def test_30d_rule_carries_over_midnight_and_forgets_after_30_days():
    p = Pacer(rules(abandon_rule="30d"))
    feed(p, local(*MON, 15), connected=90, abandoned=2, machine=10)
    feed(p, local(2026, 3, 10, 11), connected=100, abandoned=1)
    c = p.abandon_counts(local(2026, 3, 11, 9))
    assert c == AbandonCounts(abandoned=3, live=180, machine_marked=10)
    assert p.abandon_counts(local(2026, 4, 3, 9)) == AbandonCounts(1, 100, 0)


def test_unknown_observation_is_an_error():
    with pytest.raises(ValueError):
        Pacer(rules()).observe("ringing", 0.0)


# -- how many calls to place ------------------------------------------------------------

def noon() -> float:
    return local(*MON, 12)


def snap(logged_in=10, free=4, ringing=0, waiting=0, talking=None, wrapping=None) -> Snapshot:
    talking = [60.0] * (logged_in - free) if talking is None else talking
    return Snapshot(logged_in=logged_in, free=free, ringing=ringing, waiting=waiting,
                    busy_elapsed=talking, wrapping_left=wrapping or [])


def warm(p: Pacer, at: float, answered: int, unanswered: int, talk: float = 120.0) -> None:
    """A campaign that has been running: its answer rate, ring and talk times."""
    for i in range(max(answered, unanswered)):
        if i < answered:
            p.observe("dialed", at)
            p.observe("answered", at, 8.0)
        if i < unanswered:
            p.observe("dialed", at)
            p.observe("unanswered", at, 25.0)
    for i in range(60):
        p.observe("talk_end", at, talk * (0.5 + i / 60))
        p.observe("wrap_end", at, 15.0)


@pytest.mark.parametrize("mode", ["preview", "progressive", "predictive"])
def test_no_calls_without_agents_or_outside_the_window(mode):
    p = Pacer(rules(mode=mode))
    warm(p, noon(), answered=20, unanswered=180)
    assert p.calls_to_place(snap(logged_in=0, free=0, talking=[]), noon()) == 0
    assert p.calls_to_place(snap(), local(*MON, 17, 0)) == 0
    assert p.calls_to_place(snap(), local(*SAT, 12)) == 0


def test_preview_places_nothing_by_itself():
    assert Pacer(rules(mode="preview")).calls_to_place(snap(free=10, talking=[]), noon()) == 0


def test_progressive_is_free_less_ringing_less_waiting():
    p = Pacer(rules(mode="progressive"))
    warm(p, noon(), answered=20, unanswered=180)
    assert p.calls_to_place(snap(free=4), noon()) == 4
    assert p.calls_to_place(snap(free=4, ringing=1, waiting=1), noon()) == 2
    assert p.calls_to_place(snap(free=2, ringing=3), noon()) == 0


def test_predictive_dials_more_than_free_agents_when_few_answer():
    p = Pacer(rules(mode="predictive"))
    warm(p, noon(), answered=30, unanswered=170)          # 15 % answer
    n = p.calls_to_place(snap(logged_in=10, free=4), noon())
    assert n > 4
    assert p.dial_level > 0.4
    # with half the calls answered it dials fewer for the same agents
    q = Pacer(rules(mode="predictive"))
    warm(q, noon(), answered=100, unanswered=100)
    assert 4 <= q.calls_to_place(snap(logged_in=10, free=4), noon()) < n


def test_predictive_counts_calls_already_ringing():
    p = Pacer(rules(mode="predictive"))
    warm(p, noon(), answered=30, unanswered=170)
    first = p.calls_to_place(snap(logged_in=10, free=4), noon())
    for _ in range(first):
        p.observe("dialed", noon())
    # a second later the same agents are covered by those calls
    assert p.calls_to_place(snap(logged_in=10, free=4, ringing=first), noon() + 1) <= 1


def test_predictive_backs_off_after_abandons():
    p = Pacer(rules(mode="predictive"))
    warm(p, noon(), answered=30, unanswered=170)
    before = p.calls_to_place(snap(logged_in=20, free=8), noon())
    feed(p, noon(), connected=200, abandoned=5)           # 2.4 %: under the cap, over the aim
    after = p.calls_to_place(snap(logged_in=20, free=8), noon() + 1)
    assert 8 <= after < before


def test_predictive_falls_back_to_progressive_at_the_cap():
    p = Pacer(rules(mode="predictive", abandon_cap=3.0))
    warm(p, noon(), answered=30, unanswered=170)
    feed(p, noon(), connected=97, abandoned=3)            # exactly 3 %
    assert p.calls_to_place(snap(logged_in=10, free=4), noon()) == 4
    assert p.calls_to_place(snap(logged_in=10, free=4, ringing=3), noon()) == 1
    # a new day: predictive again
    tomorrow = local(2026, 3, 3, 12)
    assert p.calls_to_place(snap(logged_in=10, free=4), tomorrow) > 4


def test_predictive_respects_max_ratio():
    p = Pacer(rules(mode="predictive", max_ratio=1.5))
    warm(p, noon(), answered=5, unanswered=195)           # 2.5 % answer: wants many lines
    assert p.calls_to_place(snap(logged_in=10, free=10, talking=[]), noon()) == 15
    assert p.calls_to_place(snap(logged_in=10, free=10, ringing=12, talking=[]), noon()) == 3
    assert p.dial_level <= 1.5


def test_new_rules_apply_at_once():
    """The dialer swaps in a campaign's edited rules; the window takes effect that tick."""
    p = Pacer(rules(mode="progressive"))
    assert p.calls_to_place(snap(free=4), noon()) == 4
    p.rules = rules(mode="progressive", window_start="13:00")
    assert p.calls_to_place(snap(free=4), noon() + 1) == 0
