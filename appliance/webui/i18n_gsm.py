"""Polish texts of the GSM pages (modems and SMS).

Part of the panel's one catalogue: `i18n.CATALOG` merges GSM, and `i18n.ENGLISH` merges
GSM_ENGLISH (keyword ids whose English is not the bare word after the colon).
"""
from __future__ import annotations

GSM_ENGLISH: dict[str, str] = {
    "modem:absent": "not connected",
    "modem:starting": "starting",
    "modem:ready": "ready",
    "modem:pin_required": "PIN needed",
    "modem:pin_rejected": "PIN rejected",
    "modem:puk_required": "SIM locked (PUK)",
    "modem:no_sim": "no SIM card",
    "modem:not_registered": "not registered",
    "modem:error": "error",
    "encoding:gsm7": "GSM 7-bit",
    "encoding:ucs2": "UCS-2",
    "pin:none": "no PIN entered",
    "pin:new": "PIN waiting to be entered",
    "pin:tried": "PIN entered, waiting for the SIM",
    "pin:accepted": "PIN accepted",
    "pin:rejected": "PIN rejected; enter the right one",
}

GSM: dict[str, str] = {
    "Modems": "Modemy",
    "GSM modems": "Modemy GSM",
    "SMS": "SMS",
    "The modem service finds modems on the serial ports by itself and writes what it learns "
    "here. Messages are sent and received on the SMS page.":
        "Usługa modemów sama wyszukuje modemy na portach szeregowych i zapisuje tutaj, "
        "czego się dowie. Wiadomości wysyła się i odbiera na stronie SMS.",
    "Port": "Port",
    "State": "Stan",
    "Operator": "Operator",
    "Signal": "Sygnał",
    "Registration": "Rejestracja",
    "IMEI": "IMEI",
    "IMSI": "IMSI",
    "Model": "Model",
    "Last error": "Ostatni błąd",
    "Updated": "Aktualizacja",
    "{n} of 5 bars": "{n} z 5 kresek",
    "unknown": "nieznany",
    "SIM PIN": "PIN karty SIM",
    "The modem service enters a PIN once. If the SIM rejects it, it is erased and never tried "
    "again: check it before saving (three wrong PINs lock the SIM).":
        "Usługa modemów wprowadza PIN jeden raz. Jeśli karta SIM go odrzuci, zostanie usunięty "
        "i nigdy nie będzie ponawiany: sprawdź go przed zapisaniem (trzy błędne PIN-y "
        "blokują kartę).",
    "PIN for the SIM in {port}": "PIN karty SIM w {port}",
    "Save PIN": "Zapisz PIN",
    "No modem found yet.": "Nie znaleziono jeszcze żadnego modemu.",
    "Add a port by hand": "Dodaj port ręcznie",
    "Add port": "Dodaj port",
    "Port {port} added; the modem service will probe it.":
        "Dodano port {port}; usługa modemów go sprawdzi.",
    "PIN saved; the modem service enters it once.":
        "Zapisano PIN; usługa modemów wprowadzi go jeden raz.",
    "modem:absent": "niepodłączony",
    "modem:starting": "uruchamia się",
    "modem:ready": "gotowy",
    "modem:pin_required": "wymaga PIN-u",
    "modem:pin_rejected": "PIN odrzucony",
    "modem:puk_required": "karta zablokowana (PUK)",
    "modem:no_sim": "brak karty SIM",
    "modem:not_registered": "niezarejestrowany w sieci",
    "modem:error": "błąd",
    "pin:none": "nie wprowadzono PIN-u",
    "pin:new": "PIN czeka na wprowadzenie",
    "pin:tried": "PIN wprowadzony, czekam na kartę",
    "pin:accepted": "PIN przyjęty",
    "pin:rejected": "PIN odrzucony; wprowadź właściwy",
    # SMS page
    "No GSM modem found yet: messages wait in the queue until one is ready.":
        "Nie znaleziono jeszcze modemu GSM: wiadomości czekają w kolejce, aż któryś "
        "będzie gotowy.",
    "New message": "Nowa wiadomość",
    "Not queued: {error}": "Nie dodano do kolejki: {error}",
    "Phone number": "Numer telefonu",
    "Text": "Treść",
    "{chars} characters, {encoding}, {parts} part(s)":
        "{chars} znaków, {encoding}, części: {parts}",
    "Polish letters make the whole message UCS-2: 70 characters in one part, 67 per part in a "
    "longer one (GSM 7-bit: 160 and 153).":
        "Polskie litery sprawiają, że cała wiadomość idzie w UCS-2: 70 znaków w jednej "
        "części, 67 na część w dłuższej (GSM 7-bit: 160 i 153).",
    "Queue for sending": "Dodaj do kolejki wysyłki",
    "Count characters": "Policz znaki",
    "Message to {number} queued: {encoding}, {parts} part(s).":
        "Wiadomość do {number} w kolejce: {encoding}, części: {parts}.",
    "encoding:gsm7": "GSM 7-bit",
    "encoding:ucs2": "UCS-2",
    "Outbox": "Wysłane",
    "Queued": "Dodano",
    "Number": "Numer",
    "Purpose": "Cel",
    "Status": "Stan",
    "Parts": "Części",
    "Attempts": "Próby",
    "Sent": "Wysłano",
    "Delivered": "Doręczono",
    "Error": "Błąd",
    "sms:queued": "w kolejce",
    "sms:sending": "wysyłanie",
    "sms:sent": "wysłano",
    "sms:delivered": "doręczono",
    "sms:failed": "niepowodzenie",
    "No messages sent yet.": "Nie wysłano jeszcze żadnej wiadomości.",
    "Inbox": "Odebrane",
    "Received": "Odebrano",
    "From": "Od",
    "(incomplete: parts missing)": "(niekompletna: brak części)",
    "No messages received yet.": "Nie odebrano jeszcze żadnej wiadomości.",
    # StoreError texts from appliance.store.sms (must match them exactly)
    "a SIM PIN is 4 to 8 digits": "PIN karty SIM to od 4 do 8 cyfr.",
    "phone number must be 3 to 20 digits, optionally starting with +":
        "Numer telefonu to od 3 do 20 cyfr, opcjonalnie poprzedzonych znakiem +.",
    "message text must be 1 to 1600 characters": "Treść wiadomości: od 1 do 1600 znaków.",
    "port must be a device path like /dev/ttyUSB2 or /dev/serial/by-id/...":
        "Port to ścieżka urządzenia, np. /dev/ttyUSB2 lub /dev/serial/by-id/...",
}
