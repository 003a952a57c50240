"""Polish texts of the callback settings (queue form, webui/queues.py) and the store's
refusals (appliance.telephony.callbacks E_*) word for word.  Merged into `i18n.CATALOG`."""
from __future__ import annotations

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
    "No callbacks waiting.": "Brak oczekujących oddzwonień.",
    _c.E_KEY: "Klawisz oddzwonienia to 0-9, * lub # (puste: bez oddzwaniania).",
    _c.E_OPERATOR_KEY: "Klawisz oddzwonienia nie może być klawiszem operatora.",
    _c.E_RETRIES: "Liczba ponownych prób oddzwonienia to liczba całkowita od 0 do 5.",
    _c.E_EXPIRY: "Czas wygaśnięcia oddzwonienia to liczba całkowita minut od 1 do 1440.",
    _c.E_QUEUE: "Nieznana kolejka.",
}
