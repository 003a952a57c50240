"""Staffing forecast: how many agents a queue needs for its target service level.

Pure queueing formulas first (no database), then the forecast that feeds them with what
the report tables measured (report_calls, report_agent_time written by ingest.py).

Erlang C (M/M/N, callers never give up), with traffic A = calls/h x AHT / 3600 (Erlangs):
  Erlang B by the stable recurrence B(0) = 1, B(k) = A B(k-1) / (k + A B(k-1));
  P(wait) = N B / (N - A (1 - B));  SL(t) = 1 - P(wait) exp(-(N - A) t / AHT);
  ASA = P(wait) AHT / (N - A);  occupancy = A / N.  With N <= A the queue grows without
  end: P(wait) = 1, SL = 0, ASA infinite.

Erlang A (M/M/N+M: callers give up after an exponential patience with the measured mean):
computed numerically on the birth-death chain of "calls in the system" k = 0, 1, ...
(birth lambda; death min(k, N) mu + max(k - N, 0) theta, mu = 1/AHT, theta = 1/patience).
Its stationary probabilities are built in log space and the chain is truncated where a
state's probability falls below 1e-14 of the largest (the tail then shrinks faster than
geometrically, so the loss is below that); a chain that needs more than MAX_QUEUE waiting
callers to vanish is an overloaded queue (too few agents, never the answer).  A caller
arriving to k >= N (PASTA) waits with j = k - N callers ahead; while i callers are ahead it
moves up at rate N mu + i theta and gives up at rate theta.  From that:
  P(wait) = sum of pi(k >= N);  P(abandon) = theta E[queue] / lambda (flow balance);
  ASA = E[wait of the answered] from a recursion over the stages;
  SL(t) = calls answered within t / all calls offered (abandons count against it), the
  stage chain solved for time t by uniformization.
As patience grows Erlang A tends to Erlang C (tested), and with impatient callers fewer
agents reach the same SL.

The forecast (never writes anything) per queue: the arrival rate (calls that entered the
queue in the last hour; per hour of the day on one weekday over the last N weeks), AHT =
average talk of answered calls + the queue's wrap-up time (Asterisk counts hold inside the
talk time), and the mean patience estimated as total waiting time of every call that
waited (answered or not) / number of abandons - the maximum-likelihood estimate for
exponential patience where an answered call's wait is a patience known only to be longer
(a censored observation).  No abandons: patience unknown, Erlang A = Erlang C.  The
target: SL% from the setting `staffing_sl_target` (default 80), its T from the report
thresholds (queries.thresholds()["sl_seconds"]).
"""
from __future__ import annotations

import datetime as dt
import math
import time
from dataclasses import dataclass

from ..store.db import StoreError, get_setting, set_setting
from .queries import thresholds

TARGET_KEY = "staffing_sl_target"
TARGET_DEFAULT, TARGET_LOW, TARGET_HIGH = 80, 1, 99     # percent
WEEKS = 4                      # history for AHT, patience and the per-hour arrival rates
MAX_AGENTS = 2000              # a search stops here (an absurd load is reported as such)
MAX_QUEUE = 20000              # Erlang A: more callers waiting than this = overloaded
_TINY = math.log(1e-14)
E_TARGET = "the target service level is a whole percentage from 1 to 99"


# -- Erlang B / C ---------------------------------------------------------------------------

def erlang_b(n: int, a: float) -> float:
    """Blocking probability with n servers and a Erlangs (recurrence: no factorials)."""
    b = 1.0
    for k in range(1, n + 1):
        b = a * b / (k + a * b)
    return b


def erlang_c(n: int, a: float) -> float:
    """Probability that a call waits (Erlang C); 1.0 when n <= a (the queue never drains)."""
    if a <= 0:
        return 0.0
    if n <= a:
        return 1.0
    b = erlang_b(n, a)
    return n * b / (n - a * (1 - b))


def service_level(n: int, a: float, aht: float, t: float) -> float:
    """Share of calls answered within t seconds (Erlang C)."""
    if a <= 0:
        return 1.0
    if n <= a:
        return 0.0
    return 1.0 - erlang_c(n, a) * math.exp(-(n - a) * t / aht)


def asa(n: int, a: float, aht: float) -> float:
    """Average speed of answer in seconds (Erlang C); inf when n <= a."""
    if a <= 0:
        return 0.0
    if n <= a:
        return math.inf
    return erlang_c(n, a) * aht / (n - a)


def occupancy(n: int, a: float) -> float:
    """Share of the agents' time on calls (capped at 1)."""
    return min(1.0, a / n) if n > 0 else 1.0


def agents_needed(a: float, aht: float, target: float, t: float) -> int:
    """The fewest agents (n > a) with SL(t) >= target (0..1), Erlang C; 0 without traffic."""
    if a <= 0:
        return 0
    n = max(1, math.floor(a) + 1)
    while service_level(n, a, aht, t) < target:
        n += 1
        if n > MAX_AGENTS:
            raise ValueError(f"{a:.0f} Erlangs need more than {MAX_AGENTS} agents")
    return n


# -- Erlang A (M/M/N+M) ---------------------------------------------------------------------

@dataclass(frozen=True)
class ErlangA:
    p_wait: float          # share of calls that wait
    p_abandon: float       # share of calls that give up
    sl: float              # answered within t / offered
    asa: float             # mean wait of the answered calls, s


def _stationary(n: int, lam: float, mu: float, theta: float) -> list[float]:
    """pi(k), k = 0..K, of the M/M/n+M chain, truncated where it vanishes."""
    logs = [0.0]
    k = 0
    peak = 0.0
    while True:
        k += 1
        death = min(k, n) * mu + max(k - n, 0) * theta
        logs.append(logs[-1] + math.log(lam / death))
        peak = max(peak, logs[-1])
        if k > n and lam < death and logs[-1] - peak < _TINY:
            break
        if k > n + MAX_QUEUE:
            raise ValueError(f"with {n} agents over {MAX_QUEUE} callers would wait: "
                             "the queue is overloaded")
    weights = [math.exp(x - peak) for x in logs]
    total = sum(weights)
    return [w / total for w in weights]


def _served_within(ahead: list[float], n: int, mu: float, theta: float, t: float) -> float:
    """P(answered within t) for a caller who joins with i callers ahead with probability
    ahead[i]: the stage chain (i ahead -> i-1, or answered from 0, at rate n mu + i theta;
    gone at rate theta) solved for time t by uniformization, in steps of rate x step <= 30."""
    rates_up = [n * mu + i * theta for i in range(len(ahead))]
    lam_u = rates_up[-1] + theta
    steps = max(1, math.ceil(lam_u * t / 30))
    x = lam_u * t / steps
    p = list(ahead)
    served = 0.0
    stay = [1.0 - (r + theta) / lam_u for r in rates_up]
    move = [r / lam_u for r in rates_up]
    for _ in range(steps):
        weight = math.exp(-x)
        acc_p = [weight * v for v in p]
        acc_s = weight * served
        cum = weight
        cur_p, cur_s = p, served
        j = 0
        while cum < 1.0 - 1e-13 and j < 10000:
            j += 1
            nxt = [cur_p[i] * stay[i] + (cur_p[i + 1] * move[i + 1] if i + 1 < len(cur_p) else 0.0)
                   for i in range(len(cur_p))]
            cur_s = cur_s + cur_p[0] * move[0]
            cur_p = nxt
            weight *= x / j
            cum += weight
            for i, v in enumerate(cur_p):
                acc_p[i] += weight * v
            acc_s += weight * cur_s
        p, served = acc_p, acc_s
    return served


def erlang_a(n: int, calls_per_hour: float, aht: float, patience: float, t: float) -> ErlangA:
    """Erlang A figures for n agents; `patience` = mean seconds before a caller gives up."""
    lam = calls_per_hour / 3600.0
    if lam <= 0:
        return ErlangA(0.0, 0.0, 1.0, 0.0)
    if n <= 0:
        return ErlangA(1.0, 1.0, 0.0, 0.0)
    mu, theta = 1.0 / aht, 1.0 / patience
    pi = _stationary(n, lam, mu, theta)
    ahead = pi[n:]                                   # j = k - n callers ahead
    p_wait = sum(ahead)
    queue_len = sum(j * p for j, p in enumerate(ahead))
    p_abandon = theta * queue_len / lam
    # answered share and their total wait, stage by stage (see the module docstring)
    s_prev, m_prev = 1.0, 0.0
    answered_wait = answered_waiters = 0.0
    for j, p in enumerate(ahead):
        up = n * mu + j * theta
        rate = up + theta
        s = up / rate * s_prev
        m = s / rate + up / rate * m_prev
        answered_waiters += p * s
        answered_wait += p * m
        s_prev, m_prev = s, m
    answered = (1.0 - p_wait) + answered_waiters
    sl = (1.0 - p_wait) + _served_within(ahead, n, mu, theta, t)
    return ErlangA(p_wait, p_abandon, min(sl, 1.0), answered_wait / answered if answered else 0.0)


def agents_needed_a(calls_per_hour: float, aht: float, patience: float | None, target: float,
                    t: float) -> int:
    """The fewest agents with Erlang A SL(t) >= target; Erlang C when patience is unknown."""
    a = calls_per_hour * aht / 3600.0
    if a <= 0:
        return 0
    high = agents_needed(a, aht, target, t)
    if not patience:
        return high
    low = 0                                          # SL grows with n: bisect (low fails)
    while high - low > 1:
        mid = (low + high) // 2
        try:
            enough = erlang_a(mid, calls_per_hour, aht, patience, t).sl >= target
        except ValueError:          # so overloaded that the chain does not fit: too few
            enough = False
        if enough:
            high = mid
        else:
            low = mid
    return high


# -- what was measured ------------------------------------------------------------------------

def target(db) -> dict:
    """{"sl": 0..1, "pct": int, "t": seconds}: the target service level and its T."""
    raw = get_setting(db, TARGET_KEY)
    try:
        pct = int(raw) if raw is not None else TARGET_DEFAULT
    except ValueError:
        pct = TARGET_DEFAULT
    if not TARGET_LOW <= pct <= TARGET_HIGH:
        pct = TARGET_DEFAULT
    return {"sl": pct / 100.0, "pct": pct, "t": thresholds(db)["sl_seconds"]}


def save_target(db, raw: str) -> int:
    """Store the target SL in percent; E_TARGET for anything else (nothing changes)."""
    try:
        pct = int(str(raw).strip().rstrip("%").strip())
    except ValueError:
        raise StoreError(E_TARGET) from None
    if not TARGET_LOW <= pct <= TARGET_HIGH:
        raise StoreError(E_TARGET)
    set_setting(db, TARGET_KEY, str(pct))
    return pct


def handling(db, queue: str, start: int, end: int) -> dict:
    """AHT parts and patience of `queue` from its calls entered in [start, end)."""
    row = db.execute(
        "SELECT count(*) FILTER (WHERE status = 'answered'),"
        " avg(talk) FILTER (WHERE status = 'answered'),"
        " count(*) FILTER (WHERE status = 'unanswered' AND reason = 'abandon'),"
        " sum(wait) FILTER (WHERE status IN ('answered', 'unanswered'))"
        " FROM report_calls WHERE queue = ? AND entered >= ? AND entered < ?",
        [queue, start, end]).fetchone()
    answered, talk, abandoned, waited = row[0], row[1], row[2], row[3] or 0
    wrap = db.execute("SELECT wrapup_time FROM queues WHERE name = ?", [queue]).fetchone()
    wrap = wrap[0] if wrap else 0
    aht = (talk + wrap) if answered and talk is not None else None
    patience = waited / abandoned if abandoned and waited else None
    return {"answered": answered, "abandoned": abandoned, "talk_s": talk, "wrapup_s": wrap,
            "aht_s": aht if aht and aht > 0 else None, "patience_s": patience}


def plan(calls_per_hour: float, aht: float | None, patience: float | None, goal: dict) -> dict:
    """Traffic and agents needed (Erlang C and A) for one load; None figures without data."""
    if aht is None or calls_per_hour <= 0:
        return {"traffic": 0.0 if aht else None, "needed_c": 0 if aht else None,
                "needed_a": 0 if aht else None, "sl_c": None, "asa_c": None,
                "occupancy": None, "abandon_a": None}
    a = calls_per_hour * aht / 3600.0
    n_c = agents_needed(a, aht, goal["sl"], goal["t"])
    n_a = agents_needed_a(calls_per_hour, aht, patience, goal["sl"], goal["t"])
    abandon = erlang_a(n_a, calls_per_hour, aht, patience, goal["t"]).p_abandon \
        if patience else 0.0
    return {"traffic": a, "needed_c": n_c, "needed_a": n_a,
            "sl_c": service_level(n_c, a, aht, goal["t"]), "asa_c": asa(n_c, a, aht),
            "occupancy": occupancy(n_c, a), "abandon_a": abandon}


def queue_names(db) -> list[tuple[str, str]]:
    """(name, title) of every configured queue."""
    return [(r[0], r[1]) for r in db.execute("SELECT name, title FROM queues ORDER BY name")]


def now(db, at: int | None = None) -> list[dict]:
    """Per queue: calls in the last hour, AHT, patience and the agents needed right now."""
    at = int(at if at is not None else time.time())
    goal = target(db)
    out = []
    for name, title in queue_names(db):
        calls = db.execute("SELECT count(*) FROM report_calls WHERE queue = ? AND entered >= ? "
                           "AND entered < ?", [name, at - 3600, at]).fetchone()[0]
        h = handling(db, name, at - WEEKS * 7 * 86400, at)
        out.append({"queue": name, "title": title, "calls_per_hour": calls, **h,
                    **plan(calls, h["aht_s"], h["patience_s"], goal)})
    return out


def _local_epoch(day: dt.date, hour: int = 0) -> int:
    return int(time.mktime((day.year, day.month, day.day, hour, 0, 0, 0, 0, -1)))


def _past_days(weekday: int, weeks: int, at: int) -> list[dt.date]:
    """The last `weeks` local dates falling on `weekday` (0 = Monday) before today."""
    today = dt.date.fromtimestamp(at)
    back = (today.weekday() - weekday) % 7 or 7
    return [today - dt.timedelta(days=back + 7 * i) for i in range(weeks)]


def by_hour(db, queue: str, weekday: int, *, weeks: int = WEEKS, at: int | None = None) -> dict:
    """The per-hour plan of `queue` on a weekday: average calls per hour of the day over the
    last `weeks` such days, agents needed (C and A), and the agents measured logged in."""
    if not 0 <= int(weekday) <= 6:
        raise ValueError("weekday: use 0 (Monday) to 6 (Sunday)")
    at = int(at if at is not None else time.time())
    days = _past_days(int(weekday), weeks, at)
    goal = target(db)
    h = handling(db, queue, at - weeks * 7 * 86400, at)
    counts = [0] * 24
    logged = [0.0] * 24
    sessions = 0
    for day in days:
        start, end = _local_epoch(day), _local_epoch(day + dt.timedelta(days=1))
        for hour, n in db.execute(
                "SELECT CAST(strftime('%H', entered, 'unixepoch', 'localtime') AS INTEGER), "
                "count(*) FROM report_calls WHERE queue = ? AND entered >= ? AND entered < ? "
                "GROUP BY 1", [queue, start, end]):
            counts[hour] += n
        rows = db.execute(
            "SELECT start, coalesce(end, ?) FROM report_agent_time WHERE kind = 'session' "
            "AND start < ? AND coalesce(end, ?) > ? AND ',' || queues || ',' LIKE ?",
            [at, end, at, start, f"%,{queue},%"]).fetchall()
        sessions += len(rows)
        for hour in range(24):
            h0, h1 = _local_epoch(day, hour), _local_epoch(day, hour) + 3600
            logged[hour] += sum(max(0, min(e, h1) - max(s, h0)) for s, e in rows) / 3600.0
    hours = []
    for hour in range(24):
        rate = counts[hour] / weeks
        hours.append({"hour": hour, "calls_per_hour": rate,
                      "logged_in": logged[hour] / weeks if sessions else None,
                      **plan(rate, h["aht_s"], h["patience_s"], goal)})
    return {"queue": queue, "weekday": int(weekday), "weeks": weeks, "days": days,
            "goal": goal, **h, "hours": hours}
