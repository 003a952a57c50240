"""Polish texts of the agent's side of campaigns: the campaign section of the agent desk,
the dispositions and callbacks pages (campaign_desk.py) and the messages of
appliance.campaigns.desk.

Part of the panel's one catalogue: `i18n.CATALOG` merges DESK (English id -> Polish).
"""
from __future__ import annotations

DESK: dict[str, str] = {
    # the desk section
    "Campaigns": "Kampanie",
    "No campaign of yours is running.": "Żadna z Twoich kampanii nie jest uruchomiona.",
    "Connected": "Połączono",
    "Calling: your phone rings first, then the customer's.":
        "Łączenie: najpierw dzwoni Twój telefon, potem telefon klienta.",
    "Script": "Skrypt rozmowy",
    "The contact was deleted from its list.": "Kontakt został usunięty ze swojej listy.",
    "Disposition": "Wynik rozmowy",
    "— choose —": "— wybierz —",
    "Note": "Notatka",
    "Callback (for the disposition that calls back)":
        "Oddzwonienie (dla wyniku, który umawia ponowny telefon)",
    "Date": "Data",
    "Time of day": "Godzina",
    "Who calls back": "Kto oddzwania",
    "Me": "Ja",
    "Anyone in the campaign": "Ktokolwiek z kampanii",
    "Save disposition": "Zapisz wynik",
    "Move to CRM": "Przekaż do CRM",
    "Calls of this campaign come to you automatically while you are logged in and ready.":
        "Połączenia tej kampanii przychodzą do Ciebie same, gdy jesteś zalogowany i gotowy.",
    "Finish the current call to see the next contact.":
        "Zakończ bieżącą rozmowę, aby zobaczyć następny kontakt.",
    "Next contact": "Następny kontakt",
    "Call": "Zadzwoń",
    "Skip": "Pomiń",
    "Outside the campaign's calling hours.": "Poza godzinami dzwonienia kampanii.",
    "No contact is due to be called now.": "Teraz nie ma kontaktu do wykonania telefonu.",
    "Callbacks": "Oddzwonienia",
    "Due": "Termin",
    "Campaign": "Kampania",
    "Contact": "Kontakt",
    "For": "Dla",
    "Anyone": "Ktokolwiek",
    "not due yet": "jeszcze nie teraz",
    "The call is being placed: your phone rings first, then the customer's.":
        "Połączenie jest zestawiane: najpierw zadzwoni Twój telefon, potem telefon klienta.",
    "Disposition saved.": "Wynik rozmowy zapisany.",
    # dispositions page
    "Dispositions": "Wyniki rozmów",
    "Agents pick one of the active dispositions at the end of a campaign call; it decides "
    "what happens to the contact. Effective ones count as effective contacts in the "
    "reports. A disposition already used can only be deactivated.":
        "Agent wybiera jeden z aktywnych wyników na koniec rozmowy w kampanii; od niego "
        "zależy, co stanie się z kontaktem. Wyniki skuteczne liczą się w raportach jako "
        "skuteczne kontakty. Wynik już użyty można tylko wyłączyć.",
    "What it does": "Działanie",
    "Effective": "Skuteczny",
    "Effective contact": "Skuteczny kontakt",
    "New disposition": "Nowy wynik rozmowy",
    "Disposition deleted.": "Wynik rozmowy usunięty.",
    "Done: not called again": "Zakończony: bez kolejnych telefonów",
    "Call again by the campaign's retry rules": "Ponowić według reguł kampanii",
    "Call back at a date and time": "Oddzwonić w ustalonym terminie",
    "Do not call in this campaign": "Nie dzwonić w tej kampanii",
    "Do not call ever": "Nie dzwonić nigdy",
    "Done and moved to the CRM": "Zakończony i przekazany do CRM",
    "Answering machine: call again later": "Automatyczna sekretarka: ponowić później",
    # callbacks page
    "Callbacks agents promised, not yet called; overdue ones are marked. Give one to another "
    "agent or time, or cancel it.":
        "Oddzwonienia obiecane przez agentów, jeszcze niewykonane; zaległe są oznaczone. "
        "Można przekazać je innemu agentowi, zmienić termin albo anulować.",
    "Set by": "Ustalił",
    "Change": "Zmiana",
    "overdue": "zaległe",
    "Cancel callback": "Anuluj oddzwonienie",
    "No callbacks are waiting.": "Nie ma oczekujących oddzwonień.",
    "Callback changed.": "Oddzwonienie zmienione.",
    "Callback cancelled.": "Oddzwonienie anulowane.",
    # messages of appliance.campaigns.desk and the forms (must match them exactly)
    "this contact is not reserved for you any more; reload the desk":
        "Ten kontakt nie jest już zarezerwowany dla Ciebie; odśwież stanowisko.",
    "the campaign is not running; calls wait until it is started":
        "Kampania nie jest uruchomiona; połączenia czekają na jej start.",
    "you are not in this campaign's agent group": "Nie należysz do grupy agentów tej kampanii.",
    "this contact is not in the campaign; reload the desk":
        "Tego kontaktu nie ma w kampanii; odśwież stanowisko.",
    "no such campaign; reload the desk": "Nie ma takiej kampanii; odśwież stanowisko.",
    "this number is on the do-not-call list; it is not called":
        "Ten numer jest na liście „nie dzwonić”; nie zostanie wybrany.",
    "finish your current campaign call (and set its disposition) first":
        "Najpierw zakończ bieżącą rozmowę w kampanii (i zapisz jej wynik).",
    "this contact is not available any more (another agent has it or it was called); reload "
    "the desk":
        "Ten kontakt jest już niedostępny (ma go inny agent albo już do niego dzwoniono); "
        "odśwież stanowisko.",
    "there is no open callback of yours for this contact; reload the desk":
        "Nie masz otwartego oddzwonienia do tego kontaktu; odśwież stanowisko.",
    "this callback is not due yet": "Termin tego oddzwonienia jeszcze nie nadszedł.",
    "no such campaign call; reload the desk": "Nie ma takiego połączenia; odśwież stanowisko.",
    "this call is another agent's; only they or a supervisor can set its disposition":
        "To połączenie innego agenta; wynik może zapisać tylko on lub koordynator.",
    "this call already has a disposition; it cannot be set twice":
        "To połączenie ma już wynik; nie można go zapisać drugi raz.",
    "this call was not connected to an agent; it needs no disposition":
        "To połączenie nie zostało połączone z agentem; nie wymaga wyniku.",
    "choose one of the dispositions in the list": "Wybierz jeden z wyników z listy.",
    "enter the date and time of the callback": "Podaj datę i godzinę oddzwonienia.",
    "the callback time must be in the future": "Termin oddzwonienia musi być w przyszłości.",
    "the callback time is outside the campaign's calling window; it is called when the agent "
    "clicks Call":
        "Termin oddzwonienia wypada poza godzinami dzwonienia kampanii; połączenie nastąpi, "
        "gdy agent kliknie Zadzwoń.",
    "all attempts are used up: the contact is not called again":
        "Wykorzystano wszystkie próby: kontakt nie będzie ponownie wybierany.",
    "the CRM did not take the contact yet; it stays in the hand-off list":
        "CRM jeszcze nie przejął kontaktu; pozostaje na liście do przekazania.",
    "this callback was called or cancelled already; reload the list":
        "To oddzwonienie zostało już wykonane lub anulowane; odśwież listę.",
    "enter the callback date as YYYY-MM-DD and the time as HH:MM":
        "Podaj datę oddzwonienia jako RRRR-MM-DD, a godzinę jako GG:MM.",
}
