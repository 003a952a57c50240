"""Polish texts of the alarms, alarm history and security pages (alerts.py) and of the
alarm banner in base.html.

Part of the panel's one catalogue: `i18n.CATALOG` merges ALERTS (English id -> Polish) and
`i18n.ENGLISH` merges ALERTS_ENGLISH (keyword ids like "severity:critical" -> English).
The titles of the alarm checks are keyed by `appliance.store.alerts.CHECKS`, so a new
check without Polish is caught by tests/test_webui_alerts.py.
"""
from __future__ import annotations

ALERTS_ENGLISH: dict[str, str] = {
    "severity:info": "info",
    "severity:warning": "warning",
    "severity:critical": "critical",
    "smtp:none": "none (plain text)",
    "smtp:starttls": "STARTTLS",
    "smtp:ssl": "SSL/TLS",
    "preset:24h": "24 h",
    "preset:7d": "7 days",
    "preset:30d": "30 days",
}

ALERTS: dict[str, str] = {
    # navigation, banner
    "Alarms": "Alarmy",
    "Security": "Bezpieczeństwo",
    "Active alarms: {n}": "Aktywne alarmy: {n}",
    "Open the alarms page": "Otwórz stronę alarmów",
    "severity:info": "informacja",
    "severity:warning": "ostrzeżenie",
    "severity:critical": "krytyczny",
    # alarms page
    "History and charts": "Historia i wykresy",
    "Active alarms": "Aktywne alarmy",
    "Severity": "Waga",
    "Check": "Kontrola",
    "What": "Co się dzieje",
    "Since": "Od",
    "Acknowledged": "Potwierdzony",
    "Acknowledge": "Potwierdź",
    "Alarm acknowledged.": "Alarm potwierdzony.",
    "No active alarms.": "Brak aktywnych alarmów.",
    "Rules": "Reguły",
    "Thresholds per check; an alarm clears when the value is back past the threshold by the "
    "hysteresis. Repeat: send again after so many minutes while unacknowledged (0: never). "
    "Escalate: raise a warning to critical after so many minutes (0: never).":
        "Progi dla każdej kontroli; alarm ustępuje, gdy wartość wróci za próg o histerezę. "
        "Powtarzaj: wyślij ponownie po tylu minutach, dopóki nikt nie potwierdzi (0: nigdy). "
        "Eskaluj: podnieś ostrzeżenie do krytycznego po tylu minutach (0: nigdy).",
    "On": "Wł.",
    "Warning at": "Ostrzeżenie od",
    "Critical at": "Krytyczny od",
    "Hysteresis": "Histereza",
    "Repeat (min)": "Powtarzaj (min)",
    "Escalate (min)": "Eskaluj (min)",
    "SMS": "SMS",
    "E-mail": "E-mail",
    "LED": "LED",
    "Banner": "Baner",
    "Save": "Zapisz",
    "yes/no fault: {severity}": "usterka tak/nie: {severity}",
    "Rule for {check} saved.": "Zapisano regułę: {check}.",
    "Notifications": "Powiadomienia",
    "SMTP server": "Serwer SMTP",
    "SMTP port": "Port SMTP",
    "Connection security": "Zabezpieczenie połączenia",
    "smtp:none": "brak (bez szyfrowania)",
    "smtp:starttls": "STARTTLS",
    "smtp:ssl": "SSL/TLS",
    "SMTP user": "Użytkownik SMTP",
    "SMTP password": "Hasło SMTP",
    "stored; leave empty to keep it": "zapisane; zostaw puste, aby je zachować",
    "Sender address": "Adres nadawcy",
    "E-mail recipients (one per line)": "Odbiorcy e-maili (jeden w wierszu)",
    "SMS recipients (phone numbers, one per line)":
        "Odbiorcy SMS-ów (numery telefonów, jeden w wierszu)",
    "E-mail from severity": "E-mail od wagi",
    "SMS from severity": "SMS od wagi",
    "Notification settings saved.": "Zapisano ustawienia powiadomień.",
    # checks (appliance.store.alerts.CHECKS titles)
    "Asterisk running and answering": "Asterisk działa i odpowiada",
    "Asterisk answer time (AMI ping)": "Czas odpowiedzi Asteriska (AMI ping)",
    "Active channels": "Kanały aktywne",
    "Trunk registration": "Rejestracja łącza operatora",
    "Data partition used": "Zajętość partycji danych",
    "Memory used": "Zajęta pamięć",
    "CPU busy": "Obciążenie procesora",
    "Load per CPU core": "Obciążenie na rdzeń",
    "CPU temperature": "Temperatura procesora",
    "Environment sensors": "Czujniki środowiskowe",
    "GSM modem ready (SIM, network)": "Modem GSM gotowy (SIM, sieć)",
    "GSM signal (0-31)": "Sygnał GSM (0–31)",
    "DAHDI span alarms": "Alarmy łączy DAHDI",
    "Failed logins and blocked sources": "Nieudane logowania i zablokowane adresy",
    "Box services running": "Usługi urządzenia działają",
    "Restart by the hardware watchdog": "Restart przez sprzętowy watchdog",
    # metrics on the charts
    "Free space on the data partition": "Wolne miejsce na partycji danych",
    "Active calls": "Połączenia aktywne",
    "Trunks registered": "Zarejestrowane łącza operatora",
    "Sensor {name}": "Czujnik {name}",
    "GSM signal {name} (0-31)": "Sygnał GSM {name} (0–31)",
    # history
    "Alarm history": "Historia alarmów",
    "Active alarms and rules": "Aktywne alarmy i reguły",
    "From": "Od",
    "To": "Do",
    "Show": "Pokaż",
    "preset:24h": "24 godz.",
    "preset:7d": "7 dni",
    "preset:30d": "30 dni",
    "Charts": "Wykresy",
    "No measurements recorded yet.": "Nie zapisano jeszcze pomiarów.",
    "Alarms in this period": "Alarmy w tym okresie",
    "Download CSV": "Pobierz CSV",
    "Measurements as CSV": "Pomiary jako CSV",
    "Failed logins (SIP, AMI, panel)": "Nieudane logowania (SIP, AMI, panel)",
    "per {minutes} min": "na {minutes} min",
    "Resolved": "Ustąpił",
    "still active": "nadal aktywny",
    "No alarms in this period.": "Brak alarmów w tym okresie.",
    "resolved: {text}": "ustąpił: {text}",
    "Dates are year-month-day, like 2026-03-31; showing the last 24 hours.":
        "Daty podaje się jako rok-miesiąc-dzień, np. 2026-03-31; pokazano ostatnie 24 godziny.",
    "The start date is after the end date; showing the last 24 hours.":
        "Data początkowa jest późniejsza niż końcowa; pokazano ostatnie 24 godziny.",
    "Choose at most {days} days; showing the last 24 hours.":
        "Wybierz najwyżej {days} dni; pokazano ostatnie 24 godziny.",
    # security
    "A source address with too many failed logins (SIP phones, the manager interface, this "
    "panel) is blocked for a while: Asterisk refuses it and the panel does not let it log in.":
        "Adres, z którego jest zbyt wiele nieudanych logowań (telefony SIP, interfejs "
        "menedżera, ten panel), zostaje na pewien czas zablokowany: Asterisk go odrzuca, "
        "a panel nie pozwala z niego się zalogować.",
    "Blocked sources": "Zablokowane adresy",
    "Address": "Adres",
    "Why": "Powód",
    "Blocked at": "Zablokowano",
    "Until": "Do",
    "Unblock": "Odblokuj",
    "Nothing is blocked.": "Nic nie jest zablokowane.",
    "Failed logins in the last 24 hours": "Nieudane logowania w ostatnich 24 godzinach",
    "Where": "Gdzie",
    "Failures": "Nieudane",
    "Last": "Ostatnie",
    "Blocked": "Zablokowany",
    "until {t}": "do {t}",
    "No failed logins.": "Brak nieudanych logowań.",
    "Blocking": "Blokowanie",
    "Failed logins before blocking": "Nieudane logowania przed blokadą",
    "Counted within (seconds)": "Liczone w ciągu (sekund)",
    "Block for (seconds)": "Blokada na (sekund)",
    "Never block (addresses or networks, one per line)":
        "Nigdy nie blokuj (adresy lub sieci, jeden w wierszu)",
    "The box itself ({addresses}) is never blocked.":
        "Samo urządzenie ({addresses}) nigdy nie jest blokowane.",
    "Security settings saved.": "Zapisano ustawienia bezpieczeństwa.",
    "{address} is no longer blocked.": "{address} nie jest już zablokowany.",
    "{address} was not blocked.": "{address} nie był zablokowany.",
}
