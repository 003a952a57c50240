"""Polish texts of the campaign pages (webui/campaigns.py, templates campaign*.html), of the
campaign store's refusals (appliance.campaigns.campaigns E_* / W_*, which must match them
exactly) and of the campaign report's tables and files (appliance.campaigns.report).

Part of the panel's one catalogue: `i18n.CATALOG` merges CAMPAIGNS, `i18n.ENGLISH` merges
CAMPAIGNS_ENGLISH (the keywords "campaign_status:running" -> "running").
"""
from __future__ import annotations

CAMPAIGNS_ENGLISH: dict[str, str] = {
    "campaign_status:draft": "draft",
    "campaign_status:running": "running",
    "campaign_status:paused": "paused",
    "campaign_status:stopped": "stopped",
    "campaign_status:finished": "finished",
    "dial_mode:preview": "preview",
    "dial_mode:progressive": "progressive",
    "dial_mode:predictive": "predictive",
    "abandon_rule:day": "per day (UK Ofcom)",
    "abandon_rule:30d": "per 30 days (US FTC)",
}

CAMPAIGNS: dict[str, str] = {
    # keywords
    "campaign_status:draft": "szkic",
    "campaign_status:running": "trwa",
    "campaign_status:paused": "wstrzymana",
    "campaign_status:stopped": "zatrzymana",
    "campaign_status:finished": "zakończona",
    "dial_mode:preview": "podgląd",
    "dial_mode:progressive": "progresywny",
    "dial_mode:predictive": "predykcyjny",
    "abandon_rule:day": "na dobę (UK Ofcom)",
    "abandon_rule:30d": "na 30 dni (USA FTC)",
    # navigation and list
    "Contact lists": "Listy kontaktów",
    "Do not call": "Nie dzwonić",
    "Report: {name}": "Raport: {name}",
    "New campaign": "Nowa kampania",
    "Campaign {name}": "Kampania {name}",
    "No campaigns yet.": "Nie ma jeszcze kampanii.",
    "Dialing mode": "Tryb wybierania",
    "Agent group": "Grupa agentów",
    "Progress": "Postęp",
    "Calls today": "Połączenia dzisiaj",
    "{done} of {total} contacts": "{done} z {total} kontaktów",
    "Start": "Uruchom",
    "Pause the campaign": "Wstrzymaj",
    "Stop": "Zatrzymaj",
    "Campaign started.": "Kampania uruchomiona.",
    "Campaign paused.": "Kampania wstrzymana.",
    "Campaign stopped.": "Kampania zatrzymana.",
    "Saved.": "Zapisano.",
    "Not changed: {error}": "Nie zmieniono: {error}",
    "Campaign {name} saved.": "Kampania {name} zapisana.",
    # the form
    "Agent group (queue)": "Grupa agentów (kolejka)",
    "{n} contacts": "kontaktów: {n}",
    "No contact lists yet: import one first.":
        "Nie ma jeszcze list kontaktów: najpierw zaimportuj listę.",
    "Preview: the agent sees the contact, then clicks to call":
        "Podgląd: agent widzi kontakt i sam klika, by zadzwonić",
    "Progressive: one call per free agent": "Progresywny: jedno połączenie na wolnego agenta",
    "Predictive: more calls than free agents, paced to the abandon cap":
        "Predykcyjny: więcej połączeń niż wolnych agentów, w granicy limitu porzuceń",
    "When to call": "Kiedy dzwonić",
    "First day": "Pierwszy dzień",
    "Last day": "Ostatni dzień",
    "Calls from": "Dzwonić od",
    "Calls until": "Dzwonić do",
    "Days of the week": "Dni tygodnia",
    "Mon": "pon.", "Tue": "wt.", "Wed": "śr.", "Thu": "czw.", "Fri": "pt.", "Sat": "sob.",
    "Sun": "niedz.",
    "How to call": "Jak dzwonić",
    "Caller ID (the number the called person sees)":
        "Numer prezentowany (widzi go osoba, do której dzwonimy)",
    "Ring for (s, at least 15)": "Czas dzwonienia (s, co najmniej 15)",
    "Maximum attempts per contact": "Najwięcej prób na kontakt",
    "Retry after no answer (min)": "Ponów po braku odpowiedzi (min)",
    "Retry after busy (min)": "Ponów po zajętości (min)",
    "Retry after a failed call (min)": "Ponów po nieudanym połączeniu (min)",
    "Retry after an answering machine (min)": "Ponów po automatycznej sekretarce (min)",
    "Message when no agent is free": "Komunikat, gdy żaden agent nie jest wolny",
    "none": "brak",
    "Detect answering machines (AMD)": "Wykrywaj automatyczne sekretarki (AMD)",
    "Abandoned calls": "Połączenia porzucone",
    "An answered call no agent takes within 2 seconds is abandoned: the called person hears "
    "the message above. The predictive dialer keeps the rate at or under the cap.":
        "Odebrane połączenie, którego żaden agent nie przejmie w ciągu 2 sekund, jest "
        "porzucone: osoba po drugiej stronie słyszy komunikat powyżej. Wybieranie "
        "predykcyjne utrzymuje wskaźnik porzuceń na poziomie limitu lub poniżej.",
    "Abandon cap (% of live calls)": "Limit porzuceń (% połączeń z osobą)",
    "Counted": "Liczony",
    "Per day (UK Ofcom)": "Na dobę (UK Ofcom)",
    "Per 30 days (US FTC)": "Na 30 dni (USA FTC)",
    "Most lines per agent (1-5)": "Najwięcej linii na agenta (1-5)",
    "Agent script": "Skrypt dla agenta",
    "Shown to the agent with the contact. Placeholders:":
        "Agent widzi go razem z kontaktem. Pola do wstawienia:",
    # live progress
    "Refresh": "Odśwież",
    "Agents logged in / free": "Agenci zalogowani / wolni",
    "Ringing / waiting for an agent": "Dzwoni / czeka na agenta",
    "Dial level (lines per free agent)": "Poziom wybierania (linie na wolnego agenta)",
    "Abandon rate / cap": "Wskaźnik porzuceń / limit",
    "contacts done": "kontaktów zakończonych",
    "Contacts": "Kontakty",
    "All contacts": "Wszystkie kontakty",
    "Asked for by agents, not placed yet": "Zlecone przez agentów, jeszcze nie wybrane",
    "Dialed today": "Wybrane dzisiaj",
    "Not called yet": "Jeszcze nie dzwoniono",
    "Being dialed": "Wybierany",
    "Waiting to retry": "Czeka na ponowienie",
    "Callback booked": "Umówione oddzwonienie",
    "Done": "Zakończony",
    "Failed": "Nieudane",
    "Connected to an agent": "Połączone z agentem",
    "Answering machine": "Automatyczna sekretarka",
    "Not answered": "Nieodebrane",
    "Invalid number": "Błędny numer",
    "Withdrawn": "Wycofane",
    "Dialing.": "Trwa wybieranie.",
    "The campaign is paused.": "Kampania jest wstrzymana.",
    "Outside the campaign's calling hours, days or dates.":
        "Poza godzinami, dniami lub datami dzwonienia kampanii.",
    "No agent of the queue is logged in, so nothing is dialed.":
        "Żaden agent kolejki nie jest zalogowany, więc nic nie jest wybierane.",
    "No contact is due now: every one is called or waits for its retry time.":
        "Teraz nie ma kogo wybrać: wszystkie kontakty obdzwoniono albo czekają na ponowienie.",
    "The abandon rate reached the cap: only one call per free agent.":
        "Wskaźnik porzuceń osiągnął limit: tylko jedno połączenie na wolnego agenta.",
    "There is no trunk to dial out on.": "Nie ma łącza (trunku), przez które można dzwonić.",
    "Asterisk does not answer; dialing resumes when it is back.":
        "Asterisk nie odpowiada; wybieranie wznowi się, gdy wróci.",
    "Not started yet.": "Jeszcze nie uruchomiona.",
    "Stopped.": "Zatrzymana.",
    "Finished: every contact has been called.": "Zakończona: obdzwoniono wszystkie kontakty.",
    "The dialer is not running (service jns-calld), so nothing is dialed.":
        "Dialer nie działa (usługa jns-calld), więc nic nie jest wybierane.",
    # the report
    "Calls per day by outcome": "Połączenia na dzień według wyniku",
    "Abandon rate: Ofcom's adjusted rate, counted {rule}; cap {cap} %.":
        "Wskaźnik porzuceń: skorygowany według Ofcom, liczony {rule}; limit {cap} %.",
    "No agent worked this campaign in this period.":
        "Żaden agent nie pracował w tej kampanii w tym okresie.",
    "Dates: use YYYY-MM-DD, e.g. 2025-03-01.": "Daty: w postaci RRRR-MM-DD, np. 2025-03-01.",
    "The end date is before the start date.": "Data końcowa jest wcześniejsza niż początkowa.",
    "Dialed": "Wybrane",
    "Marked machine by agent": "Oznaczone przez agenta jako sekretarka",
    "Effective contacts": "Kontakty skuteczne",
    "Agent hours": "Godziny pracy agentów",
    "Contacts per agent hour": "Kontakty na godzinę agenta",
    "Wrap-up time": "Czas po rozmowie",
    "Total": "Razem",
    "no": "nie",
    "(none yet)": "(jeszcze brak)",
    "no such campaign": "Nie ma takiej kampanii.",
    "the end date is before the start date": "Data końcowa jest wcześniejsza niż początkowa.",
    "a report covers at most 366 days; choose a shorter range":
        "Raport obejmuje najwyżej 366 dni; wybierz krótszy okres.",
    # StoreError texts of appliance.campaigns.campaigns (must match them exactly)
    "campaign name: 1-40 lowercase letters, digits, - and _":
        "Nazwa kampanii: 1–40 znaków – małe litery, cyfry, - i _.",
    "title: at most 80 characters": "Tytuł: najwyżej 80 znaków.",
    "dialing mode: preview, progressive or predictive":
        "Tryb wybierania: podgląd, progresywny lub predykcyjny.",
    "agent group: choose an existing queue": "Grupa agentów: wybierz istniejącą kolejkę.",
    "ring time: at least 15 s: the legal minimum":
        "Czas dzwonienia: co najmniej 15 s – to minimum wymagane prawem.",
    "ring time: at most 120 s": "Czas dzwonienia: najwyżej 120 s.",
    "calling window: times as HH:MM, e.g. 09:00": "Godziny dzwonienia: w postaci GG:MM, np. 09:00.",
    "calling window: the start must be before the end":
        "Godziny dzwonienia: początek musi być przed końcem.",
    "calling days: choose at least one day of the week":
        "Dni dzwonienia: wybierz co najmniej jeden dzień tygodnia.",
    "dates: use YYYY-MM-DD, e.g. 2025-03-01": "Daty: w postaci RRRR-MM-DD, np. 2025-03-01.",
    "caller ID: digits only, optionally with a leading +":
        "Numer prezentowany: tylko cyfry, ewentualnie z + na początku.",
    "maximum attempts: a whole number from 1 to 20":
        "Najwięcej prób: liczba całkowita od 1 do 20.",
    "retry delays: whole numbers, 0 or more": "Odstępy ponowień: liczby 0 lub większe.",
    "no-agent message: choose a recorded prompt or a built-in sound":
        "Komunikat przy braku agenta: wybierz nagrany komunikat lub wbudowany dźwięk.",
    "recording: all or none": "Nagrywanie: wszystkie albo żadne.",
    "answering-machine detection: on or off": "Wykrywanie sekretarek: włączone lub wyłączone.",
    "abandon cap: a percentage from 0 to 100": "Limit porzuceń: procent od 0 do 100.",
    "abandon rule: day (UK Ofcom) or 30d (US FTC)":
        "Sposób liczenia porzuceń: na dobę (UK Ofcom) lub na 30 dni (USA FTC).",
    "lines per agent: a number from 1 to 5": "Linie na agenta: liczba od 1 do 5.",
    "agent script: at most 20000 characters": "Skrypt dla agenta: najwyżej 20000 znaków.",
    "campaign: unknown field": "Kampania: nieznane pole.",
    "a campaign with this name already exists": "Kampania o tej nazwie już istnieje.",
    "no such contact list": "Nie ma takiej listy kontaktów.",
    "campaign status: draft, running, paused, stopped or finished":
        "Stan kampanii: szkic, trwa, wstrzymana, zatrzymana lub zakończona.",
    "this campaign cannot go to that status from its current one":
        "Tej kampanii nie można przełączyć do tego stanu z obecnego.",
    "cannot start: attach at least one contact list that has contacts":
        "Nie można uruchomić: dołącz co najmniej jedną listę, która ma kontakty.",
    "cannot start: no trunk is configured to dial out on":
        "Nie można uruchomić: nie skonfigurowano łącza (trunku) do dzwonienia.",
    "cannot start: the agent group (queue) has no agents":
        "Nie można uruchomić: grupa agentów (kolejka) nie ma agentów.",
    "cannot start: the campaign's end date has passed":
        "Nie można uruchomić: data końcowa kampanii już minęła.",
    "cannot resume: every contact has been called; add contacts or a list first":
        "Nie można wznowić: obdzwoniono wszystkie kontakty; najpierw dodaj kontakty lub listę.",
    "the abandon cap is above 3 %, the legal limit in the UK and the US":
        "Limit porzuceń przekracza 3 % – granicę dopuszczalną w Wielkiej Brytanii i USA.",
    "no no-agent message chosen: answered calls with no free agent hear silence":
        "Nie wybrano komunikatu przy braku agenta: odebrane połączenia bez wolnego agenta "
        "usłyszą ciszę.",
    "the calling window goes outside 8:00-21:00 (the US rule)":
        "Godziny dzwonienia wychodzą poza 8:00–21:00 (reguła USA).",
}
