"""Polish texts of the live pages: wallboard (supervisor.py), agent desk (agent.py),
operator panel (operator.py), pause reasons (pauses.py) and the messages of livefeed.py.

Part of the panel's one catalogue: `i18n.CATALOG` merges LIVE (English id -> Polish) and
`i18n.ENGLISH` merges LIVE_ENGLISH (the state keywords "state:on_call" -> English).
"""
from __future__ import annotations

LIVE_ENGLISH: dict[str, str] = {
    "state:logged_out": "logged out",
    "state:ready": "ready",
    "state:ringing": "ringing",
    "state:on_call": "on a call",
    "state:wrap_up": "wrap-up",
    "state:paused": "paused",
    "state:unavailable": "unavailable",
    "state:ivr": "in the IVR",
    "state:queued": "waiting in queue",
    "state:talking": "talking",
    "state:parked": "parked",
    "state:conference": "in a conference",
    "state:dialing": "dialling",
}

LIVE: dict[str, str] = {
    # navigation
    "Wallboard": "Tablica",
    "Operator": "Operator",
    "Desk": "Stanowisko",
    "Pause reasons": "Powody przerw",
    # states
    "state:logged_out": "wylogowany",
    "state:ready": "gotowy",
    "state:ringing": "dzwoni",
    "state:on_call": "w rozmowie",
    "state:wrap_up": "po rozmowie",
    "state:paused": "przerwa",
    "state:unavailable": "niedostępny",
    "state:ivr": "w IVR",
    "state:queued": "czeka w kolejce",
    "state:talking": "rozmowa",
    "state:parked": "zaparkowane",
    "state:conference": "konferencja",
    "state:dialing": "wybieranie",
    # shared live pieces
    "Live data unavailable": "Dane na żywo niedostępne",
    "Asterisk is not connected to the live service: calls and agents cannot be shown.":
        "Asterisk nie jest połączony z usługą na żywo: nie można pokazać połączeń ani agentów.",
    "the live call-center service is not configured":
        "usługa call center na żywo nie jest skonfigurowana",
    "the live call-center service is not running (jns-calld)":
        "usługa call center na żywo nie działa (jns-calld)",
    "the live event stream ended": "strumień zdarzeń na żywo się zakończył",
    "connecting to the live call-center service": "łączenie z usługą call center na żywo",
    "the live call-center service closed the connection":
        "usługa call center na żywo zamknęła połączenie",
    "too many live screens are open; close one or try again later":
        "otwarto zbyt wiele ekranów na żywo; zamknij któryś lub spróbuj później",
    "Waiting": "Czekający",
    "Longest wait": "Najdłuższe czekanie",
    "Logged in": "Zalogowani",
    "Free": "Wolni",
    "Busy": "Zajęci",
    "Paused": "Na przerwie",
    "Answered today": "Odebrane dziś",
    "Abandoned today": "Porzucone dziś",
    "Outbound today": "Wychodzące dziś",
    "Service level": "Poziom obsługi",
    "Caller": "Dzwoniący",
    "Queue": "Kolejka",
    "State": "Stan",
    "Wait": "Czekanie",
    "Talk": "Rozmowa",
    "In state": "W stanie od",
    "Logged in since": "Zalogowany od",
    "Last login / logout": "Ostatnie logowanie / wylogowanie",
    "Queues": "Kolejki",
    "Answered": "Odebrane",
    "Talk time": "Czas rozmów",
    "Outbound": "Wychodzące",
    "Pause time": "Czas przerw",
    # wallboard
    "Live calls": "Połączenia na żywo",
    "No calls right now.": "Teraz nie ma połączeń.",
    "Link your phone in Users to listen to calls.":
        "Aby podsłuchiwać rozmowy, powiąż swój telefon na stronie Użytkownicy.",
    "Listen": "Słuchaj",
    "Whisper": "Podpowiadaj",
    "Barge": "Włącz się",
    "Alarm rules": "Reguły alarmów",
    "Listening started: your phone rings.": "Podsłuch rozpoczęty: dzwoni Twój telefon.",
    "Whisper started: your phone rings.": "Podpowiadanie rozpoczęte: dzwoni Twój telefon.",
    "Barge-in started: your phone rings.": "Włączenie się rozpoczęte: dzwoni Twój telefon.",
    "Done.": "Gotowe.",
    # agent desk
    "Agent desk": "Stanowisko agenta",
    "Your user is not linked to a phone extension; an admin links it on the Users page.":
        "Twój użytkownik nie jest powiązany z numerem wewnętrznym; administrator powiąże "
        "go na stronie Użytkownicy.",
    "Logged in to": "Zalogowany do",
    "You are always logged in to your queues.": "Jesteś zawsze zalogowany do swoich kolejek.",
    "No queues are assigned to you.": "Nie przypisano Ci żadnej kolejki.",
    "Log out of the queues": "Wyloguj się z kolejek",
    "Pause reason": "Powód przerwy",
    "Pause": "Przerwa",
    "Ready (end pause)": "Gotowy (koniec przerwy)",
    "Current call": "Bieżące połączenie",
    "No call right now.": "Teraz nie masz połączenia.",
    "Call a number": "Zadzwoń pod numer",
    "Number": "Numer",
    "Call": "Zadzwoń",
    "Today": "Dziś",
    "My queues": "Moje kolejki",
    # the CRM's screen pop on the desk (static/crm_desk.js) and click to dial (crm_calls.py)
    "Note template": "Szablon notatki",
    "No template": "Bez szablonu",
    "Note": "Notatka",
    "Private note (only you and admins)": "Notatka prywatna (tylko Ty i administratorzy)",
    "Save note": "Zapisz notatkę",
    "Saving...": "Zapisywanie...",
    "The panel did not answer; try again.": "Panel nie odpowiedział; spróbuj ponownie.",
    "The call's recording is attached when the call ends.":
        "Nagranie rozmowy zostanie dołączone po jej zakończeniu.",
    "Not saved:": "Nie zapisano:",
    "Company": "Firma",
    "Owner": "Opiekun",
    "Tags": "Etykiety",
    "Open tasks": "Otwarte zadania",
    "Caller": "Dzwoniący",
    "Close": "Zamknij",
    "Looking the caller up in the CRM...": "Szukam dzwoniącego w CRM...",
    "This number is not in the CRM.": "Tego numeru nie ma w CRM.",
    "New contact with this number": "Nowy kontakt z tym numerem",
    "The CRM could not be asked; open it from the menu.":
        "Nie udało się zapytać CRM; otwórz go z menu.",
    "That number is not one of this contact's numbers.":
        "To nie jest żaden z numerów tego kontaktu.",
    "You are logged in.": "Zalogowano do kolejek.",
    "Tick the queues to log in to.": "Zaznacz kolejki, do których chcesz się zalogować.",
    "You are logged out of the queues.": "Wylogowano z kolejek.",
    "You are paused.": "Masz przerwę.",
    "You are ready for calls again.": "Znów jesteś gotowy do odbierania połączeń.",
    "Your phone rings; pick it up to call the number.":
        "Dzwoni Twój telefon; podnieś słuchawkę, aby połączyć się z numerem.",
    # operator
    "Link your phone in Users to pick up calls.":
        "Aby odbierać połączenia, powiąż swój telefon na stronie Użytkownicy.",
    "Link your phone in Users to join a conference.":
        "Aby dołączyć do konferencji, powiąż swój telefon na stronie Użytkownicy.",
    "Drag a call here to transfer it": "Przeciągnij tu połączenie, aby je przekazać",
    "Conference": "Konferencja",
    "Actions": "Działania",
    "Transfer to": "Przekaż do",
    "Transfer to…": "Przekaż do…",
    "Transfer": "Przekaż",
    "Pick up": "Odbierz",
    "Park": "Zaparkuj",
    "Hang up": "Rozłącz",
    "Add my phone": "Dodaj mój telefon",
    "Conference of the ticked calls": "Konferencja z zaznaczonych połączeń",
    "Choose an extension or a queue to transfer the call to.":
        "Wybierz numer wewnętrzny lub kolejkę, do której przekazać połączenie.",
    "Call transferred.": "Połączenie przekazane.",
    "Your phone rings with the call.": "Twój telefon dzwoni z tym połączeniem.",
    "Call hung up.": "Połączenie rozłączone.",
    "Call parked on space {space}.": "Połączenie zaparkowane na miejscu {space}.",
    "Tick at least two calls (or one call and your own phone) for a conference.":
        "Zaznacz co najmniej dwa połączenia (albo jedno i swój telefon), aby zrobić "
        "konferencję.",
    "Conference started.": "Konferencja rozpoczęta.",
    # pause reasons
    "Agents pick one of the active reasons when they pause. The code goes to the call log "
    "and the reports.":
        "Agent wybiera jeden z aktywnych powodów, gdy robi przerwę. Kod trafia do dziennika "
        "połączeń i raportów.",
    "Code": "Kod",
    "Position": "Kolejność",
    "Active": "Aktywny",
    "Delete": "Usuń",
    "New pause reason": "Nowy powód przerwy",
    "Add": "Dodaj",
    "Pause reason saved.": "Powód przerwy zapisany.",
    "Pause reason deleted.": "Powód przerwy usunięty.",
}
