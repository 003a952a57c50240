"""Polish texts of the CRM planner's pages (crm_planner.py): tasks, the group calendar,
booking, reminders, the calendar feed and the planner settings.

Part of the panel's one catalogue: `i18n.CATALOG` merges PLANNER and `i18n.ENGLISH` merges
PLANNER_ENGLISH (the English of keyword ids like "tasks:open").  The planner's fixed
refusals are keyed by the constants of `appliance.crm.planner`, so a changed message there
cannot lose its translation silently.
"""
from __future__ import annotations

from ..crm import planner

CLASH = ("{user} already has a meeting “{title}” on {day} from {start} to {end}; "
         "choose a free slot")

PLANNER: dict[str, str] = {
    # navigation
    "Planner": "Terminarz",
    "Tasks": "Zadania",
    "Reminders": "Przypomnienia",
    "Calendar": "Kalendarz",
    "Book a meeting": "Umów spotkanie",
    "Calendar feed": "Subskrypcja kalendarza",
    "Planner settings": "Ustawienia terminarza",
    # tasks
    "New task": "Nowe zadanie",
    "Edit task": "Edycja zadania",
    "Task": "Zadanie",
    "Assigned to": "Przypisane do",
    "nobody": "nikt",
    "My tasks": "Moje zadania",
    "Everyone's tasks": "Zadania wszystkich",
    "tasks:open": "otwarte",
    "tasks:overdue": "zaległe",
    "tasks:done": "wykonane",
    "tasks:cancelled": "anulowane",
    "tasks:all": "wszystkie",
    "task:open": "otwarte",
    "task:done": "wykonane",
    "task:cancelled": "anulowane",
    "No tasks here.": "Brak zadań.",
    "missed call": "nieodebrane połączenie",
    "Missed call from {number}": "Nieodebrane połączenie od {number}",
    "Mark done": "Wykonane",
    "Cancel task": "Anuluj zadanie",
    "Open again": "Otwórz ponownie",
    "Task saved.": "Zadanie zapisane.",
    "Task done.": "Zadanie wykonane.",
    "Task cancelled.": "Zadanie anulowane.",
    "Task opened again.": "Zadanie otwarte ponownie.",
    "Made from a missed call from {number}.":
        "Utworzone z nieodebranego połączenia od {number}.",
    "Only supervisors give an existing task to someone else.":
        "Tylko koordynator może przekazać istniejące zadanie innej osobie.",
    "Reminder": "Przypomnienie",
    "Details": "Szczegóły",
    "due {when}": "termin {when}",
    "{field}: enter a date and time like 2026-11-27 10:00, not {value!r}":
        "{field}: wpisz datę i godzinę, np. 2026-11-27 10:00, a nie {value!r}",
    "Day: enter a date like 2026-11-27, not {value!r}":
        "Dzień: wpisz datę, np. 2026-11-27, a nie {value!r}",
    # contact picker
    "no contact": "bez kontaktu",
    "name or number": "nazwa lub numer",
    "Find a contact": "Znajdź kontakt",
    "No contact matches {q}.": "Żaden kontakt nie pasuje do {q}.",
    # the contact card
    "Tasks and meetings": "Zadania i spotkania",
    "No open tasks.": "Brak otwartych zadań.",
    "Upcoming meetings": "Nadchodzące spotkania",
    # calendar
    "View": "Widok",
    "calendar:day": "dzień",
    "calendar:week": "tydzień",
    "calendar:month": "miesiąc",
    "Earlier": "Wcześniej",
    "Later": "Później",
    "People": "Osoby",
    "takes meetings": "przyjmuje spotkania",
    "Choose whose calendars to show.": "Wybierz, czyje kalendarze pokazać.",
    "{n} meetings": "spotkania: {n}",
    "and {n} more": "i {n} więcej",
    "Subscribe in your calendar app": "Subskrybuj w swojej aplikacji kalendarza",
    "Tue": "wt.", "Wed": "śr.", "Thu": "czw.", "Fri": "pt.", "Sat": "sob.",
    "Mon": "pon.", "Sun": "niedz.",
    "month:1": "Styczeń", "month:2": "Luty", "month:3": "Marzec", "month:4": "Kwiecień",
    "month:5": "Maj", "month:6": "Czerwiec", "month:7": "Lipiec", "month:8": "Sierpień",
    "month:9": "Wrzesień", "month:10": "Październik", "month:11": "Listopad",
    "month:12": "Grudzień",
    # booking and meetings
    "Choose the salesperson and the day, then one of their free slots.":
        "Wybierz handlowca i dzień, a potem jeden z jego wolnych terminów.",
    "Salesperson": "Handlowiec",
    "choose…": "wybierz…",
    "Nobody takes meetings yet: an administrator ticks “takes meetings” on the users page.":
        "Nikt jeszcze nie przyjmuje spotkań: administrator zaznacza „przyjmuje spotkania” "
        "na stronie użytkowników.",
    "Length": "Czas trwania",
    "Show free slots": "Pokaż wolne terminy",
    "Free slots": "Wolne terminy",
    "This is not a working day.": "To nie jest dzień roboczy.",
    "No free slot on this day.": "Tego dnia nie ma wolnego terminu.",
    "or another time": "lub inna godzina",
    "Already booked that day:": "Zajęte tego dnia:",
    "Place": "Miejsce",
    "Reminder (minutes before)": "Przypomnienie (minut przed)",
    "Book the meeting": "Umów spotkanie",
    "Meeting": "Spotkanie",
    "Meeting with {name}": "Spotkanie z {name}",
    "In the calendar of {user}; booked by {who}.": "W kalendarzu: {user}; umówił(a): {who}.",
    "This meeting was cancelled.": "To spotkanie zostało odwołane.",
    "Cancel the meeting": "Odwołaj spotkanie",
    "Choose the salesperson.": "Wybierz handlowca.",
    "Choose a free slot or type a time.": "Wybierz wolny termin lub wpisz godzinę.",
    "Meeting booked: {who}, {when}.": "Spotkanie umówione: {who}, {when}.",
    "Meeting saved.": "Spotkanie zapisane.",
    "Meeting cancelled.": "Spotkanie odwołane.",
    CLASH:
        "{user} ma już spotkanie „{title}” w dniu {day} od {start} do {end}; "
        "wybierz wolny termin",
    # reminders
    "Your open tasks whose reminder or due time has passed, and your meetings starting "
    "soon. They stay here until the task is done or the meeting is over.":
        "Twoje otwarte zadania, których czas przypomnienia lub termin minął, oraz Twoje "
        "spotkania, które zaraz się zaczną. Zostają tutaj, aż zadanie zostanie wykonane "
        "lub spotkanie się skończy.",
    "Meetings": "Spotkania",
    "No meeting soon.": "Brak spotkań w najbliższym czasie.",
    "No task is due.": "Żadne zadanie nie czeka.",
    "Meeting at {time}: {title}": "Spotkanie o {time}: {title}",
    # the calendar feed
    "Subscribe to your meetings and tasks from a calendar app (iCalendar). The address is "
    "a password: whoever has it sees your calendar. It is shown only once; a new address "
    "switches the old one off.":
        "Subskrybuj swoje spotkania i zadania w aplikacji kalendarza (iCalendar). Adres "
        "działa jak hasło: kto go zna, widzi Twój kalendarz. Jest pokazywany tylko raz; "
        "nowy adres wyłącza poprzedni.",
    "Your calendar's address (copy it now, it is not shown again):":
        "Adres Twojego kalendarza (skopiuj go teraz, nie zostanie pokazany ponownie):",
    "Calendar feed address": "Adres subskrypcji kalendarza",
    "The feed is on since {when}.": "Subskrypcja jest włączona od {when}.",
    "Last read {when}.": "Ostatnio odczytana {when}.",
    "Not read yet.": "Jeszcze nieodczytana.",
    "The feed is off.": "Subskrypcja jest wyłączona.",
    "Make a new address": "Utwórz nowy adres",
    "Switch the feed on": "Włącz subskrypcję",
    "Switch the feed off": "Wyłącz subskrypcję",
    "The calendar feed is switched off; its address no longer works.":
        "Subskrypcja kalendarza jest wyłączona; jej adres już nie działa.",
    # settings
    "The working hours are when meetings can be booked with salespeople (their free slots).":
        "W godzinach pracy można umawiać spotkania z handlowcami (ich wolne terminy).",
    "Working day starts": "Początek dnia pracy",
    "Working day ends": "Koniec dnia pracy",
    "Slot length": "Długość terminu",
    "A missed-call task is due after (minutes)":
        "Termin zadania z nieodebranego połączenia (minut)",
    "Working days": "Dni robocze",
    "Choose at least one working day.": "Wybierz co najmniej jeden dzień roboczy.",
    "CRM settings saved.": "Ustawienia CRM zapisane.",
    # the users page: e-mail and "takes meetings"
    "E-mail (reminders)": "E-mail (przypomnienia)",
    "Takes meetings (salesperson)": "Przyjmuje spotkania (handlowiec)",
    # the planner's refusals (appliance.crm.planner)
    planner.NO_TASK: "To zadanie już nie istnieje; odśwież listę zadań.",
    planner.NO_EVENT: "To spotkanie już nie istnieje; odśwież kalendarz.",
    planner.NOT_YOURS_TASK:
        "Możesz zmieniać tylko zadania przypisane do Ciebie, utworzone przez Ciebie lub "
        "nieprzypisane; poproś koordynatora.",
    planner.NO_REASSIGN:
        "Tylko koordynator lub administrator może przekazać zadanie innej osobie.",
    planner.NOT_YOURS_EVENT:
        "Spotkanie może zmienić tylko osoba, która je umówiła, właściciel kalendarza, "
        "koordynator lub administrator.",
    planner.NOT_BOOKABLE:
        "Ta osoba nie przyjmuje spotkań; administrator oznacza handlowców jako "
        "„przyjmuje spotkania” na stronie użytkowników.",
    planner.NO_USER: "Nie ma takiego użytkownika; wybierz z listy.",
    planner.NO_CONTACT: "Nie ma takiego kontaktu; mógł zostać usunięty.",
    planner.IN_PAST: "Spotkanie zaczynałoby się w przeszłości; wybierz późniejszą godzinę.",
    planner.ENDS_BEFORE: "Spotkanie musi kończyć się po swoim początku.",
    planner.BAD_TIME: "Godzinę wpisuje się jako GG:MM, np. 09:00.",
    planner.BAD_DAYS: "Dni robocze: wpisz je np. jako 1-5 lub 1,2,3,4,5 (1 = poniedziałek, "
                      "7 = niedziela).",
    planner.BAD_SLOT: "Długość terminu: jedna z wartości "
                      f"{', '.join(map(str, planner.SLOT_CHOICES))} minut.",
    "task title: 1 to 200 characters": "Tytuł zadania: od 1 do 200 znaków.",
    "meeting title: 1 to 200 characters": "Tytuł spotkania: od 1 do 200 znaków.",
    "the reminder must come before the task is due":
        "Przypomnienie musi być przed terminem zadania.",
    "a meeting lasts at most 24 hours": "Spotkanie trwa najwyżej 24 godziny.",
    "reminder: 0 to 10080 minutes before the meeting":
        "Przypomnienie: od 0 do 10080 minut przed spotkaniem.",
    "the working day must end after it starts":
        "Dzień pracy musi kończyć się po jego początku.",
    "missed-call task due time: 0 to 10080 minutes (a week)":
        "Termin zadania z nieodebranego połączenia: od 0 do 10080 minut (tydzień).",
    "this meeting was cancelled; book a new one":
        "To spotkanie zostało odwołane; umów nowe.",
}

PLANNER_ENGLISH: dict[str, str] = {
    "tasks:open": "open", "tasks:overdue": "overdue", "tasks:done": "done",
    "tasks:cancelled": "cancelled", "tasks:all": "all",
    "task:open": "open", "task:done": "done", "task:cancelled": "cancelled",
    "calendar:day": "Day", "calendar:week": "Week", "calendar:month": "Month",
    "month:1": "January", "month:2": "February", "month:3": "March", "month:4": "April",
    "month:5": "May", "month:6": "June", "month:7": "July", "month:8": "August",
    "month:9": "September", "month:10": "October", "month:11": "November",
    "month:12": "December",
}
