"""Polish texts of the callback settings (queue form, webui/queues.py), the store's
refusals (appliance.telephony.callbacks E_*) word for word, and the callbacks in the
reports (appliance.reports.queries).  Merged into `i18n.CATALOG`; the English words of the
report values ("value:<status>") into `i18n.ENGLISH`."""
from __future__ import annotations

from ..reports import queries as _q
from ..telephony import callbacks as _c

CALLBACKS: dict[str, str] = {
    "Callback instead of waiting": "Oddzwonienie zamiast czekania",
    "A waiting caller who presses the callback key hangs up and keeps their place; when an "
    "agent takes it, the box calls them back.":
        "Czekający, który naciśnie klawisz oddzwonienia, rozłącza się i zachowuje miejsce "
        "w kolejce; gdy przyjdzie jego kolej i konsultant ją przyjmie, centrala oddzwoni.",
    "Callback key": "Klawisz oddzwonienia",
    "no callback": "bez oddzwaniania",
    "Callback retries if unanswered": "Ponowne próby oddzwonienia, gdy nikt nie odbiera",
    "Callback expires after (min)": "Oddzwonienie wygasa po (min)",
    "Callbacks waiting": "Oczekujące oddzwonienia",
    _c.E_KEY: "Klawisz oddzwonienia to 0-9, * lub # (puste: bez oddzwaniania).",
    _c.E_OPERATOR_KEY: "Klawisz oddzwonienia nie może być klawiszem operatora.",
    _c.E_RETRIES: "Liczba ponownych prób oddzwonienia to liczba całkowita od 0 do 5.",
    _c.E_EXPIRY: "Czas wygaśnięcia oddzwonienia to liczba całkowita minut od 1 do 1440.",
    _c.E_QUEUE: "Nieznana kolejka.",
    # the reports (BEY-2)
    "Every callback a waiting caller asked for: queue, number, result, the agent who called "
    "back and after how long.":
        "Każde oddzwonienie, o które poprosił czekający: kolejka, numer, wynik, konsultant, "
        "który oddzwonił, i po jakim czasie.",
    "Requested": "Zgłoszono",
    "Number to call back": "Numer do oddzwonienia",
    "Called back after": "Oddzwoniono po",
    "Callback": "Oddzwonienie",
    "Asked for a callback": "Prośba o oddzwonienie",
    "Callbacks connected": "Oddzwonienia połączone",
    "Callbacks failed": "Oddzwonienia nieudane",
    "Callbacks expired": "Oddzwonienia wygasłe",
    "Callbacks per queue": "Oddzwonienia w kolejkach",
    "Connected": "Połączone",
    "Failed": "Nieudane",
    "Expired": "Wygasłe",
    "Still open": "Jeszcze otwarte",
    "Average time to call back": "Średni czas do oddzwonienia",
    next(d["text"] for d in _q.DEFINITIONS if d["key"] == "callback"):
        "oddzwonienie = dzwoniący nacisnął klawisz oddzwonienia kolejki i usłyszał, że "
        "centrala oddzwoni (EXITWITHKEY, potem nasz wiersz INFO CALLBACK|requested). To "
        "wizyta nieodebrana, ale nie porzucenie: nie wchodzi do wskaźnika porzuceń ani do "
        "poziomu obsługi liczonego od odebranych, a do poziomu obsługi liczonego od "
        "wszystkich wchodzi jak każda wizyta nieodebrana. Połączenie zastępcze, które trzyma "
        "miejsce dzwoniącego, i samo oddzwonienie nie są osobnymi połączeniami w kolejce; "
        "raport Oddzwonienia pokazuje każde oddzwonienie raz, według chwili zgłoszenia, "
        "z wynikiem: połączone (klient odebrał oddzwonienie konsultanta, po pokazanym "
        "czasie), nieudane (nikt nie odebrał mimo ponownych prób), wygasłe (żaden konsultant "
        "nie przyjął go na czas) albo jeszcze otwarte. Ponowna prośba, gdy jedno jest "
        "otwarte, dodaje wizytę zakończoną oddzwonieniem, a nie drugie oddzwonienie. "
        "Oddzwonienie zamówione po godzinach pracy (cel „oddzwonienie”: naciśnij 1) nie ma "
        "wizyty w kolejce; przypada na najbliższe otwarcie wybranego numeru i od tej chwili "
        "liczy się czas do oddzwonienia.",
    "action:callback": "oddzwonienie (dzwoniący naciska 1)",
    "value:callback": "oddzwonienie",
    "value:requested": "zgłoszone",
    "value:dialling": "dzwoni do klienta",
    "value:connected": "połączone",
    "value:failed": "nieudane",
    "value:expired": "wygasłe",
    "value:cancelled": "anulowane",
}

# the English words of the report values above ("value:waiting" is the reports' own)
CALLBACKS_ENGLISH: dict[str, str] = {
    k: k.partition(":")[2] for k in CALLBACKS if k.startswith("value:")}
CALLBACKS_ENGLISH["value:dialling"] = "calling the customer"
CALLBACKS_ENGLISH["action:callback"] = "call back (the caller presses 1)"
