"""Polish texts of voice mailing (AUTO-1): the campaign form's voice fields, the progress
page's lines and message, the per-number report (merged into i18n.CATALOG; VOICECAST_ENGLISH
holds keyword ids whose English is not the bare id).  The store's refusals
(appliance.campaigns.campaigns E_*/W_*) are here word for word."""
from __future__ import annotations

from ..campaigns import campaigns as _c

VOICECAST_ENGLISH: dict[str, str] = {}

VOICECAST: dict[str, str] = {
    # the store's refusals and warnings
    _c.E_KIND: "rodzaj kampanii: agenci albo wysyłka głosowa",
    _c.E_VOICE_QUEUE: "wysyłka głosowa: wybierz kolejkę, do której klawisz łączy rozmówcę",
    _c.E_MESSAGE: "wysyłka głosowa: wybierz nagraną wiadomość albo wpisz tekst do odczytania",
    _c.E_MESSAGE_PROMPT: "wysyłka głosowa: nagrana wiadomość musi być jednym z komunikatów centrali",
    _c.E_MESSAGE_LONG: "wysyłka głosowa: tekst wiadomości może mieć najwyżej 2000 znaków",
    _c.E_MESSAGE_LANG: "wysyłka głosowa: język wiadomości to polski albo angielski",
    _c.E_PLACEHOLDER: "wysyłka głosowa: wiadomość używa pola, którego nie ma żadna dołączona lista",
    _c.E_CONNECT_KEY: "wysyłka głosowa: klawisz połączenia z konsultantem to cyfra 0-9 albo brak",
    _c.E_REPEAT_KEY: "wysyłka głosowa: klawisz powtórzenia to cyfra, * lub # albo brak",
    _c.E_SAME_KEYS: "wysyłka głosowa: klawisz powtórzenia i klawisz połączenia muszą się różnić",
    _c.E_MAX_REPEATS: "wysyłka głosowa: powtórzenia: liczba całkowita od 0 do 5",
    _c.E_MACHINE_ACTION: "automaty zgłoszeniowe: krótka wiadomość, ponowienie później albo rozłączenie",
    _c.E_MACHINE_MESSAGE: "automaty zgłoszeniowe: krótka wiadomość wymaga nagrania albo tekstu",
    _c.E_MAX_LINES: "wysyłka głosowa: połączeń naraz: liczba całkowita od 1 do 60",
    _c.W_VOICE_NO_KEY: "brak klawisza połączenia z konsultantem: odbiorcy mogą tylko słuchać",
    "{error}: {value}": "{error}: {value}",
    # the form
    "Kind": "Rodzaj",
    "Agents: answered calls go to the agents": "Agenci: odebrane połączenia trafiają do konsultantów",
    "Voice mailing: a message, a key to reach an agent":
        "Wysyłka głosowa: wiadomość i klawisz połączenia z konsultantem",
    "Voice mailing: the message": "Wysyłka głosowa: wiadomość",
    "Only for campaigns of the voice mailing kind. The agent group above is the queue callers reach with the key.":
        "Tylko dla kampanii rodzaju wysyłka głosowa. Grupa agentów powyżej to kolejka, "
        "do której odbiorca trafia po naciśnięciu klawisza.",
    "Recorded message": "Nagrana wiadomość",
    "none: speak the text below": "brak: odczytaj tekst poniżej",
    "Language of the spoken text": "Język odczytywanego tekstu",
    "Polish": "polski",
    "English": "angielski",
    "Key to reach an agent": "Klawisz połączenia z konsultantem",
    "Key to hear it again": "Klawisz ponownego odsłuchania",
    "Repeats at most (0-5)": "Najwięcej powtórzeń (0-5)",
    "Calls at once (1-60)": "Połączeń naraz (1-60)",
    "Text to speak (espeak-ng)": "Tekst do odczytania (espeak-ng)",
    "Placeholders are filled in per contact:": "Pola są wypełniane dla każdego kontaktu:",
    "Answering machines (with AMD on)": "Automaty zgłoszeniowe (przy włączonym AMD)",
    "When a machine answers": "Gdy odbierze automat",
    "Leave the short message": "Zostaw krótką wiadomość",
    "Hang up and call again later": "Rozłącz i zadzwoń ponownie później",
    "Hang up for good": "Rozłącz i nie dzwoń więcej",
    "Recorded short message": "Nagrana krótka wiadomość",
    "Short message text": "Tekst krótkiej wiadomości",
    # the progress page
    "Voice mailing": "Wysyłka głosowa",
    "Lines in use / most": "Linie zajęte / najwięcej",
    "ringing": "dzwoni",
    "The message": "Wiadomość",
    "As {name} hears it:": "Tak usłyszy ją {name}:",
    "Listen": "Odsłuchaj",
    "Attach a contact list to hear the message as a contact will.":
        "Dołącz listę kontaktów, aby odsłuchać wiadomość tak, jak usłyszy ją kontakt.",
    "No such contact in this campaign's lists.": "Nie ma takiego kontaktu na listach tej kampanii.",
    "The recorded message is one of Asterisk's own sounds: there is no file here to play.":
        "Nagrana wiadomość to jeden z dźwięków Asteriska: nie ma tu pliku do odtworzenia.",
    # outcomes and the report
    "Listened to the end": "Wysłuchał do końca",
    "Pressed the key": "Nacisnął klawisz",
    "Pressed the key, no agent took it": "Nacisnął klawisz, żaden konsultant nie odebrał",
    "Hung up during the message": "Rozłączył się w trakcie wiadomości",
    "Not called yet": "Jeszcze nie dzwoniono",
    "Do not call": "Nie dzwonić",
    "Numbers": "Numery",
    "Still to call": "Do zadzwonienia",
    "Number": "Numer",
    "Final outcome": "Wynik końcowy",
    "Attempts": "Próby",
    "Message heard (s)": "Wysłuchano wiadomości (s)",
    "Keys pressed": "Naciśnięte klawisze",
    "Voice mailing totals": "Wysyłka głosowa: podsumowanie",
    "Per number": "Według numerów",
    "Numbers by what came of them": "Numery według wyniku",
}
