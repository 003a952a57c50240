"""Polish texts of the browser softphone (webui/softphone.py, templates/_softphone.html,
static/softphone.js through softphone.LABELS) and of the agents' phone kind.

Part of the panel's one catalogue: `i18n.CATALOG` merges SOFTPHONE, and `i18n.ENGLISH`
merges SOFTPHONE_ENGLISH (keyword ids whose English is not the id itself).
"""
from __future__ import annotations

SOFTPHONE_ENGLISH: dict[str, str] = {
    "phone:sip": "SIP phone (desk phone or app)",
    "phone:webrtc": "Browser (WebRTC)",
}

SOFTPHONE: dict[str, str] = {
    "phone:sip": "Telefon SIP (biurkowy lub aplikacja)",
    "phone:webrtc": "Przeglądarka (WebRTC)",
    "Phone of extension {ext} saved: {kind}.": "Zapisano telefon numeru {ext}: {kind}.",
    "Your extension uses a SIP phone, not the browser softphone; an admin changes this on the "
    "Configuration page.": "Twój numer korzysta z telefonu SIP, a nie z telefonu w przeglądarce; "
                           "administrator zmienia to na stronie Konfiguracja.",
    "Softphone": "Telefon w przeglądarce",
    "Registering...": "Rejestracja...",
    "Ready": "Gotowy",
    "Error": "Błąd",
    "Connecting to the telephone system...": "Łączenie z centralą...",
    "Incoming call from {number}": "Połączenie przychodzące od {number}",
    "Calling {number}...": "Dzwonię do {number}...",
    "In a call with {number}": "Rozmowa z {number}",
    "On hold": "Zawieszone",
    "Call ended": "Połączenie zakończone",
    "Answer": "Odbierz",
    "Reject": "Odrzuć",
    "Hang up": "Rozłącz",
    "Hold": "Zawieś",
    "Resume": "Wznów",
    "Mute": "Wycisz",
    "Unmute": "Włącz mikrofon",
    "Keypad": "Klawiatura",
    "Transfer to": "Przekaż do",
    "Transfer": "Przekaż",
    "Number to call": "Numer do wybrania",
    "Call": "Zadzwoń",
    "Microphone": "Mikrofon",
    "Speaker": "Głośnik",
    "Default": "Domyślny",
    "The browser blocks the microphone: allow it in the address bar and reload":
        "Przeglądarka blokuje mikrofon: zezwól na niego na pasku adresu i odśwież stronę",
    "The browser found no microphone: connect one and reload":
        "Przeglądarka nie znalazła mikrofonu: podłącz go i odśwież stronę",
    "This browser cannot make calls (no WebRTC); use a current Chrome, Edge or Firefox":
        "Ta przeglądarka nie obsługuje rozmów (brak WebRTC); użyj aktualnego Chrome, Edge lub "
        "Firefoksa",
    "The softphone cannot reach the telephone system over the WebSocket.":
        "Telefon w przeglądarce nie może połączyć się z centralą przez WebSocket.",
    "Open {link} once and accept the box's certificate (it is self-signed), then reload this page.":
        "Otwórz raz {link} i zaakceptuj certyfikat urządzenia (jest samopodpisany), potem "
        "odśwież tę stronę.",
    "The telephone system refused the registration: {reason}":
        "Centrala odrzuciła rejestrację: {reason}",
    "Enter a number: digits, + * #": "Wpisz numer: cyfry, + * #",
    "Transferred": "Przekazano",
    "The call failed: {reason}": "Połączenie nie powiodło się: {reason}",
    "The speaker cannot be chosen in this browser": "W tej przeglądarce nie można wybrać głośnika",
}
