"""Polish texts of the System page (firmware update, backup and restore, factory reset).

Part of the panel's one catalogue (English message id -> Polish), merged into
`i18n.CATALOG` when the page's blueprint is imported.  `SYSTEM_ENGLISH` holds keyword ids
("update_result:rolled_back") whose English is not the bare word after the colon.  Also
the Polish of the refusals of appliance.lifecycle.update and backup that the page shows.
"""
from __future__ import annotations

import re

SYSTEM_ENGLISH: dict[str, str] = {
    "update_result:installed": "installed",
    "update_result:rolled_back": "rolled back",
    "update_result:refused": "refused",
    "update_result:failed": "failed",
}

SYSTEM: dict[str, str] = {
    "System": "System",
    # firmware
    "Firmware": "Oprogramowanie urządzenia",
    "The firmware status cannot be read: {error}":
        "Nie można odczytać stanu oprogramowania: {error}",
    "Running version": "Działająca wersja",
    "slot {slot}": "partycja {slot}",
    "The other slot": "Druga partycja",
    "empty": "pusta",
    "Last update:": "Ostatnia aktualizacja:",
    "Install an update": "Zainstaluj aktualizację",
    "An update file (.jnsupd) is signed: the box checks the signature and the checksum before "
    "it writes anything, writes the new version to the other slot and restarts on it. If the "
    "new version does not start correctly, the box goes back to this version by itself. Calls "
    "in progress are cut when the box restarts.":
        "Plik aktualizacji (.jnsupd) jest podpisany: urządzenie sprawdza podpis i sumę kontrolną, "
        "zanim cokolwiek zapisze, zapisuje nową wersję na drugiej partycji i uruchamia się z niej "
        "ponownie. Jeśli nowa wersja nie uruchomi się poprawnie, urządzenie samo wraca do tej "
        "wersji. Trwające rozmowy zostaną przerwane przy ponownym uruchomieniu.",
    "Update file (.jnsupd, at most {n} MB)": "Plik aktualizacji (.jnsupd, najwyżej {n} MB)",
    "Allow an older version (downgrade)": "Zezwól na starszą wersję (powrót do starszej)",
    "Upload and install": "Wyślij i zainstaluj",
    "Uploading needs JavaScript. Without it, install the update from the console menu "
    "(a URL or a USB stick).":
        "Wysyłanie pliku wymaga JavaScriptu. Bez niego zainstaluj aktualizację z menu konsoli "
        "(z adresu URL lub z pamięci USB).",
    "Update history": "Historia aktualizacji",
    "When": "Kiedy",
    "Version": "Wersja",
    "From version": "Z wersji",
    "update_result:installed": "zainstalowano",
    "update_result:rolled_back": "wycofano",
    "update_result:refused": "odrzucono",
    "update_result:failed": "błąd",
    "No update has been installed on this box yet.":
        "Na tym urządzeniu nie zainstalowano jeszcze żadnej aktualizacji.",
    # the states of an install and the results in the history (system.STATE_TEXT, RESULT_TEXT)
    "No update is being installed.": "Żadna aktualizacja nie jest instalowana.",
    "Checking the signature and the checksum of the update file…":
        "Sprawdzanie podpisu i sumy kontrolnej pliku aktualizacji…",
    "Writing the new firmware to slot {slot}: {percent} %":
        "Zapisywanie nowego oprogramowania na partycji {slot}: {percent} %",
    "Version {version} is written to slot {slot}; the box starts it on trial at its next "
    "restart.":
        "Wersja {version} jest zapisana na partycji {slot}; urządzenie uruchomi ją próbnie przy "
        "następnym uruchomieniu.",
    "The box is restarting on version {version}…":
        "Urządzenie uruchamia się ponownie z wersją {version}…",
    "Version {version} runs on trial: the box checks that everything works, then keeps it "
    "(or goes back to version {other} by itself).":
        "Wersja {version} działa próbnie: urządzenie sprawdza, czy wszystko działa, i wtedy ją "
        "zatrzymuje (albo samo wraca do wersji {other}).",
    "The update failed: {message}": "Aktualizacja nie powiodła się: {message}",
    "Version {version} was installed ({at}).": "Zainstalowano wersję {version} ({at}).",
    "Version {version} did not start correctly, so the box went back to version {from} by "
    "itself ({at}): {reason}":
        "Wersja {version} nie uruchomiła się poprawnie, więc urządzenie samo wróciło do wersji "
        "{from} ({at}): {reason}",
    "An update file was refused ({at}): {reason}":
        "Plik aktualizacji został odrzucony ({at}): {reason}",
    "An update failed ({at}): {reason}": "Aktualizacja nie powiodła się ({at}): {reason}",
    "{result}: {version} ({at}) {reason}": "{result}: {version} ({at}) {reason}",
    "{message}": "{message}",
    # refusals and failures of appliance.lifecycle.update (fixed texts; the ones with a
    # version or a board in them are REASON_PATTERNS below)
    "the boot loader's environment block is damaged":
        "blok środowiska programu rozruchowego jest uszkodzony",
    "the boot loader's environment block is full":
        "blok środowiska programu rozruchowego jest pełny",
    "the install stopped (the box restarted or lost power); nothing was changed":
        "instalacja została przerwana (urządzenie uruchomiło się ponownie lub straciło "
        "zasilanie); nic nie zostało zmienione",
    "this box has no update key installed, so it cannot trust any bundle":
        "na tym urządzeniu nie ma klucza aktualizacji, więc nie może ufać żadnemu plikowi",
    "the bundle's signature is not valid: it was not made by the holder of this box's update "
    "key, or it was changed after it was signed":
        "podpis pliku jest nieprawidłowy: nie utworzył go właściciel klucza aktualizacji tego "
        "urządzenia albo plik zmieniono po podpisaniu",
    "this is not a firmware bundle (its manifest is too large)":
        "to nie jest plik aktualizacji (jego manifest jest za duży)",
    "the bundle's manifest is unreadable": "manifestu pliku nie da się odczytać",
    "the bundle is incomplete (no root file system image in it)":
        "plik jest niekompletny (brak w nim obrazu systemu plików)",
    "the bundle is damaged (its image has the wrong size)":
        "plik jest uszkodzony (obraz ma niewłaściwy rozmiar)",
    "this bundle is for another product or a newer bundle format":
        "ten plik jest dla innego produktu albo w nowszym formacie",
    "the bundle is damaged (its checksum does not match); download it again":
        "plik jest uszkodzony (suma kontrolna się nie zgadza); pobierz go ponownie",
    "the bundle is damaged (its image is longer than it says)":
        "plik jest uszkodzony (obraz jest dłuższy, niż podaje)",
    "writing the new version failed its check (the slot was not enabled; the box keeps running "
    "this version)":
        "zapisana nowa wersja nie przeszła kontroli (partycja nie została włączona; urządzenie "
        "dalej działa na tej wersji)",
    "another update is being installed": "trwa instalacja innej aktualizacji",
    "the bundle changed while it was being installed": "plik zmienił się w trakcie instalacji",
    "the new version did not reach its health check (it hung, crashed or lost power)":
        "nowa wersja nie doszła do kontroli stanu (zawiesiła się, uległa awarii albo straciła "
        "zasilanie)",
    "Size": "Rozmiar",
    "Day (weekly backups)": "Dzień (kopie co tydzień)",
    "Making the backup and sending it to the target…":
        "Tworzenie kopii i wysyłanie jej do miejsca docelowego…",
    "The backup was not sent: {error}": "Kopia nie została wysłana: {error}",
    "Sent: {message}": "Wysłano: {message}",
    "Make a backup to the saved target now": "Utwórz teraz kopię w zapisanym miejscu docelowym",
    "Show the box's SFTP key": "Pokaż klucz SFTP urządzenia",
    "Add this line to the SFTP user's ~/.ssh/authorized_keys on the server:":
        "Dodaj ten wiersz do pliku ~/.ssh/authorized_keys użytkownika SFTP na serwerze:",
    # refusals of appliance.lifecycle.backup (fixed texts; REASON_PATTERNS has the others)
    "wrong passphrase or damaged file": "złe hasło albo uszkodzony plik",
    "damaged or truncated file": "plik jest uszkodzony albo ucięty",
    "not a JNS backup file": "to nie jest plik kopii zapasowej JNS",
    "damaged file: the header cannot be read": "plik uszkodzony: nie można odczytać nagłówka",
    "damaged file: the backup holds no database": "plik uszkodzony: kopia nie zawiera bazy danych",
    "damaged file: data after the end of the archive": "plik uszkodzony: dane po końcu archiwum",
    "another backup or restore is running; try again when it has finished":
        "trwa tworzenie lub odtwarzanie innej kopii; spróbuj ponownie, gdy się skończy",
    "backup too large for one file": "kopia jest za duża na jeden plik",
    "backup target: expected an object with a kind":
        "miejsce docelowe: brak rodzaju miejsca docelowego",
    "backup target: the SMB share must look like //server/share":
        "miejsce docelowe: udział SMB musi mieć postać //serwer/udział",
    "backup target: the SMB folder must not contain ..":
        "miejsce docelowe: folder SMB nie może zawierać ..",
    "backup target: the USB path must be an absolute folder, e.g. /media/usb":
        "miejsce docelowe: ścieżka USB musi być pełną ścieżką folderu, np. /media/usb",
    "backup target: the URL must start with https:// (or http://) and name a server":
        "miejsce docelowe: adres musi zaczynać się od https:// (lub http://) i wskazywać serwer",
    "backup target: the URL must not carry a query, a fragment or a user name (use the user "
    "name and password fields)":
        "miejsce docelowe: adres nie może zawierać zapytania, fragmentu ani nazwy użytkownika "
        "(użyj pól nazwy użytkownika i hasła)",
    "backup target: a password needs a user name":
        "miejsce docelowe: hasło wymaga nazwy użytkownika",
    "backup target: SFTP needs a server name or address":
        "miejsce docelowe: SFTP wymaga nazwy lub adresu serwera",
    "backup target: SFTP needs a user name (letters, digits, . _ -)":
        "miejsce docelowe: SFTP wymaga nazwy użytkownika (litery, cyfry, . _ -)",
    "backup target: the SFTP port must be 1-65535":
        "miejsce docelowe: port SFTP musi być z zakresu 1–65535",
    'backup target: the SFTP folder must not contain " or \\':
        'miejsce docelowe: folder SFTP nie może zawierać " ani \\',
    "backup target: bad port in the URL": "miejsce docelowe: błędny port w adresie",
    "backup target: the SFTP key must be an absolute path":
        "miejsce docelowe: klucz SFTP musi być podany pełną ścieżką",
    "choose where the backups go before turning the schedule on":
        "zanim włączysz harmonogram, wybierz, dokąd mają trafiać kopie",
    "set a backup passphrase before turning the schedule on":
        "zanim włączysz harmonogram, ustaw hasło kopii",
    "no backup target set": "nie ustawiono miejsca docelowego kopii",
    "no backup passphrase set": "nie ustawiono hasła kopii",
    "scheduled backups are off": "kopie według harmonogramu są wyłączone",
    # uploads (the page's script and the server's answers)
    "Sending the file: {percent} %": "Wysyłanie pliku: {percent} %",
    "Checking the signature…": "Sprawdzanie podpisu…",
    "The connection to the box was lost; send the file again.":
        "Połączenie z urządzeniem zostało przerwane; wyślij plik ponownie.",
    "The box refused the file (HTTP {code}). Reload the page and try again.":
        "Urządzenie odrzuciło plik (HTTP {code}). Odśwież stronę i spróbuj ponownie.",
    "Choose a file first.": "Najpierw wybierz plik.",
    "The file is too large: at most {n} MB.": "Plik jest za duży: najwyżej {n} MB.",
    "This is not a {ext} file.": "To nie jest plik {ext}.",
    "The box answers again; the page reloads…":
        "Urządzenie znów odpowiada; strona się odświeża…",
    "Send the file itself as the request body (application/octet-stream).":
        "Wyślij sam plik jako treść żądania (application/octet-stream).",
    "Not enough free space on the data partition: the file needs {need} MB, {free} MB can be "
    "used.":
        "Za mało wolnego miejsca na partycji danych: plik potrzebuje {need} MB, dostępne jest "
        "{free} MB.",
    "The upload was interrupted; send the file again.":
        "Wysyłanie zostało przerwane; wyślij plik ponownie.",
    "An update is being installed now; wait until it ends.":
        "Trwa instalacja aktualizacji; poczekaj, aż się skończy.",
    "Upload an update file first.": "Najpierw wyślij plik aktualizacji.",
    # backup
    "Backup": "Kopia zapasowa",
    "One file with the database (configuration, users, call history), prompts, hold music, "
    "certificates and keys; encrypted with the passphrase you choose. Keep the passphrase: "
    "without it the file cannot be restored.":
        "Jeden plik z bazą danych (konfiguracja, użytkownicy, historia połączeń), komunikatami, "
        "muzyką na czekanie, certyfikatami i kluczami; zaszyfrowany wybranym hasłem. Zachowaj "
        "hasło: bez niego pliku nie da się odtworzyć.",
    "A backup or restore is running: see its progress.":
        "Trwa tworzenie lub odtwarzanie kopii: zobacz postęp.",
    "Passphrase (at least 8 characters)": "Hasło kopii (co najmniej 8 znaków)",
    "Repeat the passphrase": "Powtórz hasło kopii",
    "Include call recordings (the file can be very large)":
        "Dołącz nagrania rozmów (plik może być bardzo duży)",
    "Download a backup now": "Pobierz kopię zapasową teraz",
    "The passphrases do not match.": "Hasła kopii nie są zgodne.",
    "The passphrase must have at least 8 characters.":
        "Hasło kopii musi mieć co najmniej 8 znaków.",
    "A backup or restore is running; wait until it ends.":
        "Trwa tworzenie lub odtwarzanie kopii; poczekaj, aż się skończy.",
    "Making the backup: {percent} %": "Tworzenie kopii zapasowej: {percent} %",
    "Restoring the backup: {percent} %": "Odtwarzanie kopii zapasowej: {percent} %",
    "The backup failed: {error}": "Tworzenie kopii nie powiodło się: {error}",
    "The restore failed: {error}": "Odtwarzanie kopii nie powiodło się: {error}",
    "The backup is ready. Download it now: it is deleted from the box once downloaded, or "
    "after 24 hours.":
        "Kopia jest gotowa. Pobierz ją teraz: zostanie usunięta z urządzenia po pobraniu "
        "albo po 24 godzinach.",
    "Restored; the box restarts.": "Odtworzono; urządzenie uruchamia się ponownie.",
    "Download the backup ({size} MB)": "Pobierz kopię ({size} MB)",
    "The panel is back in a few minutes; this page then opens the login page. Log in with a "
    "user of the restored backup.":
        "Panel wróci za kilka minut; ta strona otworzy wtedy stronę logowania. Zaloguj się "
        "jako użytkownik z odtworzonej kopii.",
    "Try again with another passphrase": "Spróbuj ponownie z innym hasłem",
    "Back to the System page": "Powrót do strony System",
    # restore
    "Restore a backup": "Odtwórz kopię zapasową",
    "Restoring replaces the whole configuration, the users and the call history of this box "
    "with the backup's; the box restarts afterwards. A backup from another box works too.":
        "Odtworzenie zastępuje całą konfigurację, użytkowników i historię połączeń tego "
        "urządzenia zawartością kopii; potem urządzenie uruchamia się ponownie. Można też "
        "odtworzyć kopię z innego urządzenia.",
    "A backup file is uploaded: see what it holds and restore it.":
        "Plik kopii jest wysłany: zobacz, co zawiera, i odtwórz go.",
    "Backup file (.jnsbak)": "Plik kopii zapasowej (.jnsbak)",
    "Upload the backup": "Wyślij kopię",
    "Upload a backup file first.": "Najpierw wyślij plik kopii zapasowej.",
    "This is not a backup of this box's kind: {error}":
        "To nie jest kopia zapasowa tego rodzaju urządzenia: {error}",
    "Made on": "Utworzona",
    "On the box": "Na urządzeniu",
    "Firmware version": "Wersja oprogramowania",
    "Call recordings": "Nagrania rozmów",
    "included": "dołączone",
    "not included": "niedołączone",
    "The backup's passphrase": "Hasło kopii zapasowej",
    "Replace this box's configuration, users and call history with the backup's, then "
    "restart the box":
        "Zastąp konfigurację, użytkowników i historię połączeń tego urządzenia zawartością "
        "kopii, a potem uruchom urządzenie ponownie",
    "Restore and restart": "Odtwórz i uruchom ponownie",
    "Cancel and delete the uploaded file": "Anuluj i usuń wysłany plik",
    "Tick the box to confirm that the box's configuration is replaced.":
        "Zaznacz pole, aby potwierdzić zastąpienie konfiguracji urządzenia.",
    "Type the backup's passphrase.": "Wpisz hasło kopii zapasowej.",
    # scheduled backups
    "Scheduled backups": "Kopie zapasowe według harmonogramu",
    "Last scheduled backup: {when}, {size} MB, {seconds} s.":
        "Ostatnia kopia według harmonogramu: {when}, {size} MB, {seconds} s.",
    "The last scheduled backup failed ({when}): {message}":
        "Ostatnia kopia według harmonogramu nie powiodła się ({when}): {message}",
    "No scheduled backup has run yet.": "Nie wykonano jeszcze żadnej kopii według harmonogramu.",
    "Make a backup": "Twórz kopię",
    "Off": "Wyłączone",
    "Every day": "Codziennie",
    "Every week": "Co tydzień",
    "Hour": "Godzina",
    "Backups to keep": "Ile kopii przechowywać",
    "Include call recordings": "Dołącz nagrania rozmów",
    "set; leave empty to keep it": "ustawione; zostaw puste, aby zachować",
    "The box keeps this passphrase to make backups unattended; an admin of this box can make "
    "and restore backups with it.":
        "Urządzenie przechowuje to hasło, aby tworzyć kopie bez udziału człowieka; administrator "
        "tego urządzenia może nim tworzyć i odtwarzać kopie.",
    "Where the backups go": "Dokąd trafiają kopie",
    "USB disk": "Dysk USB",
    "SFTP server": "Serwer SFTP",
    "Windows share (SMB)": "Udział sieciowy Windows (SMB)",
    "HTTP server (PUT)": "Serwer HTTP (PUT)",
    "Folder on the mounted USB disk": "Folder na zamontowanym dysku USB",
    "Host": "Serwer",
    "Folder on the server": "Folder na serwerze",
    "Private key on the box (empty: the box's own backup key)":
        "Klucz prywatny na urządzeniu (puste: własny klucz kopii urządzenia)",
    "Share (//server/share)": "Udział (//serwer/udział)",
    "Folder in the share": "Folder w udziale",
    "Address (the file is sent with PUT to this address + / + its name)":
        "Adres (plik jest wysyłany metodą PUT na ten adres + / + nazwa pliku)",
    "Choose how often to make a backup.": "Wybierz, jak często tworzyć kopię.",
    "Choose where the backups go.": "Wybierz, dokąd mają trafiać kopie.",
    "{field}: a whole number from {low} to {high}.":
        "{field}: liczba całkowita od {low} do {high}.",
    "Backup schedule saved.": "Harmonogram kopii zapisany.",
    # factory reset
    "Factory reset": "Przywracanie ustawień fabrycznych",
    "A factory reset erases everything on the data partition: the configuration, users, call "
    "history, recordings, prompts, certificates and keys. The firmware stays. The box restarts "
    "and then asks for a new admin password. Download a backup first if you may need the data.":
        "Przywrócenie ustawień fabrycznych usuwa wszystko z partycji danych: konfigurację, "
        "użytkowników, historię połączeń, nagrania, komunikaty, certyfikaty i klucze. "
        "Oprogramowanie zostaje. Urządzenie uruchamia się ponownie i prosi o nowe hasło "
        "administratora. Jeśli dane mogą się przydać, najpierw pobierz kopię zapasową.",
    "Type the box's name to confirm: {name}": "Aby potwierdzić, wpisz nazwę urządzenia: {name}",
    "Your password": "Twoje hasło",
    "Erase all data and restart": "Usuń wszystkie dane i uruchom ponownie",
    "Type the box's name, {name}, exactly to confirm.":
        "Aby potwierdzić, wpisz dokładnie nazwę urządzenia: {name}.",
    "Too many wrong passwords; wait a while and try again.":
        "Zbyt wiele błędnych haseł; odczekaj chwilę i spróbuj ponownie.",
    "Your password is wrong.": "Twoje hasło jest nieprawidłowe.",
    "This panel does not run on a box (a development host): no factory reset here.":
        "Ten panel nie działa na urządzeniu (to komputer deweloperski): tutaj nie ma "
        "przywracania ustawień fabrycznych.",
    "The factory reset could not be started: {error}":
        "Nie udało się rozpocząć przywracania ustawień fabrycznych: {error}",
    "The box {name} erases its data and restarts. In a few minutes open the panel again and "
    "set a new admin password.":
        "Urządzenie {name} usuwa swoje dane i uruchamia się ponownie. Za kilka minut otwórz "
        "panel ponownie i ustaw nowe hasło administratora.",
}

# messages with a variable part (update.py): English regex -> Polish with {0}, {1}...
REASON_PATTERNS: list[tuple[re.Pattern, str]] = [(re.compile(p), pl) for p, pl in (
    (r"version (\S+) is older than the running (\S+); allow an older version to install it "
     r"anyway",
     "wersja {0} jest starsza niż działająca {1}; zezwól na starszą wersję, aby ją mimo to "
     "zainstalować"),
    (r"this bundle is for board '(.*)'; this box is '(.*)'",
     "ten plik jest dla płyty „{0}”; to urządzenie to „{1}”"),
    (r"this is not a firmware bundle \((.*)\)", "to nie jest plik aktualizacji ({0})"),
    (r"the bundle has no valid version \((.*)\)", "plik nie ma prawidłowego numeru wersji ({0})"),
    (r"the new root file system \((\d+) MiB\) does not fit the slot \((\d+) MiB\)",
     "nowy system plików ({0} MiB) nie mieści się na partycji ({1} MiB)"),
    (r"the install failed: (.*)", "instalacja nie powiodła się: {0}"),
    (r"passed its health check (\d+) s after boot",
     "przeszła kontrolę stanu {0} s po uruchomieniu"),
    (r"not healthy within (\d+) s: (.*)", "niesprawna po {0} s: {1}"),
    (r"(\S+) keeps crashing \(restarted (\d+) times\)",
     "{0} ciągle ulega awarii (uruchomiona ponownie {1} razy)"),
    (r"(\S+) failed", "{0} nie działa"),
    # backup.py
    (r"the passphrase must have at least (\d+) characters",
     "hasło kopii musi mieć co najmniej {0} znaków"),
    (r"the hour must be (\d+)-(\d+)", "godzina musi być z zakresu {0}–{1}"),
    (r"the weekday must be (\d+)-(\d+)", "dzień tygodnia musi być z zakresu {0}–{1}"),
    (r"the number of backups kept must be (\d+)-(\d+)",
     "liczba przechowywanych kopii musi być z zakresu {0}–{1}"),
    (r"damaged or truncated file \(at block (\d+)\)",
     "plik jest uszkodzony albo ucięty (w bloku {0})"),
    (r"damaged file: (.*)", "plik uszkodzony: {0}"),
    (r"the backup's database \(schema (\d+)\) is newer than this firmware knows \((\d+)\); "
     r"update the firmware first",
     "baza danych kopii (schemat {0}) jest nowsza, niż zna to oprogramowanie ({1}); najpierw "
     "zaktualizuj oprogramowanie"),
    (r"the backup was made by a newer firmware \(format (\d+)\); update this box first",
     "kopię utworzyło nowsze oprogramowanie (format {0}); najpierw zaktualizuj to urządzenie"),
    (r"the backup's database is damaged: (.*)", "baza danych kopii jest uszkodzona: {0}"),
    (r"the backup's database cannot be opened: (.*)",
     "nie można otworzyć bazy danych kopii: {0}"),
    (r"the server (\S+) refused the backup: HTTP (.*)", "serwer {0} odrzucił kopię: HTTP {1}"),
    (r"cannot send the backup to (\S+): (.*)", "nie można wysłać kopii do {0}: {1}"),
    (r"there is no folder (.*) \(is the disk plugged in and mounted\?\)",
     "nie ma folderu {0} (czy dysk jest podłączony i zamontowany?)"),
    (r"cannot write to (.*) \(read-only: is the disk mounted there\?\)",
     "nie można zapisać w {0} (tylko do odczytu: czy dysk jest tam zamontowany?)"),
    (r"no SFTP key at (\S+): make one \(jns backup sftp-key\) and add its public half to the "
     r"server's authorized_keys",
     "brak klucza SFTP w {0}: utwórz go (przycisk „Pokaż klucz SFTP urządzenia”) i dodaj jego "
     "część publiczną do authorized_keys na serwerze"),
    (r"SFTP to (\S+): (.*)", "SFTP do {0}: {1}"),
    (r"cannot mount (\S+): (.*)", "nie można zamontować {0}: {1}"),
    (r"restore failed, nothing was changed: (.*)",
     "odtwarzanie nie powiodło się, nic nie zostało zmienione: {0}"),
    (r"the backup could not be written: (.*)", "nie udało się zapisać kopii: {0}"),
    (r"(\S+) \(([\d.]+) MiB\) sent to (.*?)(; (\d+) older removed)?",
     "{0} ({1} MiB) wysłano do {2}"),
    (r"backup failed: (.*)", "kopia nie powiodła się: {0}"),
)]
