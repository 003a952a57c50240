"""Polish texts of the staffing forecast (webui/staffing.py, templates/staffing/, the
wallboard's Staffing block).

Part of the panel's one catalogue: `i18n.CATALOG` merges STAFFING (ids another part already
translates keep their words).  The store's refusal (appliance.reports.staffing.E_TARGET)
is here word for word.
"""
from __future__ import annotations

from ..reports import staffing as _s

STAFFING: dict[str, str] = {
    "Staffing": "Obsada",
    "Staffing forecast": "Prognoza obsady",
    "forecast per hour": "prognoza na każdą godzinę",
    "How many agents a queue needs, per hour of the day, to answer the target share of calls "
    "within T seconds, from the calls the box measured.":
        "Ilu konsultantów potrzebuje kolejka w każdej godzinie dnia, by odebrać docelowy odsetek "
        "połączeń w ciągu T sekund, na podstawie połączeń zmierzonych przez centralę.",
    "Day of the week": "Dzień tygodnia",
    "Target: {pct} % of calls answered within {t} s.":
        "Cel: {pct} % połączeń odebranych w ciągu {t} s.",
    "No queues yet.": "Nie ma jeszcze kolejek.",
    "Average handling time (AHT)": "Średni czas obsługi (AHT)",
    "Talk time (average)": "Czas rozmowy (średnio)",
    "Mean patience of callers": "Średnia cierpliwość dzwoniących",
    "unknown (nobody gave up)": "nieznana (nikt się nie rozłączył)",
    "Answered / abandoned (last {weeks} weeks)": "Odebrane / porzucone (ostatnie {weeks} tyg.)",
    "No answered calls in this queue in the last weeks: the handling time, and so the agents "
    "needed, are not known yet.":
        "W ostatnich tygodniach ta kolejka nie odebrała żadnego połączenia: czas obsługi, a więc "
        "i potrzebna liczba konsultantów, nie są jeszcze znane.",
    "Averages over the same day of the week in the last {weeks} weeks: {days}.":
        "Średnie z tego samego dnia tygodnia w ostatnich {weeks} tygodniach: {days}.",
    "Agents per hour of the day": "Konsultanci w godzinach dnia",
    "Traffic (Erlangs)": "Ruch (erlangi)",
    "Needed (Erlang C)": "Potrzebni (Erlang C)",
    "Needed (Erlang A)": "Potrzebni (Erlang A)",
    "Logged in (average)": "Zalogowani (średnio)",
    "Target service level (%)": "Docelowy poziom obsługi (%)",
    "T is the service level threshold of the reports: change it in Definitions and thresholds.":
        "T to próg poziomu obsługi z raportów: zmienisz go w „Definicje i progi”.",
    "Target service level saved.": "Zapisano docelowy poziom obsługi.",
    "There is no such queue; choose one from the list.":
        "Nie ma takiej kolejki; wybierz ją z listy.",
    _s.E_TARGET: "docelowy poziom obsługi to liczba całkowita procent od 1 do 99",
    "How it is computed": "Jak to jest liczone",
    "Traffic A (Erlangs) = calls per hour × AHT / 3600. AHT = average talk time of the answered "
    "calls (hold included) + the queue's wrap-up time.":
        "Ruch A (erlangi) = połączenia na godzinę × AHT / 3600. AHT = średni czas rozmowy "
        "odebranych połączeń (z zawieszeniem) + czas po rozmowie ustawiony w kolejce.",
    "Erlang C (callers never give up), for N agents: P(wait) = N·B / (N − A·(1 − B)), where B is "
    "Erlang B; service level SL(T) = 1 − P(wait)·exp(−(N − A)·T / AHT); ASA = P(wait)·AHT / "
    "(N − A); occupancy = A / N.":
        "Erlang C (dzwoniący nigdy się nie rozłączają), dla N konsultantów: P(czekania) = N·B / "
        "(N − A·(1 − B)), gdzie B to Erlang B; poziom obsługi SL(T) = 1 − P(czekania)·"
        "exp(−(N − A)·T / AHT); ASA = P(czekania)·AHT / (N − A); obłożenie = A / N.",
    "Agents needed: the smallest N above A whose SL(T) reaches the target.":
        "Potrzebni konsultanci: najmniejsze N większe od A, dla którego SL(T) osiąga cel.",
    "Erlang A also lets callers give up after their patience: mean patience = total waiting time "
    "of all calls / calls abandoned. It is solved numerically; SL then counts calls answered "
    "within T among all calls offered. Impatient callers usually mean fewer agents are needed, "
    "at the price of abandoned calls.":
        "Erlang A uwzględnia też dzwoniących, którym kończy się cierpliwość: średnia cierpliwość "
        "= łączny czas oczekiwania wszystkich połączeń / liczba porzuconych. Model jest liczony "
        "numerycznie; SL to wtedy połączenia odebrane w ciągu T wśród wszystkich oferowanych. "
        "Niecierpliwi dzwoniący zwykle oznaczają, że potrzeba mniej konsultantów, kosztem "
        "porzuconych połączeń.",
    "Example: 360 calls per hour with AHT 180 s give A = 360 × 180 / 3600 = 18 Erlangs. With 22 "
    "agents SL(20 s) ≈ 82 % and ASA ≈ 12.5 s; 21 agents reach only about 70 %, so 80/20 needs "
    "22 agents.":
        "Przykład: 360 połączeń na godzinę przy AHT 180 s daje A = 360 × 180 / 3600 = 18 "
        "erlangów. Przy 22 konsultantach SL(20 s) ≈ 82 %, a ASA ≈ 12,5 s; 21 konsultantów "
        "osiąga tylko około 70 %, więc cel 80/20 wymaga 22 konsultantów.",
    "Agents needed now for the target service level, from the calls of the last hour, beside "
    "the agents logged in and not paused.":
        "Konsultanci potrzebni teraz do osiągnięcia docelowego poziomu obsługi (z połączeń "
        "ostatniej godziny) obok zalogowanych i niewstrzymanych.",
    "Needed now (Erlang C)": "Potrzebni teraz (Erlang C)",
    "Needed with abandons (Erlang A)": "Potrzebni z porzuceniami (Erlang A)",
    "Available (not paused)": "Dostępni (bez przerwy)",
    "Calls in the last hour": "Połączenia w ostatniej godzinie",
    "AHT (s)": "AHT (s)",
    "Live data unavailable: agents logged in are not known, so no colour.":
        "Brak danych na żywo: liczba zalogowanych nie jest znana, więc bez koloru.",
}
