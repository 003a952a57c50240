"""Polish texts of the hardware page (sensors, LEDs, DAHDI cards and their configuration).

Part of the panel's one catalogue: `i18n.CATALOG` merges `HARDWARE`, exactly like i18n.py
(English message id -> Polish).  `HARDWARE_ENGLISH` holds keyword ids ("led:warning",
"module:FXS", ...) whose English is not the bare word after the colon.  Also the Polish of
the StoreError texts of appliance.store.hardware that have no variable part.
"""
from __future__ import annotations

HARDWARE_ENGLISH: dict[str, str] = {
    "led:ok": "OK",
    "led:warning": "Warning",
    "led:fault": "Fault",
    "led:no_network": "No network",
    "led:update": "Update in progress",
    "kind:temperature": "temperature",
    "kind:voltage": "voltage",
    "kind:fan": "fan",
    "kind:analog": "analog ports",
    "kind:E1": "E1 (ISDN PRI, 30 channels)",
    "kind:T1": "T1 (ISDN PRI, 23 channels)",
    "kind:J1": "J1",
    "kind:BRI": "BRI (ISDN, 2 channels)",
    "module:FXS": "FXS module (a phone plugs in)",
    "module:FXO": "FXO module (a telephone line plugs in)",
    "module:BRI": "ISDN BRI channel",
    "module:PRI": "ISDN PRI channel",
    "module:none": "empty slot (no module)",
    "module:unknown": "unknown",
    "signalling:FXS": "FXO signalling (fxo_ks): the box is the exchange",
    "signalling:FXO": "FXS signalling (fxs_ks): the box is a telephone",
    "isdn:pri_cpe": "pri_cpe: we are the customer (a carrier's line)",
    "isdn:pri_net": "pri_net: we are the network (a PBX behind us)",
    "isdn:bri_cpe": "bri_cpe: customer side, point-to-point",
    "isdn:bri_net": "bri_net: network side, point-to-point (for ISDN phones)",
    "isdn:bri_cpe_ptmp": "bri_cpe_ptmp: customer side, point-to-multipoint",
    "isdn:bri_net_ptmp": "bri_net_ptmp: network side, point-to-multipoint",
    "level:ok": "normal",
    "level:warning": "warning",
    "level:critical": "critical",
    "port:ok": "working",
    "port:no_module": "no module",
    "port:failed": "module failed",
    "port:not_configured": "not configured",
    "port:not_readable": "cannot be read",
}

HARDWARE: dict[str, str] = {
    "Hardware": "Sprzęt",
    "No hardware data: the watchdog service has not reported yet (or is stopped). Saved DAHDI "
    "settings are listed below.":
        "Brak danych o sprzęcie: usługa nadzoru jeszcze ich nie przekazała (albo nie działa). "
        "Zapisane ustawienia DAHDI są pokazane niżej.",
    "Front LEDs": "Diody na obudowie",
    "Unknown: no report yet.": "Nieznany: brak raportu.",
    "The most serious state wins, in this order:": "Wygrywa najpoważniejszy stan, w kolejności:",
    "led:ok": "W porządku",
    "led:warning": "Ostrzeżenie",
    "led:fault": "Awaria",
    "led:no_network": "Brak sieci",
    "led:update": "Trwa aktualizacja",
    "Green steady: everything is fine": "Zielona świeci stale: wszystko w porządku",
    "Red blinking slowly: a warning (see Alarms)": "Czerwona miga wolno: ostrzeżenie (zob. Alarmy)",
    "Red blinking fast: a fault needs attention now": "Czerwona miga szybko: awaria wymaga reakcji",
    "Modem LED flashing briefly: no mobile network or no modem":
        "Dioda modemu błyska krótko: brak sieci komórkowej albo modemu",
    "Green pulsing (heartbeat): a firmware update is in progress":
        "Zielona pulsuje (rytm serca): trwa aktualizacja oprogramowania",
    "Sensors": "Czujniki",
    "Sensor": "Czujnik",
    "Kind": "Rodzaj",
    "Value": "Wartość",
    "Status": "Stan",
    "Where": "Gdzie",
    "Name it": "Nazwa",
    "Name of sensor {source}": "Nazwa czujnika {source}",
    "Save": "Zapisz",
    "Error": "Błąd",
    "level:ok": "w normie",
    "level:warning": "ostrzeżenie",
    "level:critical": "krytyczny",
    "limits {warning} / {critical} {unit}": "progi {warning} / {critical} {unit}",
    "OK": "OK",
    "kind:temperature": "temperatura",
    "kind:voltage": "napięcie",
    "kind:fan": "wentylator",
    "Limits and alarms for temperatures, voltages and fans are set on the Alarms page.":
        "Progi i alarmy temperatur, napięć i wentylatorów ustawia się na stronie Alarmy.",
    "No sensors found.": "Nie znaleziono czujników.",
    "Sensor name saved.": "Nazwa czujnika zapisana.",
    "Telephone cards (DAHDI)": "Karty telefoniczne (DAHDI)",
    "Span {n}": "Łącze {n}",
    "channels {first}-{last}": "kanały {first}–{last}",
    "Not configured on the card yet.": "Jeszcze nie skonfigurowane na karcie.",
    "No alarms.": "Brak alarmów.",
    "Channel": "Kanał",
    "Module or line": "Moduł lub łącze",
    "State": "Stan",
    "Set up as": "Ustawione jako",
    "in a call": "trwa rozmowa",
    "Configured, but the card is not detected: check that it is fitted and its driver loaded.":
        "Skonfigurowane, ale karty nie wykryto: sprawdź, czy jest włożona i czy sterownik "
        "jest załadowany.",
    "Saved settings: {what}": "Zapisane ustawienia: {what}",
    "No saved settings.": "Brak zapisanych ustawień.",
    "Configure": "Konfiguruj",
    "No DAHDI cards detected.": "Nie wykryto kart DAHDI.",
    "kind:analog": "porty analogowe",
    "kind:E1": "E1 (ISDN PRI, 30 kanałów)",
    "kind:T1": "T1 (ISDN PRI, 23 kanały)",
    "kind:J1": "J1",
    "kind:BRI": "BRI (ISDN, 2 kanały)",
    "module:FXS": "moduł FXS (podłącza się telefon)",
    "module:FXO": "moduł FXO (podłącza się linię telefoniczną)",
    "module:BRI": "kanał ISDN BRI",
    "module:PRI": "kanał ISDN PRI",
    "module:none": "puste gniazdo (brak modułu)",
    "module:unknown": "nieznany",
    "signalling:FXS": "sygnalizacja FXO (fxo_ks): centrala to skrzynka",
    "signalling:FXO": "sygnalizacja FXS (fxs_ks): skrzynka działa jak telefon",
    "port:ok": "działa",
    "port:no_module": "brak modułu",
    "port:failed": "moduł uszkodzony",
    "port:not_configured": "nieskonfigurowany",
    "port:not_readable": "nie można odczytać",
    # DAHDI alarms (appliance.hal.dahdi.ALARM_TEXT)
    "red alarm: no signal or no framing from the line (loss of signal / frame); check the "
    "cable and that the line is connected":
        "alarm czerwony: brak sygnału lub ramkowania z łącza (utrata sygnału / ramki); "
        "sprawdź kabel i czy łącze jest podłączone",
    "yellow alarm: the other end does not receive our signal; check our transmit pair and "
    "the span settings (framing, coding)":
        "alarm żółty: druga strona nie odbiera naszego sygnału; sprawdź parę nadawczą i "
        "ustawienia łącza (ramkowanie, kodowanie)",
    "blue alarm (AIS): the carrier's equipment sends all ones; call the carrier":
        "alarm niebieski (AIS): urządzenie operatora wysyła same jedynki; zadzwoń do operatora",
    "loss of frame alignment; check framing and CRC4 settings":
        "utrata synchronizacji ramki; sprawdź ramkowanie i CRC4",
    "loss of CRC4 multiframe alignment; check the CRC4 setting":
        "utrata synchronizacji wieloramki CRC4; sprawdź ustawienie CRC4",
    "the line is in loopback (a test by the carrier)": "łącze w pętli zwrotnej (test operatora)",
    "recovering from an alarm": "powrót do pracy po alarmie",
    "the span is not open (no channel in use by Asterisk)":
        "łącze nie jest otwarte (Asterisk nie używa żadnego kanału)",
    "an alarm DAHDI cannot name": "alarm, którego DAHDI nie umie nazwać",
    # the span form
    "FXS and FXO name the module, and each module is driven with the opposite signalling. An "
    "FXS module is where a telephone or fax plugs in: the box acts as the exchange (FXO "
    "signalling, fxo_ks). An FXO module is where a line from the telephone company plugs in: "
    "the box acts as a telephone (FXS signalling, fxs_ks).":
        "FXS i FXO to nazwy modułów, a każdy moduł obsługuje się sygnalizacją przeciwnej "
        "strony. Do modułu FXS podłącza się telefon lub faks: skrzynka działa jak centrala "
        "(sygnalizacja FXO, fxo_ks). Do modułu FXO podłącza się linię od operatora: skrzynka "
        "działa jak telefon (sygnalizacja FXS, fxs_ks).",
    "Module": "Moduł",
    "Use": "Używany",
    "Use port {n}": "Używaj portu {n}",
    "Calls go to": "Połączenia trafiają do",
    "Group": "Grupa",
    "nothing to set up": "nie ma czego ustawiać",
    "Line type": "Rodzaj łącza",
    "Signalling": "Sygnalizacja",
    "Switch type": "Typ centrali",
    "Framing": "Ramkowanie",
    "Line coding": "Kodowanie linii",
    "Clock source priority (0: never, 1: first)":
        "Priorytet źródła zegara (0: nigdy, 1: pierwsze)",
    "Clock source priority": "Priorytet źródła zegara",
    "CRC4 (E1 lines only; as the carrier says)": "CRC4 (tylko łącza E1; zgodnie z operatorem)",
    "Use this span": "Używaj tego łącza",
    "Remove the saved settings": "Usuń zapisane ustawienia",
    "Choose the line type: E1, T1 or BRI.": "Wybierz rodzaj łącza: E1, T1 albo BRI.",
    "Span {n} saved; the box applies it to the card and the telephone system.":
        "Łącze {n} zapisane; skrzynka sama przekaże ustawienia karcie i centrali.",
    "The configuration of span {n} was removed.": "Usunięto konfigurację łącza {n}.",
    "isdn:pri_cpe": "pri_cpe: jesteśmy klientem (łącze od operatora)",
    "isdn:pri_net": "pri_net: jesteśmy siecią (za nami inna centrala)",
    "isdn:bri_cpe": "bri_cpe: strona klienta, punkt–punkt",
    "isdn:bri_net": "bri_net: strona sieci, punkt–punkt (dla telefonów ISDN)",
    "isdn:bri_cpe_ptmp": "bri_cpe_ptmp: strona klienta, punkt–wielopunkt",
    "isdn:bri_net_ptmp": "bri_net_ptmp: strona sieci, punkt–wielopunkt",
    # contexts (appliance.store.hardware.CONTEXTS)
    "an outside line: calls enter the inbound routes (menus, queues)":
        "linia zewnętrzna: połączenia trafiają do tras przychodzących (menu, kolejki)",
    "a phone: it can call agents and outside numbers":
        "telefon: może dzwonić do agentów i na numery zewnętrzne",
}
