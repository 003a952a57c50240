"""Polish texts of the reports pages (reports.py, templates reports*.html), of the exported
files' headers and of the monthly report (appliance.reports.monthly), including every label,
title and definition that appliance.reports.queries gives the panel.

Part of the panel's one catalogue: `i18n.CATALOG` merges REPORTS (English id -> Polish) and
`i18n.ENGLISH` merges REPORTS_ENGLISH (the drill-down keywords "where:status" -> English).
"""
from __future__ import annotations

REPORTS_ENGLISH: dict[str, str] = {
    "where:status": "status",
    "where:reason": "reason",
    "where:queue": "queue",
    "where:agent": "agent",
    "where:caller": "caller",
    "where:did": "number dialled",
    "where:sl": "service level",
    "where:short": "short",
    "where:hour": "hour",
    "where:day": "day",
    "where:wait_from": "wait from (s)",
    "where:wait_to": "wait below (s)",
    "where:attempts": "attempts",
    "where:disposition": "disposition",
    # the values of the reason and status columns, as queries.py gives them
    "value:caller": "caller",
    "value:agent": "agent",
    "value:transfer": "transfer",
    "value:abandon": "abandon",
    "value:timeout": "timeout",
    "value:key": "key",
    "value:empty": "empty",
    "value:full": "full",
    "value:joinempty": "joinempty",
    "value:unknown": "unknown",
    "value:withdraw": "withdraw",
    "value:answered": "answered",
    "value:unanswered": "unanswered",
    "value:waiting": "waiting",
    "value:talking": "talking",
    "value:in_progress": "in progress",
}

REPORTS: dict[str, str] = {
    # navigation and catalogue
    "Reports": "Raporty",
    "All reports": "Wszystkie raporty",
    "Definitions and thresholds": "Definicje i progi",
    "Monthly reports": "Raporty miesięczne",
    "Summaries": "Podsumowania",
    "Call and agent lists": "Listy połączeń i agentów",
    "Report": "Raport",
    "What it shows": "Co pokazuje",
    "Features": "Funkcje",
    # filter
    "Today": "Dziś",
    "Yesterday": "Wczoraj",
    "This week": "Ten tydzień",
    "Last week": "Poprzedni tydzień",
    "This month": "Ten miesiąc",
    "Last month": "Poprzedni miesiąc",
    "Period": "Okres",
    "A report covers at most {n} days; choose a shorter range.":
        "Raport obejmuje najwyżej {n} dni; wybierz krótszy okres.",
    "The end date {to} is before the start date {start}.":
        "Data końcowa {to} jest wcześniejsza niż początkowa {start}.",
    "How these numbers are computed": "Jak liczone są te wartości",
    # report pages
    "Figures": "Wskaźniki",
    "No calls in this period.": "Brak połączeń w tym okresie.",
    "No rows in this period.": "Brak wierszy w tym okresie.",
    "Rows: {n}": "Wierszy: {n}",
    "page {page} of {pages}": "strona {page} z {pages}",
    "Pages": "Strony",
    "Showing only": "Tylko",
    "Remove this filter": "Usuń ten filtr",
    "where:status": "stan",
    "where:reason": "powód",
    "where:queue": "kolejka",
    "where:agent": "agent",
    "where:caller": "dzwoniący",
    "where:did": "wybrany numer",
    "where:sl": "poziom obsługi",
    "where:short": "krótkie",
    "where:hour": "godzina",
    "where:day": "dzień",
    "where:wait_from": "czekanie od (s)",
    "where:wait_to": "czekanie poniżej (s)",
    "where:attempts": "próby",
    "where:disposition": "wynik",
    "value:caller": "dzwoniący",
    "value:agent": "agent",
    "value:transfer": "przekazanie",
    "value:abandon": "porzucenie",
    "value:timeout": "przekroczony czas",
    "value:key": "klawisz",
    "value:empty": "brak agentów",
    "value:full": "kolejka pełna",
    "value:joinempty": "brak zalogowanych",
    "value:unknown": "nieznany",
    "value:withdraw": "wycofane",
    "value:answered": "odebrane",
    "value:unanswered": "nieodebrane",
    "value:waiting": "czeka",
    "value:talking": "rozmowa",
    "value:in_progress": "w toku",
    "Export CSV": "Eksport CSV",
    "Export XLSX": "Eksport XLSX",
    "Printable page": "Wersja do druku",
    # call journey
    "Call journey": "Przebieg połączenia",
    "Listen to the recording": "Odsłuchaj nagranie",
    "Queue visits": "Pobyty w kolejkach",
    "Part": "Część",
    "Entered": "Wejście",
    "Reason": "Powód",
    "Events": "Zdarzenia",
    "Event": "Zdarzenie",
    "Data": "Dane",
    # exports
    "Export": "Eksport",
    "Preparing the file: {done} of {total} rows.": "Przygotowanie pliku: {done} z {total} wierszy.",
    "The file is ready.": "Plik jest gotowy.",
    "The export failed: {error}": "Eksport się nie udał: {error}",
    "Download {name}": "Pobierz {name}",
    "The file is kept for 24 hours.": "Plik jest przechowywany przez 24 godziny.",
    "Figure": "Wskaźnik",
    "Value": "Wartość",
    "Unit": "Jednostka",
    # definitions and thresholds
    "Thresholds": "Progi",
    "Service level threshold T (s)": "Próg poziomu obsługi T (s)",
    "Short abandon: shorter than (s)": "Krótkie porzucenie: krótsze niż (s)",
    "Short call: talk shorter than (s)": "Krótka rozmowa: krótsza niż (s)",
    "Only an administrator changes the thresholds.": "Progi zmienia tylko administrator.",
    "How each number is computed": "Jak liczona jest każda wartość",
    "Report thresholds saved.": "Progi raportów zapisane.",
    # monthly reports
    "On the 1st of every month the box makes the report of the month before.":
        "Pierwszego dnia każdego miesiąca urządzenie tworzy raport za poprzedni miesiąc.",
    "Month": "Miesiąc",
    "Made": "Utworzono",
    "E-mailed to": "Wysłano do",
    "No monthly report yet.": "Nie ma jeszcze raportu miesięcznego.",
    "Make a monthly report now": "Utwórz raport miesięczny teraz",
    "Make it now": "Utwórz teraz",
    "E-mail the monthly report": "Wysyłka raportu miesięcznego e-mailem",
    "Recipients (e-mail addresses, separated by commas; empty: none)":
        "Odbiorcy (adresy e-mail rozdzielone przecinkami; puste: nikt)",
    "Sent through the SMTP server set for alarms.":
        "Wysyłane przez serwer SMTP ustawiony dla alarmów.",
    "Not an e-mail address: {value}": "To nie jest adres e-mail: {value}",
    "Recipients of the monthly report saved.": "Odbiorcy raportu miesięcznego zapisani.",
    "The monthly report for {month} is ready.": "Raport miesięczny za {month} jest gotowy.",
    "Monthly operations report": "Miesięczny raport operacyjny",
    "Incidents": "Incydenty",
    "No incidents in this month.": "Brak incydentów w tym miesiącu.",
}

# every label, title, description and definition of appliance.reports.queries (LABELS,
# REPORTS, DEFINITIONS): the panel translates them when it shows a report
REPORTS.update({
    # catalogue
    "Overview": "Przegląd",
    "Headline figures, calls per hour and per day, service level per day and the wait-time distribution (agent occupancy is in Agent time).":
        "Najważniejsze wskaźniki, połączenia na godzinę i na dzień, poziom obsługi na dzień "
        "i rozkład czasu czekania (obciążenie agentów jest w raporcie „Czas agentów”).",
    "Answered calls": "Połączenia odebrane",
    "Every answered call: time, queue, caller, wait, talk time, agent, recording.":
        "Każde odebrane połączenie: czas, kolejka, dzwoniący, czekanie, czas rozmowy, agent, nagranie.",
    "Answered calls summary": "Podsumowanie połączeń odebranych",
    "Talk and wait times, agents available, per agent, per queue, who hung up, calls per caller number.":
        "Czasy rozmów i czekania, dostępni agenci, według agenta, według kolejki, kto się "
        "rozłączył, połączenia według numeru dzwoniącego.",
    "Unanswered calls": "Połączenia nieodebrane",
    "Every unanswered call: time, queue, reason, wait before hangup, position, key pressed.":
        "Każde nieodebrane połączenie: czas, kolejka, powód, czekanie do rozłączenia, pozycja, "
        "naciśnięty klawisz.",
    "Unanswered calls summary": "Podsumowanie połączeń nieodebranych",
    "Time before hangup, position at hangup, reasons, per queue, abandon rate.":
        "Czas do rozłączenia, pozycja przy rozłączeniu, powody, według kolejki, wskaźnik porzuceń.",
    "All queue calls": "Wszystkie połączenia w kolejkach",
    "Every visit of a caller to a queue, answered or not.":
        "Każdy pobyt dzwoniącego w kolejce, odebrany lub nie.",
    "Outbound calls summary": "Podsumowanie połączeń wychodzących",
    "Outbound calls placed by agents: answered, unanswered, durations, per agent.":
        "Połączenia wychodzące agentów: odebrane, nieodebrane, czasy trwania, według agenta.",
    "Outbound calls": "Połączenia wychodzące",
    "Every outbound call from the CDR: agent, number, result, duration.":
        "Każde połączenie wychodzące z CDR: agent, numer, wynik, czas trwania.",
    "All calls per number": "Wszystkie połączenia według numeru",
    "Calls (journeys) per caller number with % answered and % unanswered.":
        "Połączenia (przebiegi) według numeru dzwoniącego z % odebranych i % nieodebranych.",
    "Calls (journeys)": "Połączenia (przebiegi)",
    "Every call as the caller lived it: all the queues it passed, answered or not.":
        "Każde połączenie tak, jak przeżył je dzwoniący: wszystkie kolejki, przez które "
        "przeszło, odebrane lub nie.",
    "Caller numbers": "Numery dzwoniących",
    "Every caller number with its calls, % answered and % unanswered.":
        "Każdy numer dzwoniącego z jego połączeniami, % odebranych i % nieodebranych.",
    "Agents available, work time, session lengths, calls answered per queue.":
        "Dostępni agenci, czas pracy, długości sesji, połączenia odebrane według kolejki.",
    "ACD attempts": "Próby ACD",
    "How many agents were rung per call, for answered and unanswered calls.":
        "Do ilu agentów dzwoniło jedno połączenie, dla odebranych i nieodebranych.",
    "Agent time": "Czas agentów",
    "Work time with pauses, pause time per reason, sessions, calls and call times, share of all answered calls, occupancy.":
        "Czas pracy z przerwami, czas przerw według powodu, sesje, połączenia i ich czasy, "
        "udział we wszystkich odebranych, obciążenie.",
    "Agent sessions": "Sesje agentów",
    "Every agent session (login to logout) with its pauses.":
        "Każda sesja agenta (od zalogowania do wylogowania) z jej przerwami.",
    "Agent pauses": "Przerwy agentów",
    "Every pause with its reason and length.": "Każda przerwa z powodem i długością.",
    "Per queue: offered, answered, unanswered, average wait and talk, service level, ASA, abandon rate.":
        "Według kolejki: oferowane, odebrane, nieodebrane, średnie czekanie i rozmowa, poziom "
        "obsługi, ASA, wskaźnik porzuceń.",
    # labels
    "Abandon rate": "Wskaźnik porzuceń",
    "Abandoned": "Porzucone",
    "Abandoned within service level": "Porzucone w czasie poziomu obsługi",
    "Agent calls and share": "Połączenia agenta i udział",
    "Agent filter": "Filtr agentów",
    "Agent occupancy": "Obciążenie agentów",
    "Agent session and work time": "Sesja i czas pracy agenta",
    "Agents available": "Dostępni agenci",
    "Answered %": "Odebrane %",
    "Answered after service level": "Odebrane po czasie poziomu obsługi",
    "Answered within service level": "Odebrane w czasie poziomu obsługi",
    "Average attempts, answered calls": "Średnio prób, odebrane",
    "Average attempts, unanswered calls": "Średnio prób, nieodebrane",
    "Average position at hangup": "Średnia pozycja przy rozłączeniu",
    "Average session": "Średnia sesja",
    "Average speed of answer": "Średni czas do odebrania",
    "Average speed of answer (ASA)": "Średni czas do odebrania (ASA)",
    "Average talk time": "Średni czas rozmowy",
    "Average wait": "Średnie czekanie",
    "Average wait before hangup": "Średnie czekanie do rozłączenia",
    "Call (in queue reports)": "Połączenie (w raportach kolejek)",
    "Call as the caller lived it (journey)": "Połączenie tak, jak przeżył je dzwoniący (przebieg)",
    "Call id": "Identyfikator połączenia",
    "Calls": "Połączenia",
    "Calls (also those still in progress)": "Połączenia (także trwające)",
    "Calls answered per queue and agent": "Połączenia odebrane według kolejki i agenta",
    "Calls by number of attempts": "Połączenia według liczby prób",
    "Calls offered": "Połączenia oferowane",
    "Calls per caller number (top 20)": "Połączenia według numeru dzwoniącego (20 pierwszych)",
    "Calls per caller number (top 20; all in Caller numbers)":
        "Połączenia według numeru dzwoniącego (20 pierwszych; wszystkie w Numerach dzwoniących)",
    "Calls per day": "Połączenia na dzień",
    "Calls per hour": "Połączenia na godzinę",
    "Days and hours": "Dni i godziny",
    "Ended by": "Zakończył",
    "Entered queue": "Wejście do kolejki",
    "Fewest attempts, answered calls": "Najmniej prób, odebrane",
    "Fewest attempts, unanswered calls": "Najmniej prób, nieodebrane",
    "Highest position at hangup": "Najdalsza pozycja przy rozłączeniu",
    "IVR keys": "Klawisze IVR",
    "In progress": "W toku",
    "Key pressed": "Naciśnięty klawisz",
    "Left with a key": "Wyjście klawiszem",
    "Length in period": "Długość w okresie",
    "Logged out": "Wylogowanie",
    "Longest session": "Najdłuższa sesja",
    "Longest talk time": "Najdłuższa rozmowa",
    "Longest wait before hangup": "Najdłuższe czekanie do rozłączenia",
    "Lowest position at hangup": "Najbliższa pozycja przy rozłączeniu",
    "Most attempts, answered calls": "Najwięcej prób, odebrane",
    "Most attempts, unanswered calls": "Najwięcej prób, nieodebrane",
    "No agents": "Brak agentów",
    "Occupancy": "Obciążenie",
    "Pause time in period": "Czas przerw w okresie",
    "Pause time per reason": "Czas przerw według powodu",
    "Pauses": "Przerwy",
    "Per agent": "Według agenta",
    "Per queue": "Według kolejki",
    "Position at hangup": "Pozycja przy rozłączeniu",
    "Position on entry": "Pozycja przy wejściu",
    "Queue filter": "Filtr kolejek",
    "Queue full": "Kolejka pełna",
    "Queues visited": "Odwiedzone kolejki",
    "Reasons": "Powody",
    "Refused, no agents": "Odrzucone, brak agentów",
    "Result": "Wynik",
    "Results": "Wyniki",
    "Service level (inclusive)": "Poziom obsługi (z porzuceniami)",
    "Service level per day": "Poziom obsługi na dzień",
    "Sessions": "Sesje",
    "Share": "Udział",
    "Share of answered calls": "Udział w odebranych",
    "Short abandons": "Krótkie porzucenia",
    "Short abandons and short calls": "Krótkie porzucenia i krótkie rozmowy",
    "Short calls": "Krótkie rozmowy",
    "Shortest session": "Najkrótsza sesja",
    "Shortest talk time": "Najkrótsza rozmowa",
    "Shortest wait": "Najkrótsze czekanie",
    "Shortest wait before hangup": "Najkrótsze czekanie do rozłączenia",
    "Started": "Początek",
    "Talking now": "Rozmawiają teraz",
    "Timed out": "Przekroczony czas",
    "Total talk time": "Łączny czas rozmów",
    "Total wait": "Łączne czekanie",
    "Total wait before hangup": "Łączne czekanie do rozłączenia",
    "Unanswered": "Nieodebrane",
    "Unanswered %": "Nieodebrane %",
    "Unanswered and the reason": "Nieodebrane i powód",
    "Unknown end": "Nieznane zakończenie",
    "Unpaused": "Koniec przerwy",
    "Wait before hangup": "Czekanie do rozłączenia",
    "Wait time distribution": "Rozkład czasu czekania",
    "Waiting now": "Czekają teraz",
    "Who ended the call": "Kto zakończył połączenie",
    "Work time": "Czas pracy",
    "Work time without pauses": "Czas pracy bez przerw",
    # definitions
    "A short abandon is an abandon with wait < S seconds; a short call is an answered call with talk time < C seconds (default 5 s). Both thresholds are set below.":
        "Krótkie porzucenie to porzucenie z czekaniem < S sekund; krótka rozmowa to odebrane "
        "połączenie z czasem rozmowy < C sekund (domyślnie 5 s). Oba progi ustawia się niżej.",
    "Abandons with wait >= S / (answered + abandons with wait >= S) x 100 %. Abandons shorter than S seconds (short abandons, default S = 5 s; mostly wrong numbers) are left out of it; timeouts, keys and refused calls are not abandons.":
        "Porzucenia z czekaniem >= S / (odebrane + porzucenia z czekaniem >= S) x 100 %. "
        "Porzucenia krótsze niż S sekund (krótkie porzucenia, domyślnie S = 5 s; zwykle "
        "pomyłki) są pominięte; przekroczenie czasu, wyjście klawiszem i odmowa wejścia nie są "
        "porzuceniami.",
    "Agents rung for one call: each ring that was not answered (RINGNOANSWER, also logged when a phone answers busy) or was cut short when the caller left (RINGCANCELED), plus 1 for the agent who answered (CONNECT). Agents the queue skipped (paused, busy) are not rung and not counted. Averages, minimum and maximum are per call, for answered and for unanswered calls separately; 0 = nobody was rung.":
        "Agenci, do których dzwoniło jedno połączenie: każdy nieodebrany dzwonek "
        "(RINGNOANSWER, zapisywany też, gdy telefon odpowie „zajęte”) lub przerwany, bo "
        "dzwoniący odszedł (RINGCANCELED), plus 1 za agenta, który odebrał (CONNECT). Agenci "
        "pominięci przez kolejkę (na przerwie, zajęci) nie dzwonią i nie są liczeni. Średnia, "
        "minimum i maksimum są na połączenie, osobno dla odebranych i nieodebranych; 0 = do "
        "nikogo nie dzwoniło.",
    "Agents who were logged in (had a session) at any moment of the period, or answered at least one call in it (agents who are always members of their queues have no sessions; they count when they answered).":
        "Agenci zalogowani (mający sesję) w dowolnej chwili okresu albo tacy, którzy odebrali "
        "w nim choć jedno połączenie (agenci stale przypisani do kolejek nie mają sesji; liczą "
        "się, gdy odebrali).",
    "All visits of one caller's call (one Asterisk call id) to queues, counted by the time it entered its first queue. It is answered when any of its visits was answered, in progress while a visit is still waiting or talking, else unanswered. % answered and % unanswered are of all journeys; calls in progress are in neither, so the two may not add up to 100 % while calls are in progress. A queue filter keeps journeys that visited one of the queues; an agent filter keeps journeys answered by one of the agents.":
        "Wszystkie pobyty w kolejkach jednego połączenia dzwoniącego (jeden identyfikator "
        "połączenia Asteriska), liczone według chwili wejścia do pierwszej kolejki. Jest "
        "odebrane, gdy którykolwiek pobyt został odebrany, w toku, gdy któryś pobyt jeszcze "
        "czeka lub trwa rozmowa, w przeciwnym razie nieodebrane. % odebranych i % "
        "nieodebranych liczone są od wszystkich przebiegów; połączenia w toku nie należą do "
        "żadnej grupy, więc suma może nie dawać 100 %, dopóki trwają. Filtr kolejek zostawia "
        "przebiegi, które odwiedziły jedną z kolejek; filtr agentów — przebiegi odebrane przez "
        "jednego z agentów.",
    'An agent took the call (CONNECT) and it has ended: the caller hung up (COMPLETECALLER), the agent hung up (COMPLETEAGENT) or the agent transferred it (TRANSFER, BLINDTRANSFER, ATTENDEDTRANSFER). "Ended by" tells which.':
        "Agent przyjął połączenie (CONNECT) i zostało ono zakończone: rozłączył się dzwoniący "
        "(COMPLETECALLER), rozłączył się agent (COMPLETEAGENT) albo agent je przekazał "
        "(TRANSFER, BLINDTRANSFER, ATTENDEDTRANSFER). „Zakończył” mówi, który przypadek.",
    "Answered calls with wait <= T / (answered + unanswered calls other than short abandons) x 100 %: callers who gave up count against it.":
        "Odebrane z czekaniem <= T / (odebrane + nieodebrane poza krótkimi porzuceniami) x "
        "100 %: dzwoniący, którzy zrezygnowali, obniżają wynik.",
    "Answered calls with wait <= T seconds / answered calls x 100 %. T is set below (default 20 s). Drill-down: the answered calls with wait <= T.":
        "Odebrane z czekaniem <= T sekund / odebrane x 100 %. T ustawia się niżej (domyślnie "
        "20 s). Szczegóły: odebrane połączenia z czekaniem <= T.",
    "Calls agents placed to outside numbers, from Asterisk's CDR, by the time they started. Answered = the CDR disposition ANSWERED; unanswered = any other result (NO ANSWER, BUSY, FAILED, CONGESTION). Talk time = billsec (from answer to hangup), over answered calls.":
        "Połączenia agentów na numery zewnętrzne, z CDR Asteriska, według chwili rozpoczęcia. "
        "Odebrane = wynik CDR ANSWERED; nieodebrane = każdy inny wynik (NO ANSWER, BUSY, "
        "FAILED, CONGESTION). Czas rozmowy = billsec (od odebrania do rozłączenia), dla "
        "odebranych.",
    "Calls the agent answered in the period (by the time the call entered the queue), their talk time total, average, shortest and longest, and their share = the agent's answered calls / all answered calls of the period and queues x 100 %.":
        "Połączenia odebrane przez agenta w okresie (według chwili wejścia do kolejki), ich "
        "łączny, średni, najkrótszy i najdłuższy czas rozmowy oraz udział = odebrane przez "
        "agenta / wszystkie odebrane w okresie i kolejkach x 100 %.",
    "From PAUSE / PAUSEALL to UNPAUSE / UNPAUSEALL (paused in any queue = paused), with the reason the agent chose; seconds inside the period. Work time without pauses = work time - pause time.":
        "Od PAUSE / PAUSEALL do UNPAUSE / UNPAUSEALL (przerwa w dowolnej kolejce = przerwa), z "
        "powodem wybranym przez agenta; sekundy w obrębie okresu. Czas pracy bez przerw = "
        "czas pracy - czas przerw.",
    "From the ADDMEMBER that put the agent in their first queue to the REMOVEMEMBER that took them out of the last one. Work time = the seconds of sessions inside the period (a session still open counts up to now; one that began before the period counts from its start). Session lengths (average, shortest, longest) are these in-period lengths. Agents who are always members of their queues have no sessions: their work time is not measured and shows empty, not 0.":
        "Od ADDMEMBER, który dodał agenta do pierwszej kolejki, do REMOVEMEMBER, który usunął "
        "go z ostatniej. Czas pracy = sekundy sesji w obrębie okresu (sesja wciąż otwarta "
        "liczy się do teraz; rozpoczęta przed okresem — od jego początku). Długości sesji "
        "(średnia, najkrótsza, najdłuższa) to te długości w okresie. Agenci stale przypisani "
        "do kolejek nie mają sesji: ich czas pracy nie jest mierzony i jest pusty, nie 0.",
    "In queue-call reports an agent filter keeps the calls those agents answered. Unanswered calls have no agent, so with an agent filter they are not shown and unanswered counts, abandon rate and inclusive service level are about the chosen agents' calls only. In agent-time reports it keeps those agents.":
        "W raportach połączeń w kolejkach filtr agentów zostawia połączenia odebrane przez tych "
        "agentów. Nieodebrane nie mają agenta, więc przy filtrze agentów nie są pokazywane, a "
        "liczby nieodebranych, wskaźnik porzuceń i poziom obsługi z porzuceniami dotyczą tylko "
        "połączeń wybranych agentów. W raportach czasu agentów zostawia tych agentów.",
    "In queue-call reports: visits to those queues. In agent-time reports: agents who had a session that covered one of those queues during the period, with all their sessions and pauses. Outbound calls are not in queues, so the filter does not change them.":
        "W raportach połączeń w kolejkach: pobyty w tych kolejkach. W raportach czasu agentów: "
        "agenci, którzy mieli w okresie sesję obejmującą jedną z tych kolejek, ze wszystkimi "
        "sesjami i przerwami. Połączenia wychodzące nie są w kolejkach, więc filtr ich nie "
        "zmienia.",
    "One caller's visit to one queue, counted in the period by the second it entered the queue (ENTERQUEUE in Asterisk's queue_log). A call that overflows from one queue to another is two visits, one per queue. Calls still waiting or talking are shown as such and are in neither answered nor unanswered until they end.":
        "Jeden pobyt dzwoniącego w jednej kolejce, przypisany do okresu według sekundy wejścia "
        "do kolejki (ENTERQUEUE w queue_log Asteriska). Połączenie przelane z jednej kolejki do "
        "drugiej to dwa pobyty, po jednym na kolejkę. Połączenia, które wciąż czekają lub "
        "trwają, są tak pokazywane i do końca nie należą ani do odebranych, ani do "
        "nieodebranych.",
    "Seconds from the agent answering to the end of the call or the transfer (calltime of COMPLETECALLER / COMPLETEAGENT / TRANSFER). Total, average, shortest and longest are over answered calls.":
        "Sekundy od odebrania przez agenta do końca połączenia lub przekazania (calltime z "
        "COMPLETECALLER / COMPLETEAGENT / TRANSFER). Suma, średnia, minimum i maksimum są "
        "liczone z odebranych.",
    "Seconds in the queue as Asterisk counted them: for an answered call from entering the queue to the agent answering (CONNECT holdtime; IVR time before the queue is not included); for an unanswered call the time before the caller left (waittime of ABANDON / EXITWITHTIMEOUT / EXITWITHKEY / EXITEMPTY); 0 when refused at the door. Average wait = wait of answered and unanswered calls / their number.":
        "Sekundy w kolejce tak, jak policzył je Asterisk: dla odebranego od wejścia do kolejki "
        "do odebrania przez agenta (holdtime z CONNECT; czas w IVR przed kolejką się nie "
        "liczy); dla nieodebranego czas do odejścia dzwoniącego (waittime z ABANDON / "
        "EXITWITHTIMEOUT / EXITWITHKEY / EXITEMPTY); 0 przy odmowie wejścia. Średnie czekanie "
        "= czekanie odebranych i nieodebranych / ich liczba.",
    "Sum of the wait of answered calls / answered calls, in seconds.":
        "Suma czekania odebranych / liczba odebranych, w sekundach.",
    "Talk time of the agent's answered calls / (work time - pause time) x 100 %. Empty for agents without sessions. After-call work is not separated from ready time, so it counts as not occupied.":
        "Czas rozmów odebranych przez agenta / (czas pracy - czas przerw) x 100 %. Puste dla "
        "agentów bez sesji. Praca po rozmowie nie jest oddzielana od gotowości, więc liczy się "
        "jako czas bez obciążenia.",
    "The caller left the queue without an agent: abandon = hung up while waiting (ABANDON); timeout = the queue's maximum wait was reached (EXITWITHTIMEOUT); key = left by pressing a key (EXITWITHKEY, the key is shown); empty = no agent could take calls (EXITEMPTY); full / joinempty = the queue refused the caller before they entered (full, or no agents logged in); withdraw = an operator took the caller out of the queue (WITHDRAW); unknown = Asterisk logged no end (e.g. it restarted) and the call was closed 6 hours after its last event.":
        "Dzwoniący opuścił kolejkę bez agenta: abandon = rozłączył się, czekając (ABANDON); "
        "timeout = minął maksymalny czas czekania kolejki (EXITWITHTIMEOUT); key = wyszedł, "
        "naciskając klawisz (EXITWITHKEY, klawisz jest pokazany); empty = żaden agent nie mógł "
        "przyjmować połączeń (EXITEMPTY); full / joinempty = kolejka nie wpuściła dzwoniącego "
        "(pełna albo brak zalogowanych agentów); withdraw = operator wyjął dzwoniącego z "
        "kolejki (WITHDRAW); unknown = Asterisk nie zapisał końca (np. "
        "restart) i połączenie zamknięto 6 godzin po ostatnim zdarzeniu.",
    "Taken out of the queue": "Wyjęty z kolejki przez operatora",
    "The caller's place in the queue when they left (1 = next to be answered), as logged by Asterisk; averages are over unanswered calls that have a position.":
        "Miejsce dzwoniącego w kolejce, gdy odszedł (1 = następny do odebrania), według zapisu "
        "Asteriska; średnie liczone z nieodebranych, które mają pozycję.",
    "The period runs from local midnight of the first day to local midnight after the last. Calls per hour and per day use the box's local time.":
        "Okres trwa od lokalnej północy pierwszego dnia do lokalnej północy po ostatnim. "
        "Połączenia na godzinę i na dzień liczone są w czasie lokalnym urządzenia.",
})
