"""Polish texts of the conference rooms' pages (webui/conferences.py, templates/conferences/)
and of the messages the rooms' store and controls give (telephony.conferences, actions).

Part of the panel's one catalogue: `i18n.CATALOG` merges CONF (ids already there keep
their text), `i18n.ENGLISH` merges CONF_ENGLISH (keyword ids whose English is not the bare
word after the colon)."""
from __future__ import annotations

CONF_ENGLISH: dict[str, str] = {
    "action:conference": "conference room",
}

CONF: dict[str, str] = {
    "action:conference": "pokój konferencyjny",
    "role:talker": "rozmówca",
    "role:listener": "słuchacz",
    "role:leader": "prowadzący",
    "Conferences": "Konferencje",     # the main menu's entry (base.html)
    # the list of rooms
    "Conference rooms": "Pokoje konferencyjne",
    "Conference room": "Pokój konferencyjny",
    "Conference room {number}": "Pokój konferencyjny {number}",
    "New conference room": "Nowy pokój konferencyjny",
    "No conference rooms yet.": "Nie ma jeszcze pokoi konferencyjnych.",
    "In the room now": "Teraz w pokoju",
    "Participants": "Uczestnicy",
    "locked": "zamknięty",
    "Scheduled conferences": "Konferencje zaplanowane",
    "Dial the room's number from a desk phone. From outside, point a dialled number (route) "
    "or an IVR key at 'conference room'.":
        "Z telefonu na biurku wybierz numer pokoju. Z zewnątrz skieruj do niego wybierany "
        "numer (trasę) lub klawisz IVR z celem „pokój konferencyjny”.",
    "Who is in the rooms now is not known: {error}":
        "Nie wiadomo, kto jest teraz w pokojach: {error}",
    # the room form
    "Room number": "Numer pokoju",
    "2 to 8 digits; not an agent's extension and not 700-720 (parking).":
        "Od 2 do 8 cyfr; nie numer wewnętrzny agenta i nie 700-720 (parkowanie).",
    "PINs": "Kody PIN",
    "4 to 12 digits each. With a talker PIN every caller is asked for a PIN, and the PIN "
    "typed decides the role. Leave all empty for a room without PINs (everybody talks).":
        "Każdy od 4 do 12 cyfr. Gdy jest PIN rozmówcy, każdy dzwoniący jest pytany o PIN, "
        "a wpisany PIN decyduje o roli. Zostaw wszystkie puste dla pokoju bez PIN-ów "
        "(wszyscy mówią).",
    "Talker PIN": "PIN rozmówcy",
    "Listener PIN (listen-only)": "PIN słuchacza (tylko słucha)",
    "Leader PIN (mute all, lock, kick)":
        "PIN prowadzącego (wyciszanie wszystkich, zamykanie, usuwanie)",
    "Generate PIN": "Wygeneruj PIN",
    "PIN tries": "Próby wpisania PIN-u",
    "Most participants": "Najwięcej uczestników",
    "Record the conference": "Nagrywaj konferencję",
    "Wait for the leader (music until the leader joins)":
        "Czekaj na prowadzącego (muzyka, dopóki prowadzący nie dołączy)",
    "Keypad voting (keys 1-9; a talker then mutes with *1)":
        "Głosowanie klawiszami (1-9; rozmówca wycisza się wtedy przez *1)",
    "A room that a route, an IVR key or a scheduled conference leads into cannot be deleted.":
        "Nie można usunąć pokoju, do którego prowadzi trasa, klawisz IVR lub zaplanowana "
        "konferencja.",
    "Delete this room": "Usuń ten pokój",
    "Conference room saved.": "Pokój konferencyjny zapisany.",
    "Conference room deleted.": "Pokój konferencyjny usunięty.",
    # the live page
    "Dial {number} from a desk phone. From outside, route a dialled number or an IVR key to "
    "'conference room' {number}.":
        "Z telefonu na biurku wybierz {number}. Z zewnątrz skieruj wybierany numer lub "
        "klawisz IVR do celu „pokój konferencyjny” {number}.",
    "none: everybody who dials in talks": "brak: każdy, kto się dodzwoni, mówi",
    "Talkers: {key} mutes and unmutes themselves.":
        "Rozmówcy: {key} wycisza i włącza własny mikrofon.",
    "Keys 1-9 vote.": "Klawisze 1-9 to głos.",
    "Leader: 1 mute self, 2 mute everybody (again: unmute), 3 lock (again: unlock), "
    "4 remove the last to join.":
        "Prowadzący: 1 wycisza siebie, 2 wycisza wszystkich (ponownie: włącza), 3 zamyka "
        "pokój (ponownie: otwiera), 4 usuwa ostatniego, który dołączył.",
    "Listeners cannot unmute.": "Słuchacze nie mogą włączyć mikrofonu.",
    "Live participants unavailable: {error}": "Lista uczestników niedostępna: {error}",
    "Locked: nobody else gets in.": "Zamknięty: nikt więcej nie wejdzie.",
    "Mute everybody": "Wycisz wszystkich",
    "Unmute talkers": "Włącz mikrofony rozmówcom",
    "Lock": "Zamknij",
    "Unlock": "Otwórz",
    "Joined": "Dołączył(a)",
    "Talking": "Mówi",
    "Muted": "Wyciszony",
    "Mute": "Wycisz",
    "Unmute": "Włącz mikrofon",
    "talking": "mówi",
    "silent": "cisza",
    "for {minutes} min": "od {minutes} min",
    "waiting for the leader": "czeka na prowadzącego",
    "Nobody is in the room.": "Nikogo nie ma w pokoju.",
    "No recordings yet.": "Nie ma jeszcze nagrań.",
    "This room is not recorded.": "Ten pokój nie jest nagrywany.",
    "Edit the room": "Edytuj pokój",
    "Unknown conference action.": "Nieznane działanie w konferencji.",
    "Choose a participant from the list.": "Wybierz uczestnika z listy.",
    "Participant muted.": "Uczestnik wyciszony.",
    "Participant unmuted.": "Mikrofon uczestnika włączony.",
    "Participant removed from the conference.": "Uczestnik usunięty z konferencji.",
    "Room locked.": "Pokój zamknięty.",
    "Room unlocked.": "Pokój otwarty.",
    "Everybody but the leaders muted.": "Wszyscy poza prowadzącymi wyciszeni.",
    "Talkers unmuted.": "Mikrofony rozmówców włączone.",
    # the rooms' store (telephony.conferences) and controls (telephony.actions), word for word
    "room number: 2 to 8 digits": "numer pokoju: od 2 do 8 cyfr",
    "room number: 700 to 720 are the parking spaces; choose another number":
        "numer pokoju: 700-720 to miejsca parkowania; wybierz inny numer",
    "room title: at most 80 characters, no control characters":
        "tytuł pokoju: najwyżej 80 znaków, bez znaków sterujących",
    "PINs: the talker, listener and leader PINs must differ from each other (the PIN typed "
    "decides the role)":
        "PIN-y: PIN rozmówcy, słuchacza i prowadzącego muszą się różnić (wpisany PIN "
        "decyduje o roli)",
    "talker PIN: set it too; without it nobody is asked for a PIN, so the listener and "
    "leader PINs could never be typed":
        "PIN rozmówcy: ustaw go także; bez niego nikt nie jest pytany o PIN, więc PIN-ów "
        "słuchacza i prowadzącego nie dałoby się wpisać",
    "wait for the leader: set a leader PIN, or nobody could ever start the conference":
        "czekanie na prowadzącego: ustaw PIN prowadzącego, inaczej nikt nie rozpocznie "
        "konferencji",
    "this room no longer exists; reload the list": "tego pokoju już nie ma; odśwież listę",
    "talker PIN: 4 to 12 digits, or empty for none":
        "PIN rozmówcy: od 4 do 12 cyfr albo puste (bez PIN-u)",
    "listener PIN: 4 to 12 digits, or empty for none":
        "PIN słuchacza: od 4 do 12 cyfr albo puste (bez PIN-u)",
    "leader PIN: 4 to 12 digits, or empty for none":
        "PIN prowadzącego: od 4 do 12 cyfr albo puste (bez PIN-u)",
    "PIN tries: enter a whole number from 1 to 5": "próby PIN-u: podaj liczbę od 1 do 5",
    "most participants: enter a whole number from 2 to 200":
        "najwięcej uczestników: podaj liczbę od 2 do 200",
    "a listen-only participant cannot be unmuted; they joined with the listener PIN":
        "słuchaczowi nie można włączyć mikrofonu; dołączył z PIN-em słuchacza",
    "this participant has left the conference; the list is refreshed":
        "ten uczestnik opuścił już konferencję; lista jest odświeżana",
    "nobody is in this room; a room is locked while in use":
        "nikogo nie ma w pokoju; pokój zamyka się, gdy trwa konferencja",
}
