"""Polish texts of the contact-list and do-not-call pages (campaign_lists.py, templates
lists*.html and dnc.html), including the fixed messages of appliance.campaigns.lists
(ListError and the PhoneError reasons a rejected row shows).

Part of the panel's one catalogue: `i18n.CATALOG` merges LISTS (English id -> Polish) and
`i18n.ENGLISH` merges LISTS_ENGLISH (the import states "import:done" -> English).
"""
from __future__ import annotations

LISTS_ENGLISH: dict[str, str] = {
    "import:queued": "columns not chosen",
    "import:running": "importing",
    "import:done": "done",
    "import:failed": "failed",
}

LISTS: dict[str, str] = {
    "import:queued": "kolumny niewybrane",
    "import:running": "trwa import",
    "import:done": "zakończony",
    "import:failed": "nieudany",
    # the lists page
    "Contact lists": "Listy kontaktów",
    "The people campaigns call. Import a CSV or XLSX file into a list, or add records by hand.":
        "Osoby, do których dzwonią kampanie. Zaimportuj do listy plik CSV lub XLSX albo "
        "dodaj rekordy ręcznie.",
    "Do-not-call list": "Lista zakazu połączeń",
    "Records": "Rekordy",
    "Description": "Opis",
    "Custom fields": "Pola własne",
    "Campaigns": "Kampanie",
    "No lists yet.": "Nie ma jeszcze list.",
    "New list": "Nowa lista",
    "Country code of national numbers": "Kierunkowy kraju dla numerów krajowych",
    "Create list": "Utwórz listę",
    "List {name} created.": "Utworzono listę {name}.",
    "List saved.": "Zapisano listę.",
    "List {name} deleted.": "Usunięto listę {name}.",
    "Field added.": "Dodano pole.",
    "Field removed.": "Usunięto pole.",
    # one list
    "List {name}": "Lista {name}",
    "Search by number, name or field": "Szukaj po numerze, nazwie lub polu",
    "Search": "Szukaj",
    "Show all": "Pokaż wszystkie",
    "Records: {n}": "Rekordy: {n}",
    "Phone": "Telefon",
    "No records.": "Brak rekordów.",
    "Page {page} of {pages}": "Strona {page} z {pages}",
    "Previous": "Poprzednia",
    "Next": "Następna",
    "Add a record": "Dodaj rekord",
    "Record added.": "Dodano rekord.",
    "Record saved.": "Zapisano rekord.",
    "Record {phone}": "Rekord {phone}",
    "Record {phone} deleted.": "Usunięto rekord {phone}.",
    "Import a file": "Import pliku",
    "CSV (comma, semicolon or tab; UTF-8, Windows-1250 or ISO-8859-2) or XLSX, up to 50 MB. "
    "You choose the columns on the next page.":
        "CSV (przecinek, średnik lub tabulator; UTF-8, Windows-1250 lub ISO-8859-2) albo XLSX, "
        "do 50 MB. Kolumny wybierzesz na następnej stronie.",
    "File": "Plik",
    "Upload": "Prześlij",
    "Imported": "Zaimportowano",
    "Invalid": "Błędne",
    "Duplicates": "Duplikaty",
    "No custom fields.": "Brak pól własnych.",
    "New field": "Nowe pole",
    "Add field": "Dodaj pole",
    "The list": "Lista",
    "Delete the list and its records": "Usuń listę i jej rekordy",
    # mapping
    "Columns of {file}": "Kolumny pliku {file}",
    "Rows: {n}. Encoding: {encoding}.": "Wiersze: {n}. Kodowanie: {encoding}.",
    "Choose what each column holds. One column must hold the phone number; several name "
    "columns (first name, surname) are joined.":
        "Wybierz, co zawiera każda kolumna. Jedna kolumna musi zawierać numer telefonu; "
        "kilka kolumn nazwy (imię, nazwisko) zostanie połączonych.",
    "The first row holds the column names": "Pierwszy wiersz zawiera nazwy kolumn",
    "Field: {name}": "Pole: {name}",
    "New field…": "Nowe pole…",
    "New field name": "Nazwa nowego pola",
    "Skip": "Pomiń",
    "Import": "Importuj",
    # the import's progress and result
    "Import of {file}": "Import pliku {file}",
    "The columns are not chosen yet.": "Kolumny nie są jeszcze wybrane.",
    "Choose the columns": "Wybierz kolumny",
    "Importing: {done} of {total} rows.": "Import: {done} z {total} wierszy.",
    "The import is finished.": "Import zakończony.",
    "The import failed: {error}": "Import nie powiódł się: {error}",
    "Rows in the file": "Wiersze w pliku",
    "Encoding: {encoding}.": "Kodowanie: {encoding}.",
    "Rows not imported: {n}": "Wiersze niezaimportowane: {n}",
    "Download the rows not imported (CSV)": "Pobierz niezaimportowane wiersze (CSV)",
    "Line": "Wiersz",
    "Reason": "Powód",
    "Row as read": "Wiersz z pliku",
    "The first {n} are shown; the file holds them all.":
        "Pokazano pierwsze {n}; plik zawiera wszystkie.",
    "Invalid number: {why}": "Błędny numer: {why}",
    "The same number as line {line}": "Ten sam numer co w wierszu {line}",
    "{phone} is already in the list": "{phone} jest już na liście",
    "Empty line": "Pusty wiersz",
    "Unreadable characters (not UTF-8, Windows-1250 or ISO-8859-2)":
        "Nieczytelne znaki (nie UTF-8, Windows-1250 ani ISO-8859-2)",
    "The file is larger than {n} MB; split it into smaller files.":
        "Plik jest większy niż {n} MB; podziel go na mniejsze pliki.",
    # do not call
    "These numbers are never dialled: everywhere, or only in one campaign. The dialer checks "
    "the list before every call.":
        "Do tych numerów nikt nie dzwoni: nigdzie albo tylko w jednej kampanii. Dialer "
        "sprawdza listę przed każdym połączeniem.",
    "Added: {added}. Already on the list: {already}. Invalid: {invalid}.":
        "Dodano: {added}. Już na liście: {already}. Błędne: {invalid}.",
    "Show": "Pokaż",
    "All entries": "Wszystkie wpisy",
    "Every campaign": "Wszystkie kampanie",
    "Campaign {name}": "Kampania {name}",
    "Number or note": "Numer lub notatka",
    "Export CSV": "Eksport CSV",
    "Entries: {n}": "Wpisy: {n}",
    "Where": "Gdzie",
    "Added by": "Dodał(a)",
    "Add a number": "Dodaj numer",
    "Import numbers": "Import numerów",
    "A CSV or XLSX file with a column of phone numbers (header telefon or phone, or a single "
    "column).":
        "Plik CSV lub XLSX z kolumną numerów telefonów (nagłówek telefon lub phone albo "
        "jedna kolumna).",
    "{phone} will not be called.": "Numer {phone} nie będzie wybierany.",
    "{phone} may be called again.": "Numer {phone} może być znowu wybierany.",
    # appliance.campaigns.lists: why a number is refused (PhoneError.reason)
    "no number": "brak numeru",
    "letters in the number": "litery w numerze",
    "characters that are not part of a phone number": "znaki, których nie ma w numerze telefonu",
    "a + only at the start of the number": "znak + tylko na początku numeru",
    "a country code does not start with 0": "numer kierunkowy kraju nie zaczyna się od 0",
    "a national number does not start with 0": "numer krajowy nie zaczyna się od 0",
    "too short": "za krótki",
    "too long": "za długi",
    "unreadable characters": "nieczytelne znaki",
    "number in scientific notation: digits were lost; format the column as text":
        "numer w notacji naukowej: cyfry zostały utracone; sformatuj kolumnę jako tekst",
    # appliance.campaigns.lists: ListError texts without values
    "The file is empty.": "Plik jest pusty.",
    "This is an old Excel file (.xls); save it as .xlsx or CSV and upload it again.":
        "To stary plik Excela (.xls); zapisz go jako .xlsx lub CSV i wyślij ponownie.",
    "This is not a CSV text file (it holds binary data); upload a CSV or an XLSX file.":
        "To nie jest tekstowy plik CSV (zawiera dane binarne); wyślij plik CSV lub XLSX.",
    "XLSX files need the python3-openpyxl package; upload the list as CSV instead":
        "Pliki XLSX wymagają pakietu python3-openpyxl; wyślij listę jako CSV.",
    "No column holds the phone number: choose the phone column. Nothing was imported.":
        "Żadna kolumna nie zawiera numeru telefonu: wybierz kolumnę z telefonem. "
        "Nic nie zaimportowano.",
    "No column holds the phone number: name its header 'telefon' or 'phone'. "
    "Nothing was imported.":
        "Żadna kolumna nie zawiera numeru telefonu: nazwij jej nagłówek „telefon” lub "
        "„phone”. Nic nie zaimportowano.",
    "Only one column can hold the phone number.": "Tylko jedna kolumna może zawierać numer "
                                                  "telefonu.",
    "Two columns are mapped to the same field.": "Dwie kolumny wskazują to samo pole.",
    "List name: 1 to 80 characters.": "Nazwa listy: od 1 do 80 znaków.",
    "Country code: 1 to 3 digits, like 48.": "Kierunkowy kraju: od 1 do 3 cyfr, np. 48.",
    "There is no such list.": "Nie ma takiej listy.",
    "There is no such field.": "Nie ma takiego pola.",
    "There is no such record.": "Nie ma takiego rekordu.",
    "There is no such import.": "Nie ma takiego importu.",
    "There is no such campaign.": "Nie ma takiej kampanii.",
    "This import has already run.": "Ten import został już wykonany.",
    "The columns were never mapped; upload the file again.":
        "Kolumny nie zostały wybrane; wyślij plik ponownie.",
    "The uploaded file is gone; upload it again.":
        "Wysłanego pliku już nie ma; wyślij go ponownie.",
    "The panel restarted during the import; the rows imported so far are kept. Upload the "
    "file again to import the rest: numbers already in the list are skipped.":
        "Panel został uruchomiony ponownie w trakcie importu; zaimportowane wiersze "
        "zostają. Wyślij plik ponownie, aby zaimportować resztę: numery, które już są na "
        "liście, zostaną pominięte.",
    "Choose a CSV or XLSX file to upload.": "Wybierz plik CSV lub XLSX do wysłania.",
    "Upload a CSV or an XLSX file (.csv, .txt or .xlsx).":
        "Wyślij plik CSV lub XLSX (.csv, .txt lub .xlsx).",
}
