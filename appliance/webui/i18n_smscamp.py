"""Polish texts of the SMS campaign pages (webui/sms_campaigns.py, templates/sms_campaigns/).

Part of the panel's one catalogue: `i18n.CATALOG` merges SMSCAMP, and `i18n.ENGLISH` merges
SMSCAMP_ENGLISH (keyword ids whose English is not the id itself).  The store's refusals
(appliance.campaigns.sms_campaigns E_*) are here word for word.
"""
from __future__ import annotations

from ..campaigns import sms_campaigns as _s

SMSCAMP_ENGLISH: dict[str, str] = {
    "smscamp_state:pending": "to send",
    "smscamp_state:queued": "queued",
    "smscamp_state:sent": "sent",
    "smscamp_state:delivered": "delivered",
    "smscamp_state:failed": "failed",
    "smscamp_state:dnc": "skipped: do not call",
    "smscamp_encoding:gsm7": "GSM 7-bit",
    "smscamp_encoding:ucs2": "UCS-2",
    "smscamp_col:phone": "phone",
    "smscamp_col:name": "name",
    "smscamp_col:state": "state",
    "smscamp_col:encoding": "encoding",
    "smscamp_col:parts": "parts",
    "smscamp_col:modem": "modem",
    "smscamp_col:queued_at": "queued at",
    "smscamp_col:sent_at": "sent at",
    "smscamp_col:delivered_at": "delivered at",
    "smscamp_col:error": "error",
    "smscamp_col:reply": "reply",
    "smscamp_col:replied_at": "replied at",
    "smscamp_col:opt_out": "STOP",
}

SMSCAMP: dict[str, str] = {
    "smscamp_state:pending": "do wysłania",
    "smscamp_state:queued": "w kolejce",
    "smscamp_state:sent": "wysłane",
    "smscamp_state:delivered": "doręczone",
    "smscamp_state:failed": "nieudane",
    "smscamp_state:dnc": "pominięte: nie kontaktować",
    "smscamp_encoding:gsm7": "GSM 7-bit",
    "smscamp_encoding:ucs2": "UCS-2",
    "smscamp_col:phone": "telefon",
    "smscamp_col:name": "nazwa",
    "smscamp_col:state": "stan",
    "smscamp_col:encoding": "kodowanie",
    "smscamp_col:parts": "części",
    "smscamp_col:modem": "modem",
    "smscamp_col:queued_at": "w kolejce od",
    "smscamp_col:sent_at": "wysłano",
    "smscamp_col:delivered_at": "doręczono",
    "smscamp_col:error": "błąd",
    "smscamp_col:reply": "odpowiedź",
    "smscamp_col:replied_at": "odpowiedziano",
    "smscamp_col:opt_out": "STOP",
    # the list
    "SMS campaigns": "Kampanie SMS",
    "New SMS campaign": "Nowa kampania SMS",
    "No SMS campaigns yet.": "Nie ma jeszcze kampanii SMS.",
    "No modem is ready: nothing is sent.": "Żaden modem nie jest gotowy: nic nie jest wysyłane.",
    "{done} of {total} messages done": "gotowe: {done} z {total} wiadomości",
    "queued": "w kolejce",
    "sent": "wysłane",
    "Replies": "Odpowiedzi",
    "SMS campaign started.": "Kampania SMS uruchomiona.",
    "SMS campaign paused.": "Kampania SMS wstrzymana.",
    "SMS campaign stopped.": "Kampania SMS zatrzymana.",
    # the form
    "SMS campaign {name}": "Kampania SMS {name}",
    "SMS campaign {name} saved: check the preview, then start it.":
        "Kampania SMS {name} zapisana: sprawdź podgląd, potem ją uruchom.",
    "GSM 7-bit: 160 characters in one SMS, 153 per part of a longer one":
        "GSM 7-bit: 160 znaków w jednym SMS-ie, 153 w każdej części dłuższego",
    "UCS-2 (Unicode): 70 characters in one SMS, 67 per part; because of:":
        "UCS-2 (Unicode): 70 znaków w jednym SMS-ie, 67 w każdej części; z powodu:",
    "Characters": "Znaki",
    "SMS parts": "części SMS",
    "Placeholders filled from each contact:": "Pola wypełniane danymi każdego kontaktu:",
    "The counter counts the text as typed; the preview counts every contact's own text.":
        "Licznik liczy tekst tak, jak go wpisano; podgląd liczy tekst każdego kontaktu.",
    "When to send": "Kiedy wysyłać",
    "Send from": "Wysyłaj od",
    "Send until": "Wysyłaj do",
    "How to send": "Jak wysyłać",
    "Messages per modem and minute (1-60)": "Wiadomości na modem na minutę (1-60)",
    "Messages per modem and minute": "Wiadomości na modem na minutę",
    "Price of one SMS part (for the cost estimate)":
        "Cena jednej części SMS (do szacunku kosztu)",
    "Replies count for (days after sending)": "Odpowiedzi liczą się przez (dni po wysłaniu)",
    "Replies count for": "Odpowiedzi liczą się przez",
    "A reply STOP or NIE puts the number on the do-not-call list.":
        "Odpowiedź STOP lub NIE wpisuje numer na listę „nie kontaktować”.",
    "Save and preview": "Zapisz i pokaż podgląd",
    # the campaign page
    "Outside the sending window: messages wait until {start} on the campaign's days.":
        "Poza godzinami wysyłki: wiadomości czekają do {start} w dni kampanii.",
    "Preview": "Podgląd",
    "Recipients": "Odbiorcy",
    "{n} numbers on the lists": "numerów na listach: {n}",
    "Skipped: do not call": "Pominięte: nie kontaktować",
    "GSM 7-bit messages": "Wiadomości GSM 7-bit",
    "160 characters, 153 per part": "160 znaków, 153 w części",
    "UCS-2 messages": "Wiadomości UCS-2",
    "70 characters, 67 per part": "70 znaków, 67 w części",
    "SMS parts in total": "Części SMS razem",
    "at most {n} per message": "najwyżej {n} na wiadomość",
    "Cost estimate": "Szacowany koszt",
    "{parts} parts × {price}": "{parts} części × {price}",
    "{n} messages go as UCS-2 (70 characters in one SMS, 67 per part) because of these "
    "characters:": "Wiadomości wysyłane jako UCS-2 (70 znaków w SMS-ie, 67 w części): {n}, "
                   "z powodu tych znaków:",
    "replace them (e.g. ą → a) to send GSM 7-bit.":
        "zamień je (np. ą → a), by wysłać w GSM 7-bit.",
    "{n} personalised texts are too long to send; they will fail.":
        "Spersonalizowane teksty za długie do wysłania (nie pójdą): {n}.",
    "The text as typed: {chars} characters, {encoding}, {parts} part(s).":
        "Tekst jak wpisano: znaków {chars}, {encoding}, części: {parts}.",
    "Sample: {name} ({phone})": "Przykład: {name} ({phone})",
    "{chars} characters, {encoding}, {parts} part(s).":
        "Znaków {chars}, {encoding}, części: {parts}.",
    "No recipients: attach a contact list with numbers not on the do-not-call list.":
        "Brak odbiorców: dołącz listę kontaktów z numerami spoza listy "
        "„nie kontaktować”.",
    "of which STOP: {n}": "w tym STOP: {n}",
    "Sending window": "Godziny wysyłki",
    "Starting sends to the recipients above, inside the sending window.":
        "Uruchomienie wysyła do powyższych odbiorców, w godzinach wysyłki.",
    "{n} days": "dni: {n}",
    # the report
    "Numbers": "Numery",
    "SMS parts sent": "Wysłane części SMS",
    "cost {cost}": "koszt {cost}",
    "Messages": "Wiadomości",
    "Messages by state": "Wiadomości według stanu",
    "No replies yet.": "Nie ma jeszcze odpowiedzi.",
    "yes: STOP": "tak: STOP",
    "Per number": "Według numeru",
    "The first {n} numbers are shown; the CSV file has them all.":
        "Widać pierwsze {n} numerów; plik CSV zawiera wszystkie.",
    "Modem": "Modem",
    "Reply": "Odpowiedź",
    # the store's refusals and reasons
    _s.E_NAME: "nazwa kampanii: 1-40 małych liter, cyfr, - i _",
    _s.E_EXISTS: "kampania SMS o tej nazwie już istnieje",
    _s.E_TITLE: "tytuł: najwyżej 80 znaków, jeden wiersz",
    _s.E_TEXT: f"treść wiadomości: od 1 do {_s.MAX_TEXT} znaków",
    _s.E_TEXT_CONTROL: "treść wiadomości: znaki sterujące są niedozwolone (nowe wiersze tak)",
    _s.E_PLACEHOLDER:
        "treść wiadomości: {placeholder} nie jest polem każdej dołączonej listy",
    _s.E_WINDOW_FORMAT: "godziny wysyłki: czas jako GG:MM, np. 09:00",
    _s.E_WINDOW_ORDER: "godziny wysyłki: początek musi być przed końcem",
    _s.E_WEEKDAYS: "dni wysyłki: wybierz co najmniej jeden dzień tygodnia",
    _s.E_RATE: "wiadomości na modem na minutę: liczba całkowita od 1 do 60",
    _s.E_PRICE: f"cena części SMS: liczba od 0 do {_s.MAX_PRICE:g}",
    _s.E_REPLY_DAYS: "odpowiedzi liczą się przez: liczba dni od 1 do 90",
    _s.E_NO_LIST: "nie ma takiej listy kontaktów",
    _s.E_NO_CAMPAIGN: "nie ma takiej kampanii SMS",
    _s.E_STATUS: "stan kampanii: szkic, trwa, wstrzymana, zatrzymana lub zakończona",
    _s.E_TRANSITION: "ta kampania SMS nie może przejść do tego stanu z obecnego",
    _s.E_NOT_EDITABLE: "zmienić można tylko szkic lub wstrzymaną kampanię SMS",
    _s.E_START_LISTS: "nie można uruchomić: dołącz co najmniej jedną listę z kontaktami",
    _s.E_UNKNOWN_FIELD: "kampania SMS: nieznane pole",
    _s.WHY_DNC: "na liście „nie kontaktować”",
    _s.WHY_VANISHED: "wiadomość usunięto z kolejki SMS",
    _s.WHY_CANNOT_SEND: "spersonalizowanego tekstu nie da się wysłać jako SMS",
}
