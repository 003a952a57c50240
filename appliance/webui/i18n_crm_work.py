"""Polish texts of the CRM's e-mail/SMS, projects, time and files pages (webui/crm_work.py).

Part of the panel's one catalogue: `i18n.CATALOG` merges CRM_WORK, and `i18n.ENGLISH`
merges CRM_WORK_ENGLISH (keyword ids whose English is not the bare word after the colon).
The store's messages (appliance.crm.messages / projects) are here word for word.
"""
from __future__ import annotations

from ..crm import messages as _m
from ..crm import projects as _p

CRM_WORK_ENGLISH: dict[str, str] = {
    "message:queued": "queued",
    "message:sent": "sent",
    "message:delivered": "delivered",
    "message:failed": "failed",
    "message:received": "received",
    "project:open": "open",
    "project:done": "closed",
    "channel:email": "e-mail",
    "channel:sms": "SMS",
}

CRM_WORK: dict[str, str] = {
    "message:queued": "w kolejce",
    "message:sent": "wysłana",
    "message:delivered": "doręczona",
    "message:failed": "nieudana",
    "message:received": "odebrana",
    "project:open": "otwarty",
    "project:done": "zamknięty",
    "channel:email": "e-mail",
    "channel:sms": "SMS",
    # the card
    "E-mail and SMS": "E-mail i SMS",
    "Send e-mail": "Wyślij e-mail",
    "Send SMS": "Wyślij SMS",
    "no SMTP server set yet": "serwer SMTP nie jest jeszcze ustawiony",
    "Projects": "Projekty",
    "Project": "Projekt",
    "Since": "Od",
    "Time (h:mm)": "Czas (g:mm)",
    "No projects yet.": "Brak projektów.",
    "New project": "Nowy projekt",
    "Create project": "Utwórz projekt",
    "Files": "Pliki",
    "File": "Plik",
    "Size": "Rozmiar",
    "Uploaded": "Dodano",
    "No files yet.": "Brak plików.",
    "Add a file (PDF, images, text, CSV, ODT/ODS, DOCX/XLSX, EML; at most {n} MB)":
        "Dodaj plik (PDF, obrazy, tekst, CSV, ODT/ODS, DOCX/XLSX, EML; najwyżej {n} MB)",
    "private (only me and the admins)": "prywatny (tylko ja i administratorzy)",
    "private": "prywatny",
    "Upload": "Wyślij plik",
    # the message form
    "E-mail to {name}": "E-mail do: {name}",
    "SMS to {name}": "SMS do: {name}",
    "No SMTP server is set yet: an admin sets it on the alarms page (notifications). Until "
    "then e-mail cannot be sent.":
        "Serwer SMTP nie jest jeszcze ustawiony: ustawia go administrator na stronie alarmów "
        "(powiadomienia). Do tego czasu nie można wysyłać e-maili.",
    "Not sent: {error}": "Nie wysłano: {error}",
    "The mail server did not take the e-mail: {reason}. It is on the contact's history as "
    "failed; check the SMTP settings or try again later.":
        "Serwer poczty nie przyjął wiadomości: {reason}. Jest w historii kontaktu jako "
        "nieudana; sprawdź ustawienia SMTP lub spróbuj później.",
    "The template has placeholders this box does not know; they were left as they are: "
    "{names}":
        "Szablon zawiera pola, których centrala nie zna; pozostawiono je bez zmian: {names}",
    "Template": "Szablon",
    "Use template": "Użyj szablonu",
    "To": "Do",
    "a new one: save it on the contact": "nowy: zapisz go w kontakcie",
    "Subject": "Temat",
    "Message": "Wiadomość",
    "Placeholders filled when sent: {list}": "Pola wypełniane przy wysyłce: {list}",
    "Sent and received": "Wysłane i odebrane",
    "When": "Kiedy",
    "Direction": "Kierunek",
    "Address": "Adres",
    "Number": "Numer",
    "Text": "Treść",
    "Status": "Stan",
    "User": "Użytkownik",
    "outgoing": "wychodząca",
    "incoming": "przychodząca",
    "Nothing yet.": "Jeszcze nic.",
    "E-mail sent to {address}.": "E-mail wysłany do {address}.",
    "SMS to {number} queued; its delivery shows on the timeline.":
        "SMS do {number} czeka w kolejce; jego doręczenie pokaże się w historii.",
    # templates page
    "Message templates": "Szablony wiadomości",
    "E-mail and SMS texts agents start from on a contact. Placeholders filled when sent: "
    "{list}. Others stay as typed.":
        "Teksty e-maili i SMS-ów, od których agenci zaczynają przy kontakcie. Pola wypełniane "
        "przy wysyłce: {list}. Inne zostają tak, jak je wpisano.",
    "Channel": "Kanał",
    "Name": "Nazwa",
    "No templates yet.": "Brak szablonów.",
    "Edit template": "Edycja szablonu",
    "New template": "Nowy szablon",
    "Subject (e-mail only)": "Temat (tylko e-mail)",
    "Save": "Zapisz",
    "Cancel": "Anuluj",
    "Delete": "Usuń",
    "Not saved: {error}": "Nie zapisano: {error}",
    "Largest file on a contact or project (MB)": "Największy plik w kontakcie lub projekcie (MB)",
    "Template {name} saved.": "Szablon {name} zapisany.",
    "Template deleted.": "Szablon usunięty.",
    "Settings saved.": "Ustawienia zapisane.",
    # the project page
    "Since {start}": "Od {start}",
    "closed {end}": "zamknięty {end}",
    "created by {user}": "utworzył(a) {user}",
    "Time": "Czas",
    "Total": "Razem",
    "Calls": "Rozmowy",
    "Entered by hand": "Wpisany ręcznie",
    "Time per user": "Czas według użytkowników",
    "Dark: calls with the contact; light: time entered by hand.":
        "Ciemne: rozmowy z kontaktem; jasne: czas wpisany ręcznie.",
    "Export the time (CSV)": "Eksport czasu (CSV)",
    "Add time": "Dodaj czas",
    "Day": "Dzień",
    "Time (90 or 1:30)": "Czas (90 lub 1:30)",
    "Note": "Notatka",
    "Time entries": "Wpisy czasu",
    "No time entered yet.": "Nie wpisano jeszcze czasu.",
    "Calls counted": "Policzone rozmowy",
    "Talk (s)": "Rozmowa (s)",
    "Counted (min)": "Policzono (min)",
    "No answered calls with the contact while the project is open.":
        "Brak odebranych rozmów z kontaktem w czasie trwania projektu.",
    "Rename": "Zmień nazwę",
    "Close the project": "Zamknij projekt",
    "Reopen the project": "Otwórz projekt ponownie",
    "Time saved.": "Czas zapisany.",
    "Time entry deleted.": "Wpis czasu usunięty.",
    "File not uploaded: {error}": "Nie dodano pliku: {error}",
    "File {name} uploaded.": "Dodano plik {name}.",
    "File {name} deleted.": "Usunięto plik {name}.",
    # the store's messages (appliance.crm.messages)
    _m.NO_SMTP: "serwer SMTP nie jest ustawiony: ustawia go administrator na stronie alarmów "
                "(powiadomienia)",
    _m.BAD_ADDRESS: "to nie jest adres e-mail",
    _m.NOT_CONTACTS_ADDRESS: "to nie jest adres tego kontaktu: zaznacz „zapisz go w "
                             "kontakcie”, aby użyć nowego",
    _m.NOT_CONTACTS_NUMBER: "to nie jest numer tego kontaktu: zaznacz „zapisz go w "
                            "kontakcie”, aby użyć nowego",
    _m.NEWLINE_IN_SUBJECT: "temat musi być jednym wierszem (bez podziałów wiersza)",
    _m.SUBJECT_LENGTH: f"temat ma od 1 do {_m.MAX_SUBJECT} znaków",
    _m.BODY_LENGTH: f"wiadomość ma od 1 do {_m.MAX_BODY} znaków",
    _m.NO_CONTACT: "nie ma takiego kontaktu",
    _m.TEMPLATE_NAME: "nazwa szablonu ma od 1 do 60 znaków",
    _m.TEMPLATE_BODY: "szablon potrzebuje treści",
    _m.TEMPLATE_EXISTS: "szablon o tej nazwie już istnieje",
    _m.NO_TEMPLATE: "nie ma takiego szablonu",
    "channel is one of email, sms": "kanał to email albo sms",
    # (appliance.crm.projects)
    _p.NO_PROJECT: "nie ma takiego projektu",
    _p.PROJECT_NAME: "nazwa projektu ma od 1 do 120 znaków",
    _p.MINUTES_ERROR: "czas: minuty (90) albo godziny:minuty (1:30), od 1 minuty do 24 godzin",
    _p.DAY_ERROR: "dzień: data w postaci 2026-03-31",
    _p.NOT_YOURS: "może to zrobić tylko autor, koordynator lub administrator",
    _p.EMPTY_FILE: "plik jest pusty",
    _p.NO_FILE: "wybierz plik do wysłania",
    _p.TYPE_ERROR: "ten rodzaj pliku nie jest przyjmowany: wyślij plik PDF, PNG, JPEG, GIF, "
                   "tekstowy, CSV, ODT/ODS, DOCX/XLSX lub EML",
    _p.CONTENT_ERROR: "zawartość pliku nie pasuje do jego rozszerzenia .{ext}",
    _p.TOO_BIG: "plik jest większy niż {mb} MB",
    f"the file size limit is 1 to {_p.FILE_MAX_MB_LIMIT} MB":
        f"limit rozmiaru pliku to od 1 do {_p.FILE_MAX_MB_LIMIT} MB",
}
