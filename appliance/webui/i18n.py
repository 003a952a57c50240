"""Panel translations: a plain dict catalogue, Polish and English, no gettext machinery.

Message ids are the English texts themselves; `CATALOG` maps each to its Polish text.
`_()` picks the request's language (session -> logged-in user's lang -> Accept-Language
-> Polish) and fills `{named}` placeholders with str.format.  Templates get `_` as a Jinja
global and Jinja escapes the result, so never mark a translation as safe HTML.

Every UI string must be in CATALOG (tests/test_webui.py checks the templates); an
unknown id falls back to the id itself, which is how StoreError messages that have no
translation still reach the user.  This module never touches the database or Asterisk.
"""
from __future__ import annotations

import logging

from flask import g, has_request_context, request, session

from ..store.users import MIN_PASSWORD
from .i18n_inbound import ENGLISH, INBOUND
from .i18n_users import USERS
from .i18n_gsm import GSM, GSM_ENGLISH
from .i18n_hardware import HARDWARE, HARDWARE_ENGLISH
from .i18n_alerts import ALERTS, ALERTS_ENGLISH
from .i18n_queue_alarms import QUEUE_ALARMS
from .i18n_live import LIVE, LIVE_ENGLISH
from .i18n_reports import REPORTS, REPORTS_ENGLISH

LANGS = ("pl", "en")
DEFAULT_LANG = "pl"
# ids "prefix:word" name a keyword (a role, an action...); English shows the bare word
KEYWORD_PREFIXES = ("role", "action", "record", "unit", "match", "lang", "source")
log = logging.getLogger(__name__)

CATALOG: dict[str, str] = {
    # layout and navigation
    "JNS Call Center": "JNS Call Center",
    "Dashboard": "Pulpit",
    "Configuration": "Konfiguracja",
    "Supervisor": "Nadzór",
    "Agent": "Agent",
    "Log out": "Wyloguj się",
    "Signed in as {user} ({role})": "Zalogowano jako {user} ({role})",
    "Language": "Język",
    "Main menu": "Menu główne",
    "role:admin": "administrator",
    "role:supervisor": "koordynator",
    "role:agent": "agent",
    # login
    "Log in": "Zaloguj się",
    "User name": "Nazwa użytkownika",
    "Password": "Hasło",
    "Wrong user name or password.": "Nieprawidłowa nazwa użytkownika lub hasło.",
    "Too many failed attempts, try again in {n} s.":
        "Zbyt wiele nieudanych prób, spróbuj ponownie za {n} s.",
    "You have been logged out.": "Wylogowano.",
    "Please log in to see this page.": "Zaloguj się, aby zobaczyć tę stronę.",
    # first-start setup
    "First start": "Pierwsze uruchomienie",
    "Create the administrator account. There is no default password: the password set "
    "here is the only way into the panel.":
        "Utwórz konto administratora. Nie ma domyślnego hasła: hasło ustawione tutaj "
        "jest jedyną drogą do panelu.",
    "Administrator user name": "Nazwa użytkownika administratora",
    "Password (at least {n} characters)": "Hasło (co najmniej {n} znaków)",
    "Repeat password": "Powtórz hasło",
    "Create administrator": "Utwórz administratora",
    "The passwords do not match.": "Hasła nie są zgodne.",
    "Administrator account created.": "Konto administratora zostało utworzone.",
    # StoreError texts from appliance.store.users (must match them exactly)
    f"password too short: at least {MIN_PASSWORD} characters":
        f"Hasło jest za krótkie: co najmniej {MIN_PASSWORD} znaków.",
    "password must not start or end with spaces":
        "Hasło nie może zaczynać się ani kończyć spacją.",
    "user name: 1-64 letters, digits, '.', '_' or '-'":
        "Nazwa użytkownika: 1–64 znaki – litery, cyfry, „.”, „_” lub „-”.",
    # dashboard
    "Asterisk version": "Wersja Asteriska",
    "Uptime": "Czas pracy",
    "running since {t}": "działa od {t}",
    "Active channels": "Kanały aktywne",
    "Active calls": "Połączenia aktywne",
    "Queues": "Kolejki",
    "Queue": "Kolejka",
    "Logged in": "Zalogowani",
    "Available": "Dostępni",
    "Callers waiting": "Oczekujący",
    "Avg. hold time": "Śr. czas oczekiwania",
    "Avg. talk time": "Śr. czas rozmowy",
    "Longest wait": "Najdłuższe oczekiwanie",
    "No queues reported by Asterisk.": "Asterisk nie zgłasza żadnych kolejek.",
    "Asterisk is not reachable over AMI: {error}": "Asterisk jest nieosiągalny przez AMI: {error}",
    "Asterisk status: not configured (no AMI connection set up).":
        "Status Asteriska: nie skonfigurowano (brak połączenia AMI).",
    "This page refreshes itself every {n} s.": "Strona odświeża się co {n} s.",
    "unit:d": "d",
    "unit:h": "godz.",
    "unit:min": "min",
    "unit:s": "s",
    # admin overview
    "An overview of the configuration; change it on the pages above. The box applies every "
    "saved change to the telephone system by itself.":
        "Przegląd konfiguracji; zmieniasz ją na stronach powyżej. Urządzenie samo wprowadza "
        "każdą zapisaną zmianę do centrali.",
    "Agents": "Agenci",
    "Extension": "Numer wewnętrzny",
    "Name": "Nazwa",
    "Contact": "Kontakt",
    "DTMF mode": "Tryb DTMF",
    "Title": "Tytuł",
    "Strategy": "Strategia",
    "Members": "Członkowie",
    "Ring time": "Czas dzwonienia",
    "Max wait": "Maks. oczekiwanie",
    "Wrap-up": "Przerwa po rozmowie",
    "Recording": "Nagrywanie",
    "IVR menus": "Menu IVR",
    "Prompt": "Komunikat",
    "Keys": "Klawisze",
    "Timeout": "Limit czasu",
    "Tries": "Próby",
    "Fallback": "Gdy brak wyboru",
    "Inbound routes": "Trasy przychodzące",
    "Number (DID)": "Numer (DID)",
    "Destination": "Cel",
    "No entries.": "Brak wpisów.",
    "registers": "rejestruje się",
    "action:queue": "kolejka",
    "action:extension": "numer wewnętrzny",
    "action:menu": "menu",
    "action:ivr": "IVR",
    "action:hangup": "rozłączenie",
    "record:all": "wszystkie",
    "record:none": "wyłączone",
    # supervisor / agent placeholders
    "The wallboard comes with the live-state service.":
        "Tablica wyników pojawi się wraz z usługą stanu na żywo.",
    "Agent panel": "Panel agenta",
    "The agent panel comes with the live-state service.":
        "Panel agenta pojawi się wraz z usługą stanu na żywo.",
    # errors
    "Forbidden": "Brak dostępu",
    "Your role ({role}) may not open this page.":
        "Twoja rola ({role}) nie pozwala otworzyć tej strony.",
    "Back to the dashboard": "Powrót do pulpitu",
    "Bad request": "Nieprawidłowe żądanie",
    "The request could not be understood.": "Nie udało się zrozumieć żądania.",
    "The form was refused: its security token (CSRF) is missing or wrong. "
    "Reload the page and send the form again.":
        "Formularz odrzucony: brak tokenu bezpieczeństwa (CSRF) lub jest nieprawidłowy. "
        "Odśwież stronę i wyślij formularz ponownie.",
    "Page not found": "Nie znaleziono strony",
    "There is no page at this address.": "Pod tym adresem nie ma żadnej strony.",
    "Method not allowed": "Niedozwolona metoda",
    "This address does not accept that kind of request.":
        "Ten adres nie przyjmuje tego rodzaju żądań.",
    "Request too large": "Żądanie jest za duże",
    "The data sent is larger than the panel accepts.":
        "Wysłane dane są większe, niż przyjmuje panel.",
    "Internal error": "Błąd wewnętrzny",
    "Something went wrong on the box; the error has been logged.":
        "Wystąpił błąd w urządzeniu; został zapisany w dzienniku.",
}
CATALOG.update(INBOUND)  # the configuration and recordings pages (i18n_inbound.py)
CATALOG.update(USERS)    # the users page (i18n_users.py)
CATALOG.update(GSM)      # the modems and SMS pages (i18n_gsm.py)
ENGLISH.update(GSM_ENGLISH)
CATALOG.update(HARDWARE)  # the hardware page (i18n_hardware.py)
ENGLISH.update(HARDWARE_ENGLISH)
CATALOG.update(ALERTS)   # the alarms and security pages (i18n_alerts.py)
ENGLISH.update(ALERTS_ENGLISH)
CATALOG.update(QUEUE_ALARMS)  # the call-center alarms page (i18n_queue_alarms.py)
CATALOG.update(LIVE)     # the live pages: wallboard, desk, operator (i18n_live.py)
ENGLISH.update(LIVE_ENGLISH)
CATALOG.update(REPORTS)  # the reports pages, exports, monthly report (i18n_reports.py)
ENGLISH.update(REPORTS_ENGLISH)
from .i18n_lists import LISTS, LISTS_ENGLISH  # noqa: E402 - contact lists, do-not-call
CATALOG.update(LISTS)
ENGLISH.update(LISTS_ENGLISH)
from .i18n_desk import DESK  # noqa: E402 - campaign desk, dispositions, callbacks
CATALOG.update(DESK)
from .i18n_campaigns import CAMPAIGNS, CAMPAIGNS_ENGLISH  # noqa: E402 - campaigns, report
CATALOG.update(CAMPAIGNS)
ENGLISH.update(CAMPAIGNS_ENGLISH)
from .i18n_system import SYSTEM, SYSTEM_ENGLISH  # noqa: E402 - the System page
CATALOG.update(SYSTEM)
ENGLISH.update(SYSTEM_ENGLISH)
from .i18n_crm import CRM, CRM_ENGLISH  # noqa: E402 - the CRM: contacts, notes, import
CATALOG.update(CRM)
ENGLISH.update(CRM_ENGLISH)
from .i18n_crm_planner import PLANNER, PLANNER_ENGLISH  # noqa: E402 - tasks, calendar
CATALOG.update(PLANNER)
ENGLISH.update(PLANNER_ENGLISH)
from .i18n_crm_work import CRM_WORK, CRM_WORK_ENGLISH  # noqa: E402 - e-mail/SMS, projects, files
CATALOG.update({k: v for k, v in CRM_WORK.items() if k not in CATALOG})  # others' words stay
ENGLISH.update(CRM_WORK_ENGLISH)
from .i18n_conf import CONF, CONF_ENGLISH  # noqa: E402 - conference rooms
CATALOG.update({k: v for k, v in CONF.items() if k not in CATALOG})
ENGLISH.update(CONF_ENGLISH)
from .i18n_confsched import CONFSCHED, CONFSCHED_ENGLISH  # noqa: E402 - scheduled conferences, polls
CATALOG.update({k: v for k, v in CONFSCHED.items() if k not in CATALOG})
ENGLISH.update(CONFSCHED_ENGLISH)
from .i18n_voicecast import VOICECAST, VOICECAST_ENGLISH  # noqa: E402 - voice mailing
CATALOG.update({k: v for k, v in VOICECAST.items() if k not in CATALOG})
ENGLISH.update(VOICECAST_ENGLISH)
from .i18n_smscamp import SMSCAMP, SMSCAMP_ENGLISH  # noqa: E402 - SMS campaigns
CATALOG.update({k: v for k, v in SMSCAMP.items() if k not in CATALOG})
ENGLISH.update(SMSCAMP_ENGLISH)
from .i18n_webhooks import WEBHOOKS, WEBHOOKS_ENGLISH  # noqa: E402 - webhooks (issue 12)
CATALOG.update({k: v for k, v in WEBHOOKS.items() if k not in CATALOG})
ENGLISH.update(WEBHOOKS_ENGLISH)
from .i18n_staffing import STAFFING  # noqa: E402 - staffing forecast, wallboard block
CATALOG.update({k: v for k, v in STAFFING.items() if k not in CATALOG})
from .i18n_callbacks import CALLBACKS, CALLBACKS_ENGLISH  # noqa: E402 - callback instead of waiting (issue 12)
CATALOG.update({k: v for k, v in CALLBACKS.items() if k not in CATALOG})
ENGLISH.update({k: v for k, v in CALLBACKS_ENGLISH.items() if k not in ENGLISH})
from .i18n_softphone import SOFTPHONE, SOFTPHONE_ENGLISH  # noqa: E402 - browser softphone (issue 12)
CATALOG.update({k: v for k, v in SOFTPHONE.items() if k not in CATALOG})
ENGLISH.update({k: v for k, v in SOFTPHONE_ENGLISH.items() if k not in ENGLISH})
from .i18n_skills import SKILLS  # noqa: E402 - skills routing, overflow thresholds (issue 12)
CATALOG.update({k: v for k, v in SKILLS.items() if k not in CATALOG})


def current_lang() -> str:
    """The language of this request: session, then the user's setting, then the browser."""
    if not has_request_context():
        return DEFAULT_LANG
    lang = session.get("lang")
    if lang in LANGS:
        return lang
    user = g.get("user")
    if user and user.get("lang") in LANGS:
        return user["lang"]
    return request.accept_languages.best_match(LANGS) or DEFAULT_LANG


def gettext(msgid: str, **values: object) -> str:
    """Translate `msgid` into the request's language and fill its {placeholders}."""
    text = msgid
    if current_lang() == "pl":
        text = CATALOG.get(msgid, msgid)
        if msgid not in CATALOG:
            log.debug("no Polish text for %r", msgid)
    elif msgid in ENGLISH:
        text = ENGLISH[msgid]
    elif msgid.partition(":")[0] in KEYWORD_PREFIXES:  # "role:admin" -> "admin" in English
        text = msgid.partition(":")[2]
    return text.format(**values) if values else text


_ = gettext
