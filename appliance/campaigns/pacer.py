"""How many calls a campaign places now, and the rules that say when a number may be dialed.

The same code runs in the dialer on the box (appliance.campaigns.dialer, every tick) and in
bench/dialer.py's simulation, so what the benchmark measures is what the box does.  It is
pure: no I/O, no clock of its own (the caller passes `now`, epoch seconds; the calling
window is the box's local time via time.localtime), no randomness.

What the dialer tells the pacer (Pacer.observe), one call at a time:
    'dialed'        an Originate was sent
    then exactly one of
    'answered'      a live answer that needs an agent (a person, or a machine the detector
                    missed); seconds = ring time to the answer
    'machine'       an answering machine the detector (AMD) caught: no agent needed
    'unanswered'    no answer, busy or failed; seconds = ring time
    'cancelled'     the dialer withdrew a ringing call (not an outcome of the number)
    and, after 'answered', one of
    'connected'     an agent took it within 2 s
    'abandoned'     no agent in time: the identification message was played
    'talk_end'      seconds = talk time of a connected call
    'wrap_end'      seconds = wrap-up time after it
    'machine_marked' an agent marked a connected call as an answering machine (Ofcom's AM)

Abandon rate (Ofcom, adjusted for answering machines agents were given): with D abandoned,
L live calls connected to an agent (connected less those marked machine) and AM calls
marked machine, D' = D - D * AM / (AM + L) and the rate is D' / (D' + L).
"""
from __future__ import annotations

import bisect
import math
import time
from collections import deque
from dataclasses import dataclass, field

DAY = 86400
HOUR = 3600
ABANDON_REDIAL_S = 72 * HOUR     # Ofcom: no repeat call to an abandoned number within 72 h
AIM = 0.6                        # predictive aims at this share of the abandon cap
ANSWER_PRIOR = (0.25, 40.0)      # prior answer rate and its weight (calls) for a cold start
RING_PRIOR_S = 8.0               # prior ring time to an answer
TALK_PRIOR_S = 120.0             # prior talk time (exponential until we have samples)
WRAP_PRIOR_S = 15.0
RECENT_CALLS = 300               # answer rate over the last this many resolved calls
RECENT_TALKS = 600               # talk-time samples kept
MIN_SAMPLES = 20                 # fewer samples than this: the priors
HORIZON = 1.0                    # predictive looks this many mean ring times ahead
TABLE_S = 30.0                   # the model is rebuilt from the measurements this often
MARGIN = (0.7, -1.0, 6.0)        # agents kept in hand per sqrt(logged in): start, min, max
MARGIN_STEP = 0.1                # agents added to the margin by one abandon
GUARD_PRIOR = 100                # calls of smoothing of the period's abandon rate


@dataclass(frozen=True)
class Rules:
    """A campaign's dialing rules, as stored in the campaigns table."""
    window_start: str = "09:00"
    window_end: str = "20:00"
    weekdays: str = "12345"
    start_date: str | None = None
    end_date: str | None = None
    max_attempts: int = 3
    retry_noanswer_s: int = 3600
    retry_busy_s: int = 900
    retry_failed_s: int = 1800
    retry_machine_s: int = 7200
    abandon_cap: float = 3.0
    abandon_rule: str = "day"
    max_ratio: float = 3.0
    mode: str = "progressive"
    ring_s: int = 25

    @classmethod
    def from_row(cls, row: dict) -> "Rules":
        """From a `campaigns` row (extra columns ignored, missing ones take the defaults)."""
        names = cls.__dataclass_fields__
        kw = {k: row[k] for k in names if k in row and row[k] is not None}
        for k in ("start_date", "end_date"):
            if row.get(k) == "":
                kw.pop(k, None)
        for k in ("max_attempts", "retry_noanswer_s", "retry_busy_s", "retry_failed_s",
                  "retry_machine_s", "ring_s"):
            if k in kw:
                kw[k] = int(kw[k])
        for k in ("abandon_cap", "max_ratio"):
            if k in kw:
                kw[k] = float(kw[k])
        return cls(**kw)


def in_window(rules: Rules, now: float) -> bool:
    """Inside the campaign's dates, weekdays and daily window, in the box's local time."""
    lt = time.localtime(now)
    today = time.strftime("%Y-%m-%d", lt)
    if rules.start_date and today < rules.start_date:
        return False
    if rules.end_date and today > rules.end_date:
        return False
    if str(lt.tm_wday + 1) not in rules.weekdays:
        return False
    return rules.window_start <= time.strftime("%H:%M", lt) < rules.window_end


_RETRY_FIELD = {"noanswer": "retry_noanswer_s", "busy": "retry_busy_s",
                "failed": "retry_failed_s", "machine": "retry_machine_s",
                "abandoned": "retry_noanswer_s"}


def retry_at(rules: Rules, outcome: str, attempts: int, now: float) -> float | None:
    """When the number may be tried again after an attempt that ended with `outcome`
    (`attempts` made so far, this one included); None: never again."""
    if outcome == "cancelled":            # withdrawn before anyone answered: not an attempt
        return now
    if outcome in ("invalid", "connected"):
        return None
    if outcome not in _RETRY_FIELD:
        raise ValueError(f"unknown call outcome {outcome!r}")
    if attempts >= rules.max_attempts:
        return None
    delay = getattr(rules, _RETRY_FIELD[outcome])
    if outcome == "abandoned":
        delay = max(delay, ABANDON_REDIAL_S)
    return now + delay


def may_redial_abandoned(last_abandon_at: float | None, now: float,
                         agent_guaranteed: bool) -> bool:
    """Ofcom's 72-hour rule: an abandoned number is called again within 72 h only when an
    agent is already waiting for it (a preview or callback call)."""
    return agent_guaranteed or last_abandon_at is None or now - last_abandon_at >= ABANDON_REDIAL_S


@dataclass
class AbandonCounts:
    abandoned: int = 0          # D: live answers no agent took within 2 s
    live: int = 0               # L: live calls connected to an agent (not marked machine)
    machine_marked: int = 0     # AM: connected calls agents marked as answering machines


def abandon_rate(c: AbandonCounts) -> float:
    """Ofcom's adjusted abandon rate, percent; 0 when nothing was answered."""
    d, live, am = c.abandoned, c.live, c.machine_marked
    if d + live + am <= 0:
        return 0.0
    adj = d - d * am / (am + live) if am + live > 0 else d
    return 100.0 * adj / (adj + live) if adj + live > 0 else 0.0


@dataclass
class Snapshot:
    """The campaign's agents and calls at one moment, as the dialer sees them."""
    logged_in: int
    free: int
    ringing: int
    waiting: int
    busy_elapsed: list[float] = field(default_factory=list)   # talk so far, per agent on a call
    wrapping_left: list[float] = field(default_factory=list)  # wrap-up left, per agent


_day_cache: dict[int, str] = {}


def _local_day(at: float) -> str:
    """The local calendar day of `at` (cached per quarter hour: every zone's midnight falls
    on one)."""
    q = int(at // 900)
    day = _day_cache.get(q)
    if day is None:
        if len(_day_cache) > 4096:
            _day_cache.clear()
        day = _day_cache[q] = time.strftime("%Y-%m-%d", time.localtime(at))
    return day


class Pacer:
    """One campaign's pacing: rolling measurements from observe(), and calls_to_place()."""

    def __init__(self, rules: Rules) -> None:
        self.rules = rules
        self.recent: deque[int] = deque(maxlen=RECENT_CALLS)   # 1 answered, 0 not / machine
        self.ring_answered: deque[float] = deque(maxlen=RECENT_CALLS)
        self.ring_other: deque[float] = deque(maxlen=RECENT_CALLS)   # unanswered, machine
        self.dials: deque[float] = deque(maxlen=2000)   # when recent calls were placed
        self.talks: deque[float] = deque(maxlen=RECENT_TALKS)
        self.wraps: deque[float] = deque(maxlen=RECENT_TALKS)
        self.days: dict[str, list[int]] = {}     # local day -> [D, connected, AM]
        self.hours: dict[int, list[int]] = {}    # hour (epoch // 3600) -> [D, connected, AM]
        # the adaptive safety margin: agents kept in hand, per sqrt(agents logged in)
        self.margin = MARGIN[0]
        self._predicting = 0      # logged-in agents while predictive pacing is in force
        self._model_at: float | None = None
        self._counts: tuple | None = None      # (period key, AbandonCounts) until the next call
        self._window: tuple = (-1, None, False)   # (minute, rules, in_window) of the last tick
        self.dial_level = 0.0     # lines ringing per logged-in agent after the last decision

    # -- measurements -------------------------------------------------------------------
    def observe(self, kind: str, at: float, seconds: float = 0.0) -> None:
        if kind == "dialed":
            self.dials.append(at)
        elif kind == "answered":
            self.recent.append(1)
            self.ring_answered.append(seconds)
        elif kind in ("unanswered", "machine"):
            self.recent.append(0)
            self.ring_other.append(seconds)
        elif kind == "talk_end":
            self.talks.append(seconds)
        elif kind == "wrap_end":
            self.wraps.append(seconds)
        elif kind in ("connected", "abandoned", "machine_marked"):
            slot = {"abandoned": 0, "connected": 1, "machine_marked": 2}[kind]
            self.days.setdefault(_local_day(at), [0, 0, 0])[slot] += 1
            self.hours.setdefault(int(at // HOUR), [0, 0, 0])[slot] += 1
            self._counts = None
            self._prune(at)
            self._adapt(kind)
        elif kind != "cancelled":
            raise ValueError(f"unknown pacer observation {kind!r}")

    def _prune(self, now: float) -> None:
        if len(self.hours) > 24 * 31:
            oldest = int(now // HOUR) - 24 * 30
            for h in [h for h in self.hours if h < oldest]:
                del self.hours[h]
        if len(self.days) > 3:
            today = _local_day(now)
            for d in [d for d in self.days if d != today and
                      d < _local_day(now - 2 * DAY)]:
                del self.days[d]

    def _adapt(self, kind: str) -> None:
        """Stochastic approximation of the safety margin while predictive pacing is in
        force: each abandon raises it, each connected call lowers it a little, so that it
        settles where abandons are AIM of the cap (1.8 % of live calls for a 3 % cap).
        Scaled by sqrt(agents): the noise of answers against free agents grows so."""
        if not self._predicting or kind not in ("abandoned", "connected"):
            return
        target = max(self.rules.abandon_cap * AIM / 100.0, 0.001)
        step = MARGIN_STEP / math.sqrt(self._predicting)
        if kind == "abandoned":
            self.margin += step
        else:
            self.margin -= step * target / (1.0 - target)
        self.margin = min(max(self.margin, MARGIN[1]), MARGIN[2])

    def answer_rate(self) -> float:
        """Share of resolved calls answered live (needing an agent), with a prior."""
        p0, w = ANSWER_PRIOR
        return (sum(self.recent) + p0 * w) / (len(self.recent) + w)

    def ring_to_answer(self) -> float:
        if not self.ring_answered:
            return RING_PRIOR_S
        return sum(self.ring_answered) / len(self.ring_answered)

    def wrap_mean(self) -> float:
        return sum(self.wraps) / len(self.wraps) if self.wraps else WRAP_PRIOR_S

    def abandon_counts(self, now: float) -> AbandonCounts:
        """D, L and AM in the campaign's period: the local day of `now`, or the last 30 days."""
        if self.rules.abandon_rule == "30d":
            key: int | str = int(now // HOUR)
        else:
            key = _local_day(now)
        if self._counts is not None and self._counts[0] == key:
            return self._counts[1]
        if isinstance(key, int):
            rows = [v for h, v in self.hours.items() if key - 30 * 24 < h <= key]
        else:
            rows = [self.days.get(key, [0, 0, 0])]
        d = sum(r[0] for r in rows)
        conn = sum(r[1] for r in rows)
        am = sum(r[2] for r in rows)
        counts = AbandonCounts(abandoned=d, live=max(conn - am, 0), machine_marked=am)
        self._counts = (key, counts)
        return counts

    def _talk_ends(self, horizon: float) -> list[float]:
        """By whole seconds of talk so far: the chance the call ends within `horizon`."""
        if horizon <= 0:
            return [0.0]
        if len(self.talks) < MIN_SAMPLES:
            return [1.0 - math.exp(-horizon / TALK_PRIOR_S)]
        talks = sorted(self.talks)
        n = len(talks)
        out = []
        for e in range(int(talks[-1]) + 1):
            i = bisect.bisect_right(talks, e)
            out.append((bisect.bisect_right(talks, e + horizon) - i) / (n - i))
        out.append(min(1.0, horizon / TALK_PRIOR_S))   # longer than any seen
        return out

    def _ring_answers(self, horizon: float, p: float) -> list[float]:
        """By half seconds of ringing so far: the chance of a live answer within `horizon`
        (a call still ringing after a while is less likely to be answered at all)."""
        ans = sorted(self.ring_answered) if len(self.ring_answered) >= MIN_SAMPLES else \
            [-RING_PRIOR_S * math.log(1 - (i + 0.5) / 40) for i in range(40)]
        other = sorted(self.ring_other) if len(self.ring_other) >= MIN_SAMPLES else \
            [float(self.rules.ring_s)] * 40
        na, no = len(ans), len(other)
        out = []
        for k in range(int(2 * max(ans[-1], other[-1])) + 2):
            age = k / 2
            ia = bisect.bisect_right(ans, age)
            alive = p * (na - ia) / na + (1 - p) * (no - bisect.bisect_right(other, age)) / no
            out.append(p * (bisect.bisect_right(ans, age + horizon) - ia) / na / alive
                       if alive > 0 else 0.0)
        return out

    def _refresh(self, now: float) -> None:
        """The model from the measurements, rebuilt at most every TABLE_S seconds."""
        if self._model_at is not None and 0 <= now - self._model_at < TABLE_S:
            return
        self._model_at = now
        p = self.answer_rate()
        horizon = HORIZON * self.ring_to_answer()
        self._talk_tab = self._talk_ends(horizon - self.wrap_mean())
        self._ring_tab = self._ring_answers(horizon, p)
        self._horizon = horizon

    def _guard(self, now: float) -> float:
        """1 while the period's abandon rate is at or below the aim, falling to 0 at the cap
        (the rate smoothed towards the aim, so that one early abandon does not stop us)."""
        c = self.abandon_counts(now)
        cap = self.rules.abandon_cap
        aim = cap * AIM
        n = c.abandoned + c.live + c.machine_marked
        rate = (abandon_rate(c) * n + aim * GUARD_PRIOR) / (n + GUARD_PRIOR)
        if rate <= aim:
            return 1.0
        return max(0.0, (cap - rate) / (cap - aim))

    # -- the decision ---------------------------------------------------------------------
    def calls_to_place(self, snap: Snapshot, now: float) -> int:
        """How many new calls to place now.

        preview: none (agents ask for their calls); progressive: one per free agent not
        already covered by a ringing or waiting call.  Predictive keeps the live answers
        expected within the horizon (a mean ring time to an answer) equal to the agents who
        will be free by then - free now, in wrap-up ending within it, or talking on a call
        that by the talk times seen so far ends early enough - less the answered calls
        waiting and less a safety margin (adapted so that abandons settle at AIM of the
        cap; more agents, relatively less margin).  A call already ringing counts with the
        chance that a call ringing that long is answered within the horizon (it is less
        likely to be answered at all the longer it rings; which calls ring is taken from
        the latest 'dialed' observations); a new call with that chance at 0 s.  Eased off
        as the period's abandon rate nears the cap, progressive at the cap, never more than
        max_ratio lines per logged-in agent, never less than progressive.
        """
        r = self.rules
        minute = int(now // 60)             # local minutes start on UTC minutes everywhere
        if self._window[:2] != (minute, r):     # the dialer may have changed the rules
            self._window = (minute, r, in_window(r, now))
        if snap.logged_in <= 0 or r.mode == "preview" or not self._window[2]:
            self.dial_level = 0.0
            self._predicting = 0
            return 0
        progressive = max(0, snap.free - snap.ringing - snap.waiting)
        self.dial_level = (snap.ringing + progressive) / snap.logged_in
        self._predicting = 0
        if r.mode != "predictive":
            return progressive
        if abandon_rate(self.abandon_counts(now)) >= r.abandon_cap:
            return progressive
        self._predicting = snap.logged_in
        self._refresh(now)
        talk, last_t = self._talk_tab, len(self._talk_tab) - 1
        ring, last_r = self._ring_tab, len(self._ring_tab) - 1
        soon = float(snap.free)
        if last_t == 0:
            soon += talk[0] * len(snap.busy_elapsed)
        else:
            try:
                soon += sum(map(talk.__getitem__, map(int, snap.busy_elapsed)))
            except IndexError:                      # a call longer than any seen
                soon += sum(talk[min(int(e), last_t)] for e in snap.busy_elapsed)
        soon += sum(1 for w in snap.wrapping_left if w <= self._horizon)
        keep = self.margin * math.sqrt(snap.logged_in)
        want = (soon - snap.waiting - keep) * self._guard(now)
        dials = self.dials
        k = min(snap.ringing, len(dials))
        ages = [int(2 * (now - dials[-i])) for i in range(1, k + 1)]
        try:
            expected = sum(map(ring.__getitem__, ages))
        except IndexError:
            expected = sum(ring[min(a, last_r)] for a in ages)
        expected += ring[0] * (snap.ringing - k)
        per_call = ring[0]
        n = math.floor((want - expected) / per_call + 0.5) if per_call > 0 else 0
        n = min(n, int(r.max_ratio * snap.logged_in) - snap.ringing)
        n = max(n, progressive)
        self.dial_level = (snap.ringing + n) / snap.logged_in
        return n
