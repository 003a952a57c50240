"""Polish texts of the call-center alarms page (queue_alarms.py, /supervisor/alarms/) and
the titles of the call-center checks (appliance.store.alerts.CHECKS, owner "calld").

Part of the panel's one catalogue: `i18n.CATALOG` merges QUEUE_ALARMS (English id ->
Polish).  Texts the page shares with the alarms page (Check, Warning at, Save...) are in
i18n_alerts.py.
"""
from __future__ import annotations

QUEUE_ALARMS: dict[str, str] = {
    # check titles (appliance.store.alerts.CHECKS)
    "Agents answering in a queue": "Agenci odbierający w kolejce",
    "Callers waiting in a queue": "Dzwoniący czekający w kolejce",
    "Longest wait in a queue": "Najdłuższe oczekiwanie w kolejce",
    "Service level of a queue today": "Poziom obsługi kolejki dzisiaj",
    "Agent paused for long": "Agent długo na przerwie",
    # the page
    "Call-center alarms": "Alarmy centrum obsługi",
    "Alarms about queues and agents, checked every second on the live picture and sent like "
    "the box's alarms (SMS, e-mail, LED, banner). Where messages go is set by the "
    "administrator on the alarms page.":
        "Alarmy dotyczące kolejek i agentów, sprawdzane co sekundę na bieżącym obrazie "
        "i wysyłane jak alarmy urządzenia (SMS, e-mail, dioda LED, baner). Dokąd trafiają "
        "wiadomości, ustala administrator na stronie alarmów.",
    "All alarms": "Wszystkie alarmy",
    "Active call-center alarms": "Aktywne alarmy centrum obsługi",
    "No active call-center alarms.": "Brak aktywnych alarmów centrum obsługi.",
    "Rules for all queues": "Reguły dla wszystkich kolejek",
    "Agents taking calls: logged in and not paused (on a call counts); checked while someone "
    "is logged in to the queue or a caller waits. Service level: checked once the queue had "
    "10 calls today. Lower values are worse for these two. An alarm clears when the value is "
    "back past the level by the hysteresis. Repeat: send again after so many minutes while "
    "unacknowledged (0: never). Escalate: a warning becomes critical after so many minutes "
    "(0: never).":
        "Agenci odbierający: zalogowani i nie na przerwie (rozmowa się liczy); sprawdzane, "
        "gdy ktoś jest zalogowany do kolejki lub czeka dzwoniący. Poziom obsługi: sprawdzany, "
        "gdy kolejka miała dziś 10 połączeń. Dla tych dwóch niższe wartości są gorsze. Alarm "
        "ustępuje, gdy wartość wróci za próg o histerezę. Powtórz: wyślij ponownie po tylu "
        "minutach, dopóki nikt nie potwierdzi (0: nigdy). Eskaluj: ostrzeżenie staje się "
        "krytyczne po tylu minutach (0: nigdy).",
    "Rules for one queue": "Reguły dla jednej kolejki",
    "A queue with its own rule for a check uses it instead of the rule for all queues.":
        "Kolejka z własną regułą dla danej kontroli używa jej zamiast reguły dla wszystkich "
        "kolejek.",
    "{check}, queue {queue}": "{check}, kolejka {queue}",
    "Remove": "Usuń",
    "No queue has a rule of its own.": "Żadna kolejka nie ma własnej reguły.",
    "Add a rule for one queue": "Dodaj regułę dla jednej kolejki",
    "An empty field takes the value of the rule for all queues; repeat, escalation and "
    "channels start as there and can be changed in the table.":
        "Puste pole przyjmuje wartość z reguły dla wszystkich kolejek; powtarzanie, eskalacja "
        "i kanały są początkowo takie same i można je zmienić w tabeli.",
    "Add": "Dodaj",
    "There are no queues yet.": "Nie ma jeszcze kolejek.",
    # messages
    "Alarm rule saved.": "Reguła alarmu zapisana.",
    "Queue {queue} now has its own rule.": "Kolejka {queue} ma teraz własną regułę.",
    "Queue {queue} follows the rule for all queues again.":
        "Kolejka {queue} znów korzysta z reguły dla wszystkich kolejek.",
    "choose what to watch (a queue check)": "Wybierz, co sprawdzać (kontrolę kolejki).",
    "choose a queue": "Wybierz kolejkę.",
}
