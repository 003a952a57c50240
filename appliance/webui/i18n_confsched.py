"""Polish texts of the scheduled conferences, group calls and keypad polls pages
(webui/conf_schedules.py, templates/conf_schedules/) and of the messages the store gives
(telephony.conference_calls, word for word).

Part of the panel's one catalogue: `i18n.CATALOG` merges CONFSCHED (ids already there keep
their text), `i18n.ENGLISH` merges CONFSCHED_ENGLISH (keyword ids whose English is not the
bare id)."""
from __future__ import annotations

CONFSCHED_ENGLISH: dict[str, str] = {}

CONFSCHED: dict[str, str] = {
    # the list
    "Scheduled conferences": "Konferencje zaplanowane",
    "At the start time the box calls every member; a member joins the room by pressing the "
    "confirm key (and the room's PIN in secure mode). Members who do not answer are called "
    "again.":
        "O godzinie rozpoczęcia centrala dzwoni do każdego uczestnika; uczestnik wchodzi do "
        "pokoju, naciskając klawisz potwierdzenia (a w trybie bezpiecznym także PIN pokoju). "
        "Do tych, którzy nie odebrali, centrala dzwoni ponownie.",
    "New scheduled conference": "Nowa konferencja zaplanowana",
    "Edit scheduled conference": "Edycja konferencji zaplanowanej",
    "No scheduled conferences yet.": "Nie ma jeszcze zaplanowanych konferencji.",
    "Room": "Pokój",
    "Kind": "Rodzaj",
    "Repeat": "Powtarzanie",
    "Next start": "Najbliższy początek",
    "Members": "Uczestnicy",
    "Start now": "Rozpocznij teraz",
    "Starts at": "Początek",
    "off": "wyłączona",
    "until {date}": "do {date}",
    "Once": "Jednorazowo",
    "Every day": "Codziennie",
    "Every weekday (Mon-Fri)": "W dni robocze (pn-pt)",
    "Every week": "Co tydzień",
    "Every month": "Co miesiąc",
    "Meeting (named members)": "Spotkanie (wskazane osoby)",
    "Group call (a contact list)": "Połączenie grupowe (lista kontaktów)",
    "Latest meetings": "Ostatnie spotkania",
    "No meetings yet.": "Nie było jeszcze spotkań.",
    "ended": "zakończone",
    "in progress": "w toku",
    "waiting": "oczekuje",
    # the form
    "Create a conference room first.": "Najpierw utwórz pokój konferencyjny.",
    "When": "Kiedy",
    "Date": "Data",
    "Time": "Godzina",
    "Repeat until (last day)": "Powtarzaj do (ostatni dzień)",
    "Who": "Kto",
    "Members: one per line, number;name;role (role: talker, listener or leader)":
        "Uczestnicy: po jednym w wierszu, numer;nazwa;rola (rola: talker, listener lub "
        "leader — rozmówca, słuchacz, prowadzący)",
    "And/or everybody on a contact list": "I/lub wszyscy z listy kontaktów",
    "Confirm key": "Klawisz potwierdzenia",
    "Ring time (s)": "Czas dzwonienia (s)",
    "Retries": "Ponowienia",
    "Retry after (s)": "Ponów po (s)",
    "Calls at once": "Połączeń naraz",
    "Secure mode: every member also types the room's PIN":
        "Tryb bezpieczny: każdy uczestnik wpisuje też PIN pokoju",
    "Active (calls at the start times)": "Aktywna (dzwoni o godzinach rozpoczęcia)",
    "Scheduled conference saved.": "Konferencja zaplanowana została zapisana.",
    "Scheduled conference deleted.": "Konferencja zaplanowana została usunięta.",
    "Dialling the members now.": "Trwa dzwonienie do uczestników.",
    "Not started: {error}": "Nie rozpoczęto: {error}",
    # the report
    "Conference report": "Raport konferencji",
    "{joined} of {members} members joined": "Dołączyło {joined} z {members} uczestników",
    "dialled in: {n}": "dodzwoniło się samodzielnie: {n}",
    "{n} minutes in the room in all": "łącznie {n} min w pokoju",
    "How": "Jak",
    "Attempts": "Próby",
    "Outcome": "Wynik",
    "Confirmed": "Potwierdził",
    "Joined": "Dołączył",
    "Left": "Wyszedł",
    "Minutes": "Minuty",
    "dialled in": "dodzwonił się",
    "called by the box": "wywołany przez centralę",
    "Nobody has been called yet.": "Jeszcze do nikogo nie dzwoniono.",
    "Answered, no key": "Odebrał, bez klawisza",
    "Wrong PIN": "Błędny PIN",
    "No answer": "Nie odebrał",
    "Busy": "Zajęty",
    "Failed": "Nieudane",
    "Invalid number": "Błędny numer",
    "Withdrawn": "Wycofane",
    "Being called": "Trwa dzwonienie",
    "Download CSV": "Pobierz CSV",
    # polls
    "Keypad polls": "Głosowania z klawiatury",
    "Keypad poll": "Głosowanie z klawiatury",
    "Participants of a room with keypad voting press 1 to 9 to vote; the last key of each "
    "call counts.":
        "Uczestnicy pokoju z głosowaniem naciskają klawisze od 1 do 9; liczy się ostatni "
        "klawisz każdego połączenia.",
    "voting off": "głosowanie wyłączone",
    "Question": "Pytanie",
    "Number of choices (keys 1 to n)": "Liczba odpowiedzi (klawisze od 1 do n)",
    "Open the poll": "Otwórz głosowanie",
    "Close the poll": "Zamknij głosowanie",
    "Opened": "Otwarte",
    "Votes": "Głosy",
    "Key": "Klawisz",
    "open": "otwarte",
    "closed": "zamknięte",
    "Poll opened: the room's participants vote with keys 1 to the number of choices.":
        "Głosowanie otwarte: uczestnicy pokoju głosują klawiszami od 1 do liczby odpowiedzi.",
    "Poll closed.": "Głosowanie zamknięte.",
    "Poll not opened: {error}": "Nie otwarto głosowania: {error}",
    # the store's messages (telephony.conference_calls)
    "Choose a conference room.": "Wybierz pokój konferencyjny.",
    "The title is at most 80 characters.": "Tytuł może mieć najwyżej 80 znaków.",
    "Unknown kind of conference.": "Nieznany rodzaj konferencji.",
    "Unknown repeat.": "Nieznany sposób powtarzania.",
    "Enter the start as a date (YYYY-MM-DD) and a time (HH:MM).":
        "Podaj początek jako datę (RRRR-MM-DD) i godzinę (GG:MM).",
    "A one-off conference cannot start in the past.":
        "Jednorazowa konferencja nie może zaczynać się w przeszłości.",
    "The end date must be a date (YYYY-MM-DD) on or after the first start.":
        "Data końca musi być datą (RRRR-MM-DD) nie wcześniejszą niż pierwszy początek.",
    "The confirm key must be one of 0-9, * or #.":
        "Klawisz potwierdzenia musi być jednym z 0-9, * lub #.",
    "{field} must be a whole number from {low} to {high}.":
        "{field}: podaj liczbę całkowitą od {low} do {high}.",
    "Unknown contact list.": "Nieznana lista kontaktów.",
    "Add members (one per line) or choose a contact list.":
        "Dodaj uczestników (po jednym w wierszu) albo wybierz listę kontaktów.",
    "Members, line {line}: {problem}": "Uczestnicy, wiersz {line}: {problem}",
    "the number must be 2 to 20 digits (an extension or a phone number, '+' allowed)":
        "numer musi mieć od 2 do 20 cyfr (numer wewnętrzny lub telefon, dozwolony „+”)",
    "the name is at most 80 characters, without control characters":
        "nazwa może mieć najwyżej 80 znaków, bez znaków sterujących",
    "the role must be talker, listener or leader":
        "rola to mówca, słuchacz albo prowadzący (albo talker, listener, leader)",
    "this number is already on an earlier line": "ten numer jest już we wcześniejszym wierszu",
    "write number;name;role": "wpisz numer;nazwa;rola",
    "At most {count} members.": "Najwyżej {count} uczestników.",
    "Unknown scheduled conference.": "Nieznana konferencja zaplanowana.",
    "This conference is being dialled now; wait until it ends.":
        "Do uczestników tej konferencji właśnie trwa dzwonienie; poczekaj, aż się skończy.",
    "The question must be 1 to 200 characters.": "Pytanie musi mieć od 1 do 200 znaków.",
    "A poll has 2 to 9 choices.": "Głosowanie ma od 2 do 9 odpowiedzi.",
    "This room already has an open poll; close it first.":
        "W tym pokoju trwa już głosowanie; najpierw je zamknij.",
    "Unknown poll.": "Nieznane głosowanie.",
    "Keypad voting is off in this room; turn it on in the room's settings first.":
        "Głosowanie z klawiatury jest w tym pokoju wyłączone; najpierw włącz je w "
        "ustawieniach pokoju.",
}
