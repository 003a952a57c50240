"""Polish texts of the inbound call-flow pages (configuration and recordings).

Part of the panel's one catalogue: `i18n.CATALOG` merges this dict.  English message id ->
Polish text, exactly like i18n.py; kept apart only because these pages have many texts.
`ENGLISH` holds keyword ids whose English is not the bare word after the colon.
"""
from __future__ import annotations

ENGLISH: dict[str, str] = {
    "lang:pl": "Polish",
    "lang:en": "English",
    "source:upload": "uploaded",
    "source:tts": "speech synthesis",
    "source:phone": "recorded by phone",
}

INBOUND: dict[str, str] = {
    # navigation of the configuration pages
    "Overview": "Przegląd",
    "Prompts": "Komunikaty",
    "Opening hours": "Godziny pracy",
    "Known callers": "Znani dzwoniący",
    "Blacklist": "Czarna lista",
    "Settings": "Ustawienia",
    "Recordings": "Nagrania",
    # keywords
    "action:external": "numer zewnętrzny",
    "action:voicemail": "poczta głosowa",
    "action:announcement": "komunikat",
    "action:operator": "operator",
    "action:language": "język",
    "action:pin": "weryfikacja PIN",
    "lang:pl": "polski",
    "lang:en": "angielski",
    "match:exact": "dokładny numer",
    "match:prefix": "początek numeru",
    "source:upload": "przesłany plik",
    "source:tts": "synteza mowy",
    "source:phone": "nagrany przez telefon",
    # shared form texts
    "Not saved: {error}": "Nie zapisano: {error}",
    "Not deleted: {error}": "Nie usunięto: {error}",
    "Save": "Zapisz",
    "Delete": "Usuń",
    "Edit": "Edytuj",
    "Cancel": "Anuluj",
    "Remove": "Usuń",
    "Upload": "Prześlij",
    "target": "cel",
    "yes": "tak",
    "set": "ustawiony",
    "never": "nigdy",
    "missing": "brak",
    "lowercase letters, digits, - and _": "małe litery, cyfry, - i _",
    "{field}: enter a whole number, not {value!r}":
        "{field}: wpisz liczbę całkowitą, a nie {value!r}",
    "{what} is not available: this box has no folder for it configured (JNS_ASTERISK_DIR).":
        "{what}: funkcja niedostępna – urządzenie nie ma skonfigurowanego katalogu "
        "(JNS_ASTERISK_DIR).",
    "Choose a sound file to upload.": "Wybierz plik dźwiękowy do przesłania.",
    "Number": "Numer",
    "Match": "Dopasowanie",
    "Note": "Notatka",
    "Time": "Czas",
    "Caller": "Dzwoniący",
    "Number dialled": "Wybrany numer",
    # IVR menus
    "Call flow": "Przebieg połączenia",
    "New menu": "Nowe menu",
    "All menus": "Wszystkie menu",
    "Menus no number leads to": "Menu, do których nie prowadzi żaden numer",
    "Number {did}": "Numer {did}",
    "closed ({schedule})": "poza godzinami pracy ({schedule})",
    "No inbound routes yet: add one under Inbound routes so calls reach a menu.":
        "Brak tras przychodzących: dodaj trasę w zakładce Trasy przychodzące, aby "
        "połączenia trafiały do menu.",
    "missing menu {name}": "brak menu {name}",
    "back to a menu above": "powrót do menu wyżej",
    "prompt": "komunikat",
    "no key pressed": "brak wyboru",
    "wrong key": "zły klawisz",
    "after the last try": "po ostatniej próbie",
    "Menu {name}": "Menu {name}",
    "Prompts of this box": "Komunikaty tego urządzenia",
    "Built-in sounds": "Dźwięki wbudowane",
    "Seconds to wait for a key": "Sekundy oczekiwania na klawisz",
    "Key": "Klawisz",
    "Key {key}": "Klawisz {key}",
    "A key without an action is not offered; the operator key from the settings works "
    "during every prompt.":
        "Klawisz bez akcji nie jest dostępny; klawisz operatora z ustawień działa podczas "
        "każdego komunikatu.",
    "When the caller does not choose": "Gdy dzwoniący nie wybiera",
    "No key pressed": "Brak wyboru",
    "Wrong key": "Zły klawisz",
    "ask again": "zapytaj ponownie",
    "After the last try (fallback)": "Po ostatniej próbie (cel awaryjny)",
    "A menu that a number, key or queue still leads to cannot be deleted.":
        "Nie można usunąć menu, do którego wciąż prowadzi numer, klawisz lub kolejka.",
    "Delete menu {name}": "Usuń menu {name}",
    "A menu named {name} already exists.": "Menu o nazwie {name} już istnieje.",
    "Choose where callers go after the last try (fallback).":
        "Wybierz, dokąd trafiają dzwoniący po ostatniej próbie (cel awaryjny).",
    "Menu {name} saved.": "Zapisano menu {name}.",
    "Menu {name} deleted.": "Usunięto menu {name}.",
    # queues
    "New queue": "Nowa kolejka",
    "Queue {name}": "Kolejka {name}",
    "When nobody answers": "Gdy nikt nie odbiera",
    "Music on hold": "Muzyka w oczekiwaniu",
    "Round robin, starting after the agent who answered last":
        "Po kolei, zaczynając od agenta po tym, który odebrał ostatnio",
    "Ring every free agent at once": "Dzwoni u wszystkich wolnych agentów naraz",
    "The agent whose last call ended longest ago":
        "Agent, którego ostatnia rozmowa skończyła się najdawniej",
    "The agent with the fewest calls": "Agent z najmniejszą liczbą rozmów",
    "A random agent": "Losowy agent",
    "Always in the order of the members": "Zawsze w kolejności członków",
    "Random, weighted by penalty": "Losowo, z wagą według kary",
    "Ring an agent for (s)": "Dzwonienie do agenta (s)",
    "Longest wait in queue (s)": "Najdłuższe oczekiwanie w kolejce (s)",
    "Wrap-up time after a call (s)": "Przerwa po rozmowie (s)",
    "Priority against other queues": "Priorytet względem innych kolejek",
    "Most callers waiting (0: no limit)": "Najwięcej oczekujących (0: bez limitu)",
    "Announce every (s, 0: never)": "Komunikat co (s, 0: nigdy)",
    "default music": "muzyka domyślna",
    "folder {name}": "katalog {name}",
    "Tell callers their position in the queue": "Podawaj dzwoniącym miejsce w kolejce",
    "Tell callers the expected wait": "Podawaj dzwoniącym przewidywany czas oczekiwania",
    "Agents with a lower penalty are offered calls first (0-100).":
        "Agenci z niższą karą dostają połączenia jako pierwsi (0–100).",
    "Member": "Członek",
    "Penalty": "Kara",
    "No agents yet.": "Brak agentów.",
    "Where callers go when the longest wait is over, the queue is full or no agent is "
    "logged in.":
        "Dokąd trafiają dzwoniący, gdy minie najdłuższy czas oczekiwania, kolejka jest pełna "
        "lub nie jest zalogowany żaden agent.",
    "say goodbye and hang up": "pożegnaj i rozłącz",
    "No music of this queue's own yet; callers hear the default music.":
        "Ta kolejka nie ma jeszcze własnej muzyki; dzwoniący słyszą muzykę domyślną.",
    "Add a music file (wav, mp3, ogg, flac; any length)":
        "Dodaj plik z muzyką (wav, mp3, ogg, flac; dowolna długość)",
    "A queue that a number, key or setting still leads to cannot be deleted.":
        "Nie można usunąć kolejki, do której wciąż prowadzi numer, klawisz lub ustawienie.",
    "Delete queue {name}": "Usuń kolejkę {name}",
    "A queue named {name} already exists.": "Kolejka o nazwie {name} już istnieje.",
    "Choose a strategy from the list.": "Wybierz strategię z listy.",
    "Choose whether the queue's calls are recorded.":
        "Wybierz, czy rozmowy kolejki są nagrywane.",
    "Queue {name} saved.": "Zapisano kolejkę {name}.",
    "Queue {name} deleted.": "Usunięto kolejkę {name}.",
    "Hold music added to queue {name}.": "Dodano muzykę w oczekiwaniu do kolejki {name}.",
    "Hold music {file} deleted from queue {name}.":
        "Usunięto muzykę w oczekiwaniu {file} z kolejki {name}.",
    "Queue {queues} still plays this music; choose other music there.":
        "Kolejka {queues} wciąż odtwarza tę muzykę; wybierz tam inną muzykę.",
    # inbound routes
    "New route": "Nowa trasa",
    "Language": "Język",
    "When closed": "Poza godzinami pracy",
    "always open": "zawsze otwarte",
    "the caller's, else the default": "dzwoniącego, w innym razie domyślny",
    "Delete route of number {did}": "Usuń trasę numeru {did}",
    "Number {did} already has a route.": "Numer {did} ma już trasę.",
    "Route of number {did} saved.": "Zapisano trasę numeru {did}.",
    "Route of number {did} deleted.": "Usunięto trasę numeru {did}.",
    # opening hours
    "New opening hours": "Nowe godziny pracy",
    "Opening hours {name}": "Godziny pracy {name}",
    "Open": "Otwarte",
    "Holidays": "Dni wolne",
    "Used by numbers": "Używane przez numery",
    "Leave a day empty when the call center is closed all day.":
        "Zostaw dzień pusty, jeśli centrum jest nieczynne cały dzień.",
    "Day": "Dzień",
    "opens": "otwarcie",
    "closes": "zamknięcie",
    "Holidays: one per line, a date (2026-12-24) or a day every year (12-25), then a name":
        "Dni wolne: jeden w wierszu – data (2026-12-24) lub dzień co roku (12-25), "
        "potem nazwa",
    "Monday": "poniedziałek",
    "Tuesday": "wtorek",
    "Wednesday": "środa",
    "Thursday": "czwartek",
    "Friday": "piątek",
    "Saturday": "sobota",
    "Sunday": "niedziela",
    "{day}: give both the opening and the closing time.":
        "{day}: podaj godzinę otwarcia i zamknięcia.",
    "Opening hours named {name} already exist.": "Godziny pracy o nazwie {name} już istnieją.",
    "Opening hours {name} saved.": "Zapisano godziny pracy {name}.",
    "Opening hours {name} deleted.": "Usunięto godziny pracy {name}.",
    "Opening hours that a number still uses cannot be deleted.":
        "Nie można usunąć godzin pracy, których wciąż używa jakiś numer.",
    "Delete opening hours {name}": "Usuń godziny pracy {name}",
    # known callers
    "A number (or the start of numbers) that the box recognises: the caller's language, "
    "VIP priority in queues, where the call goes and a PIN the IVR can ask for.":
        "Numer (lub początek numerów), który urządzenie rozpoznaje: język dzwoniącego, "
        "priorytet VIP w kolejkach, dokąd trafia połączenie i PIN, o który może zapytać IVR.",
    "VIP": "VIP",
    "PIN": "PIN",
    "Only calls to": "Tylko połączenia na",
    "the number's route": "trasa wybranego numeru",
    "any number": "dowolny numer",
    "Change the rule for {pattern}": "Zmień regułę dla {pattern}",
    "Add a caller or number range": "Dodaj dzwoniącego lub zakres numerów",
    "Only calls to number (empty: any)": "Tylko połączenia na numer (puste: dowolny)",
    "PIN (4-12 digits; empty: none)": "PIN (4–12 cyfr; puste: brak)",
    "Repeat PIN": "Powtórz PIN",
    "This rule has a PIN: type it again to keep it; saving with the PIN empty removes it.":
        "Ta reguła ma PIN: wpisz go ponownie, aby go zachować; zapis z pustym PIN-em go usuwa.",
    "VIP: answered before other callers in queues":
        "VIP: obsługiwany w kolejkach przed innymi dzwoniącymi",
    "The two PINs differ; type the same PIN twice.":
        "PIN-y się różnią; wpisz dwa razy ten sam PIN.",
    "Rule for {pattern} saved.": "Zapisano regułę dla {pattern}.",
    "Rule for {pattern} deleted.": "Usunięto regułę dla {pattern}.",
    # blacklist
    "Calls from these numbers are refused before the IVR answers them.":
        "Połączenia z tych numerów są odrzucane, zanim odbierze je IVR.",
    "Blocked calls": "Zablokowane połączenia",
    "Last blocked": "Ostatnia blokada",
    "Block a number": "Zablokuj numer",
    "Block": "Zablokuj",
    "Last blocked calls": "Ostatnie zablokowane połączenia",
    "Blocked by": "Zablokowane przez",
    "a removed entry": "usunięty wpis",
    "No calls blocked yet.": "Nie zablokowano jeszcze żadnego połączenia.",
    "{pattern} is now blocked.": "{pattern} jest teraz zablokowany.",
    "{pattern} is no longer blocked.": "{pattern} nie jest już zablokowany.",
    # settings
    "Operator": "Operator",
    "Operator key (works during every prompt and in queues)":
        "Klawisz operatora (działa podczas każdego komunikatu i w kolejkach)",
    "Default language": "Język domyślny",
    "The operator is": "Operatorem jest",
    "Record": "Nagrywaj",
    "Every call": "Każde połączenie",
    "Inbound calls only": "Tylko połączenia przychodzące",
    "Outbound calls only": "Tylko połączenia wychodzące",
    "Only calls with the numbers below": "Tylko połączenia z numerami poniżej",
    "No automatic recording": "Bez automatycznego nagrywania",
    "On-demand recording key (empty: off)": "Klawisz nagrywania na żądanie (puste: wyłączony)",
    "After the retention time": "Po czasie przechowywania",
    "delete the recording": "usuń nagranie",
    "move it to the archive": "przenieś je do archiwum",
    "Keep recordings for (days, 0: forever)": "Przechowuj nagrania przez (dni, 0: zawsze)",
    "Stop recording below this free space (MB)":
        "Przerwij nagrywanie poniżej tyle wolnego miejsca (MB)",
    "Numbers to record (one per line; a number or its beginning)":
        "Numery do nagrywania (jeden w wierszu; numer lub jego początek)",
    "PIN checks": "Weryfikacja PIN",
    "PIN tries before the caller is locked out": "Próby PIN przed zablokowaniem dzwoniącego",
    "Lockout after wrong PINs (minutes)": "Blokada po błędnych PIN-ach (minuty)",
    "Settings saved.": "Zapisano ustawienia.",
    # prompts
    "Announcements the IVR plays, in each language. A caller hears the prompt in their "
    "language, else in the default one.":
        "Komunikaty odtwarzane przez IVR, w każdym języku. Dzwoniący słyszy komunikat w swoim "
        "języku, a w innym razie w domyślnym.",
    "Upload a recording": "Prześlij nagranie",
    "Sound file (wav, mp3, ogg, flac; any length)":
        "Plik dźwiękowy (wav, mp3, ogg, flac; dowolna długość)",
    "Speech synthesis": "Synteza mowy",
    "Text to speak": "Tekst do wypowiedzenia",
    "Make the prompt": "Utwórz komunikat",
    "Prompt {name} ({lang}) saved: {seconds} s.":
        "Zapisano komunikat {name} ({lang}): {seconds} s.",
    "Prompt {name} ({lang}) deleted.": "Usunięto komunikat {name} ({lang}).",
    "Prompt {name} deleted.": "Usunięto komunikat {name}.",
    "Delete in every language": "Usuń we wszystkich językach",
    "A prompt that a menu or an announcement still plays cannot be deleted in its last "
    "language.":
        "Komunikatu, który wciąż odtwarza menu lub zapowiedź, nie można usunąć w jego "
        "ostatnim języku.",
    # recordings
    "From": "Od",
    "To": "Do",
    "Search": "Szukaj",
    "Direction": "Kierunek",
    "inbound": "przychodzące",
    "outbound": "wychodzące",
    "internal": "wewnętrzne",
    "Duration": "Czas trwania",
    "Listen": "Odsłuchaj",
    "Download": "Pobierz",
    "No recordings match.": "Brak pasujących nagrań.",
    "Newer": "Nowsze",
    "Older": "Starsze",
    "Page {n}": "Strona {n}",
    "{field}: a date like 2026-03-31, not {value!r}":
        "{field}: data w postaci 2026-03-31, a nie {value!r}",
    "Your user is not linked to an agent extension, so there are no recordings to show. "
    "Ask an administrator to link it.":
        "Twoje konto nie jest powiązane z numerem wewnętrznym agenta, więc nie ma nagrań do "
        "pokazania. Poproś administratora o powiązanie.",
}
