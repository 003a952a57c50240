"""Polish texts of the CRM's contact pages (contacts, the card, notes, import/export,
custom fields, note templates, API tokens).

Part of the panel's one catalogue (English message id -> Polish), merged into
`i18n.CATALOG`.  `CRM_ENGLISH` holds keyword ids ("phone:mobile", "target:first_name")
whose English is not the bare word after the colon.  Also the Polish of the fixed
StoreError texts of appliance.crm.contacts and the import's problem reasons
(appliance.crm.transfer.PROBLEM_REASONS).
"""
from __future__ import annotations

CRM_ENGLISH: dict[str, str] = {
    "phone:mobile": "mobile", "phone:work": "work", "phone:home": "home", "phone:fax": "fax",
    "phone:other": "other",
    "email:work": "work", "email:home": "home", "email:other": "other",
    "target:name": "Name", "target:first_name": "First name", "target:last_name": "Last name",
    "target:kind": "Kind (person/company)",
    "target:company": "Company", "target:job_title": "Job title", "target:phone": "Phone",
    "target:email": "E-mail", "target:tags": "Tags", "target:owner": "Owner (user name)",
    "target:address": "Address", "target:about": "About",
    "field:text": "text", "field:number": "number", "field:date": "date",
    "field:choice": "choice from a list",
    "task:open": "open", "task:done": "done", "task:cancelled": "cancelled",
}

CRM: dict[str, str] = {
    "CRM": "CRM",
    # the list
    "Contacts": "Kontakty",
    "Name, number, company or e-mail": "Nazwa, numer, firma lub e-mail",
    "Tag": "Tag",
    "Tags": "Tagi",
    "Owner": "Opiekun",
    "any": "dowolny",
    "Search": "Szukaj",
    "New contact": "Nowy kontakt",
    "New company": "Nowa firma",
    "Export CSV": "Eksport CSV",
    "Export CSV (;) for Excel": "Eksport CSV (;) dla Excela",
    "Export vCard": "Eksport vCard",
    "Contacts found: {n}": "Znalezione kontakty: {n}",
    "No contacts found.": "Nie znaleziono kontaktów.",
    "company": "firma",
    "person": "osoba",
    # the card
    "Edit": "Edytuj",
    "Add a person to this company": "Dodaj osobę do tej firmy",
    "Company": "Firma",
    "Job title": "Stanowisko",
    "Address": "Adres",
    "About": "Opis",
    "Phones": "Telefony",
    "Phone": "Telefon",
    "E-mail": "E-mail",
    "Call": "Zadzwoń",
    "No phone numbers.": "Brak numerów telefonu.",
    "People": "Osoby",
    "No people in this company yet.": "W tej firmie nie ma jeszcze osób.",
    "New note": "Nowa notatka",
    "Template": "Szablon",
    "none": "brak",
    "Note": "Notatka",
    "Private: only I and the administrators see it":
        "Prywatna: widzę ją tylko ja i administratorzy",
    "Save note": "Zapisz notatkę",
    "History": "Historia",
    "Incoming call": "Połączenie przychodzące",
    "Outgoing call": "Połączenie wychodzące",
    "agent {agent}": "agent {agent}",
    "answered, {s} s": "odebrane, {s} s",
    "not answered": "nieodebrane",
    "Note by {author}": "Notatka: {author}",
    "private": "prywatna",
    "Task": "Zadanie",
    "due {t}": "termin {t}",
    "SMS": "SMS",
    "Meeting": "Spotkanie",
    "cancelled": "odwołane",
    "File": "Plik",
    "Nothing yet.": "Jeszcze nic.",
    "Delete contact": "Usuń kontakt",
    "Delete note": "Usuń notatkę",
    "Note saved.": "Notatka zapisana.",
    "Note deleted.": "Notatka usunięta.",
    "Contact {name} saved.": "Kontakt {name} zapisany.",
    "Contact {name} deleted.": "Kontakt {name} usunięty.",
    # the form
    "Edit contact": "Edycja kontaktu",
    "Kind": "Rodzaj",
    "Name": "Nazwa",
    "Tags (separated by commas)": "Tagi (oddzielone przecinkami)",
    "Save": "Zapisz",
    "Cancel": "Anuluj",
    "phone:mobile": "komórkowy", "phone:work": "służbowy", "phone:home": "domowy",
    "phone:fax": "faks", "phone:other": "inny",
    "email:work": "służbowy", "email:home": "prywatny", "email:other": "inny",
    # custom fields, note templates
    "Custom fields": "Pola własne",
    "Choices": "Wartości do wyboru",
    "Remove": "Usuń",
    "No custom fields.": "Brak pól własnych.",
    "Add or change a field": "Dodaj lub zmień pole",
    "Field to change": "Pole do zmiany",
    "a new field": "nowe pole",
    "Position": "Pozycja",
    "Choices (for a choice field, one per line)":
        "Wartości do wyboru (dla pola wyboru, po jednej w wierszu)",
    "Field saved.": "Pole zapisane.",
    "Field removed.": "Pole usunięte.",
    "field:text": "tekst", "field:number": "liczba", "field:date": "data",
    "field:choice": "wybór z listy",
    "Note templates": "Szablony notatek",
    "Text": "Treść",
    "Active": "Aktywny",
    "yes": "tak",
    "no": "nie",
    "Delete": "Usuń",
    "No templates.": "Brak szablonów.",
    "Add or change a template": "Dodaj lub zmień szablon",
    "Template to change": "Szablon do zmiany",
    "a new template": "nowy szablon",
    "Template saved.": "Szablon zapisany.",
    "Template deleted.": "Szablon usunięty.",
    # import
    "Import": "Import",
    "Import contacts": "Import kontaktów",
    "CSV (comma, semicolon or tab; UTF-8, Windows-1250 or ISO-8859-2), XLSX or vCard (.vcf), "
    "up to 20 MB. For CSV and XLSX you choose the columns on the next page; the first row "
    "must name the columns.":
        "CSV (przecinek, średnik lub tabulator; UTF-8, Windows-1250 lub ISO-8859-2), XLSX lub "
        "vCard (.vcf), do 20 MB. Dla CSV i XLSX kolumny wybierasz na następnej stronie; "
        "pierwszy wiersz musi zawierać nazwy kolumn.",
    "A contact whose number is already in the CRM": "Kontakt, którego numer już jest w CRM",
    "skip it and report it": "pomiń go i pokaż w raporcie",
    "merge it into the existing contact": "połącz go z istniejącym kontaktem",
    "Upload": "Wyślij",
    "{file}: {n} rows, encoding {encoding}. Choose what each column holds.":
        "{file}: wierszy {n}, kodowanie {encoding}. Wybierz, co zawiera każda kolumna.",
    "Skip": "Pomiń",
    "Field: {name}": "Pole: {name}",
    "target:name": "Nazwa", "target:first_name": "Imię", "target:last_name": "Nazwisko",
    "target:kind": "Rodzaj (osoba/firma)",
    "target:company": "Firma", "target:job_title": "Stanowisko", "target:phone": "Telefon",
    "target:email": "E-mail", "target:tags": "Tagi", "target:owner": "Opiekun (nazwa użytkownika)",
    "target:address": "Adres", "target:about": "Opis",
    "{file}: imported {n}, merged {m}, companies created {c}, not imported {p}.":
        "{file}: zaimportowano {n}, połączono {m}, utworzono firm {c}, nie zaimportowano {p}.",
    "Rows not imported": "Wiersze niezaimportowane",
    "Line": "Wiersz",
    "Reason": "Powód",
    "Value": "Wartość",
    "Only the first {n} are shown.": "Pokazano tylko pierwsze {n}.",
    "Import another file": "Importuj kolejny plik",
    "The uploaded file is gone; upload it again.":
        "Wysłanego pliku już nie ma; wyślij go ponownie.",
    # the import's problem reasons (appliance.crm.transfer.PROBLEM_REASONS)
    "no name": "brak nazwy",
    "bad phone number": "nieprawidłowy numer telefonu",
    "bad e-mail": "nieprawidłowy adres e-mail",
    "unknown owner": "nieznany opiekun",
    "bad custom field value": "nieprawidłowa wartość pola własnego",
    "characters the file's encoding cannot show": "znaki, których kodowanie pliku nie obsługuje",
    "duplicate of an existing contact": "duplikat istniejącego kontaktu",
    "not saved": "nie zapisano",
    # file errors of the import (appliance.crm.transfer, appliance.crm.webui)
    "Choose a CSV, XLSX or vCard file to upload.": "Wybierz plik CSV, XLSX lub vCard do wysłania.",
    "Upload a CSV, XLSX or vCard file (.csv, .txt, .xlsx, .vcf).":
        "Wyślij plik CSV, XLSX lub vCard (.csv, .txt, .xlsx, .vcf).",
    "The first row must name the columns (a header like Name;Phone;E-mail); it holds data. "
    "Add a header row and upload the file again.":
        "Pierwszy wiersz musi zawierać nazwy kolumn (nagłówek, np. Nazwa;Telefon;E-mail), "
        "a zawiera dane. Dodaj wiersz nagłówka i wyślij plik ponownie.",
    "The file has a header but no contacts.": "Plik ma nagłówek, ale nie ma kontaktów.",
    "The file is empty.": "Plik jest pusty.",
    "This is not a vCard text file (it holds binary data).":
        "To nie jest tekstowy plik vCard (zawiera dane binarne).",
    "This is not a vCard file: no BEGIN:VCARD.": "To nie jest plik vCard: brak BEGIN:VCARD.",
    "This is not a CSV text file (it holds binary data); upload a CSV or an XLSX file.":
        "To nie jest tekstowy plik CSV (zawiera dane binarne); wyślij plik CSV lub XLSX.",
    "Choose the column with the name (or first and last name, or the company). "
    "Nothing was imported.":
        "Wybierz kolumnę z nazwą (albo imieniem i nazwiskiem, albo firmą). "
        "Nic nie zaimportowano.",
    # fixed StoreError texts of appliance.crm.contacts
    "name: enter the contact's name": "Nazwa: wpisz nazwę kontaktu.",
    "name: at most 200 characters": "Nazwa: najwyżej 200 znaków.",
    "company: no such company": "Firma: nie ma takiej firmy.",
    "company: a contact cannot belong to itself": "Firma: kontakt nie może należeć do siebie.",
    "company: a company cannot belong to another company":
        "Firma: firma nie może należeć do innej firmy.",
    "owner: no such user": "Opiekun: nie ma takiego użytkownika.",
    "kind: this company has people; move them first":
        "Rodzaj: do tej firmy należą osoby; najpierw je przenieś.",
    "note: write something": "Notatka: wpisz treść.",
    "note: at most 20000 characters": "Notatka: najwyżej 20000 znaków.",
    "field name: 1 to 40 characters": "Nazwa pola: od 1 do 40 znaków.",
    "a choice field needs its choices, one per line":
        "Pole wyboru potrzebuje wartości, po jednej w wierszu.",
    "the choices must differ": "Wartości do wyboru muszą się różnić.",
    "template name: 1 to 60 characters": "Nazwa szablonu: od 1 do 60 znaków.",
    "template text: write the text a note starts from":
        "Treść szablonu: wpisz tekst, od którego zaczyna się notatka.",
    "token label: at most 60 characters": "Opis tokenu: najwyżej 60 znaków.",
    "at most 20 tokens per user; revoke one first":
        "Najwyżej 20 tokenów na użytkownika; najpierw unieważnij któryś.",
    # StoreError texts with values (appliance.crm.contacts.CrmError ids)
    "phone number {value!r}: only digits, spaces, + - ( ) . /":
        "Numer telefonu {value!r}: tylko cyfry, spacje oraz + - ( ) . /.",
    "phone number {value!r}: 2 to 15 digits": "Numer telefonu {value!r}: od 2 do 15 cyfr.",
    "phone number: empty": "Numer telefonu: pusty.",
    "e-mail {value!r} is not a valid address (like name@example.com)":
        "E-mail {value!r} nie jest prawidłowym adresem (np. nazwa@example.com).",
    "e-mail: empty": "E-mail: pusty.",
    "there is already a field named {name!r}": "Pole o nazwie {name!r} już istnieje.",
    "{field}: a number, not {value!r}": "{field}: liczba, a nie {value!r}.",
    "{field}: a date like 2026-03-31, not {value!r}":
        "{field}: data, np. 2026-03-31, a nie {value!r}.",
    "{field}: one of {choices}, not {value!r}":
        "{field}: jedna z wartości {choices}, a nie {value!r}.",
    "{field}: at most 2000 characters": "{field}: najwyżej 2000 znaków.",
    "at most {n} phone numbers": "Najwyżej {n} numerów telefonu.",
    "at most {n} e-mail addresses": "Najwyżej {n} adresów e-mail.",
    "tag {value!r}…: at most 40 characters": "Tag {value!r}…: najwyżej 40 znaków.",
    "at most {n} tags": "Najwyżej {n} tagów.",
    "no custom field named {name!r}": "Nie ma pola własnego {name!r}.",
    "there is already a template named {name!r}": "Szablon o nazwie {name!r} już istnieje.",
    "field kind: one of text, number, date, choice":
        "Rodzaj pola: tekst, liczba, data lub wybór z listy.",
    "template text: at most 20000 characters": "Treść szablonu: najwyżej 20000 znaków.",
    "no such contact": "Nie ma takiego kontaktu.",
    "no such note": "Nie ma takiej notatki.",
    "kind: person or company": "Rodzaj: osoba lub firma.",
    "project: no such project of this contact": "Projekt: ten kontakt nie ma takiego projektu.",
    "Rows with more columns than the header (lines {lines}): the file is damaged or a value "
    "holds an unquoted delimiter. Fix it and upload it again; nothing was imported.":
        "Wiersze z większą liczbą kolumn niż nagłówek (wiersze {lines}): plik jest uszkodzony "
        "albo wartość zawiera separator bez cudzysłowu. Popraw plik i wyślij go ponownie; "
        "nic nie zaimportowano.",
    "unknown column target {name!r}": "Nieznane przeznaczenie kolumny {name!r}.",
    "Two columns are mapped to the same target ({name}).":
        "Dwie kolumny mają to samo przeznaczenie ({name}).",
    "duplicates: skip or merge": "Duplikaty: pomiń lub połącz.",
    # API tokens
    "API tokens": "Tokeny API",
    "A token lets a program use the CRM's JSON API (/api/v1/) with your rights: send it in "
    "the header Authorization: Bearer <token>.":
        "Token pozwala programowi korzystać z API JSON CRM (/api/v1/) z Twoimi uprawnieniami: "
        "wyślij go w nagłówku Authorization: Bearer <token>.",
    "Your new token (copy it now; it is not shown again):":
        "Twój nowy token (skopiuj go teraz; nie zostanie pokazany ponownie):",
    "Label": "Opis",
    "Created": "Utworzony",
    "Last used": "Ostatnio użyty",
    "Revoke": "Unieważnij",
    "No tokens.": "Brak tokenów.",
    "Create a token": "Utwórz token",
    "Token revoked.": "Token unieważniony.",
    "task:open": "otwarte", "task:done": "zrobione", "task:cancelled": "anulowane",
}
