"""Polish texts of the webhook pages (webui/webhooks.py, templates/webhooks/).

Part of the panel's one catalogue: `i18n.CATALOG` merges WEBHOOKS, and `i18n.ENGLISH` merges
WEBHOOKS_ENGLISH (keyword ids whose English is not the id itself).  The refusals of
appliance.telephony.webhooks (E_*) are here word for word.
"""
from __future__ import annotations

from ..telephony import webhooks as _w

WEBHOOKS_ENGLISH: dict[str, str] = {
    "webhook_status:pending": "waiting",
    "webhook_status:delivered": "delivered",
    "webhook_status:failed": "failed",
}

WEBHOOKS: dict[str, str] = {
    "webhook_status:pending": "oczekuje",
    "webhook_status:delivered": "dostarczone",
    "webhook_status:failed": "nieudane",
    "Webhooks": "Webhooki",
    "Webhook": "Webhook",
    "New webhook": "Nowy webhook",
    "Add webhook": "Dodaj webhook",
    "No webhooks yet.": "Nie ma jeszcze webhooków.",
    "Receiver address (http:// or https://)": "Adres odbiorcy (http:// lub https://)",
    "Calls: started, queued, answered, ended":
        "Połączenia: rozpoczęte, w kolejce, odebrane, zakończone",
    "Agents: login, logout, pause, ready": "Agenci: zalogowanie, wylogowanie, przerwa, gotowość",
    "Campaigns: each call's outcome": "Kampanie: wynik każdego połączenia",
    "Last delivered": "Ostatnio dostarczone",
    "Delivery log": "Dziennik doręczeń",
    "Nothing sent yet.": "Nic jeszcze nie wysłano.",
    "HTTP code": "Kod HTTP",
    "Next attempt or delivered": "Następna próba lub doręczenie",
    "Retry now": "Ponów teraz",
    "Send a test event": "Wyślij zdarzenie testowe",
    "New secret": "Nowy sekret",
    "New secret made": "Utworzono nowy sekret",
    "Webhook added": "Dodano webhook",
    "Webhook secret": "Sekret webhooka",
    "Signing secret": "Sekret do podpisu",
    "Back to the webhook": "Powrót do webhooka",
    "The old secret no longer signs anything.": "Stary sekret niczego już nie podpisuje.",
    "Copy this secret into the receiver now: it is not shown again. The receiver computes "
    "HMAC-SHA256 of the X-JNS-Timestamp header, a dot and the raw body with it, and compares "
    "the hex digest with the X-JNS-Signature header (after 'sha256=').":
        "Skopiuj teraz ten sekret do odbiorcy: nie zostanie pokazany ponownie. Odbiorca liczy "
        "nim HMAC-SHA256 z nagłówka X-JNS-Timestamp, kropki i surowej treści żądania, i "
        "porównuje skrót szesnastkowy z nagłówkiem X-JNS-Signature (po 'sha256=').",
    "The box sends call, agent and campaign events as they happen (the same events the "
    "wallboard shows) to receivers on your network: an HTTP POST with a JSON body, signed "
    "with the webhook's secret in the X-JNS-Signature header. A receiver that does not "
    "answer 2xx gets the event again after 10 s, 1 min, 5 min, 30 min and 2 h.":
        "Centrala wysyła zdarzenia połączeń, agentów i kampanii na bieżąco (te same, które "
        "pokazuje tablica) do odbiorców w Twojej sieci: żądanie HTTP POST z treścią JSON, "
        "podpisane sekretem webhooka w nagłówku X-JNS-Signature. Odbiorca, który nie "
        "odpowie kodem 2xx, dostaje zdarzenie ponownie po 10 s, 1 min, 5 min, 30 min i 2 godz.",
    "Webhook saved.": "Zapisano webhook.",
    "Webhook deleted.": "Usunięto webhook.",
    "Test event queued: it is sent within seconds; see the delivery log.":
        "Zdarzenie testowe czeka na wysłanie: zostanie wysłane w ciągu kilku sekund; "
        "zobacz dziennik doręczeń.",
    "Test event queued; it is sent when the webhook is switched on.":
        "Zdarzenie testowe czeka; zostanie wysłane po włączeniu webhooka.",
    "The delivery is sent again now.": "Doręczenie jest wysyłane ponownie.",
    "This delivery was already delivered.": "To zdarzenie zostało już dostarczone.",
    _w.E_URL_EMPTY: "Podaj adres odbiorcy.",
    _w.E_URL_LONG: "Adres jest za długi (najwyżej 500 znaków).",
    _w.E_URL_CHARS: "Adres nie może zawierać spacji ani znaków sterujących.",
    _w.E_URL_SCHEME: "Dozwolone są tylko adresy http:// i https://.",
    _w.E_URL_USERINFO: "Nie wpisuj w adres nazwy użytkownika ani hasła; sprawdzaj podpis.",
    _w.E_URL_HOST: "Adres nie ma poprawnej nazwy hosta.",
    _w.E_URL_PORT: "Adres ma nieprawidłowy port.",
    _w.E_URL_FRAGMENT: "Adres nie może zawierać fragmentu po #.",
    _w.E_URL_ADDRESS: "Ten adres IP nie może odbierać webhooków (multicast, link-local lub "
                      "nieokreślony).",
    _w.E_EVENTS: "Wybierz co najmniej jeden rodzaj zdarzeń.",
    _w.E_DESCRIPTION: "Opis jest za długi (najwyżej 200 znaków).",
}
