"""Polish texts of the users page `/admin/users/` (accounts.py).

Part of the panel's one catalogue: `i18n.CATALOG` merges this dict.  English message id ->
Polish text, exactly like i18n.py.  The store's refusals are keyed by the constants of
`appliance.store.users`, so a changed message there cannot lose its translation silently.
"""
from __future__ import annotations

from ..store import users

USERS: dict[str, str] = {
    "Users": "Użytkownicy",
    "Who may log in to this panel. Agent users see only the recordings of the agent "
    "extension linked to them.":
        "Kto może logować się do panelu. Użytkownicy z rolą agenta widzą tylko nagrania "
        "powiązanego z nimi numeru wewnętrznego agenta.",
    "Role": "Rola",
    "Linked agent": "Powiązany agent",
    "Linked agent (agent users only)": "Powiązany agent (tylko dla roli agenta)",
    "not linked": "bez powiązania",
    "Linked extension": "Powiązany numer wewnętrzny",
    "For agents: their desk. For supervisors: their own phone (listen, whisper, barge).":
        "Dla agentów: ich stanowisko. Dla koordynatorów: ich własny telefon (podsłuch, "
        "podpowiadanie, włączenie się do rozmowy).",
    "One user per extension. The box always keeps at least one administrator.":
        "Jeden użytkownik na numer wewnętrzny. Urządzenie zawsze zachowuje co najmniej "
        "jednego administratora.",
    "linked to {user}": "powiązany z {user}",
    "you": "to Ty",
    "New user": "Nowy użytkownik",
    "Create user": "Utwórz użytkownika",
    "User {name}": "Użytkownik {name}",
    "Only agent users are linked to an agent extension. The box always keeps at least one "
    "administrator.":
        "Z numerem wewnętrznym agenta powiązani są tylko użytkownicy z rolą agenta. "
        "Urządzenie zawsze zachowuje co najmniej jednego administratora.",
    "New password": "Nowe hasło",
    "Set the new password": "Ustaw nowe hasło",
    "You cannot delete the user you are logged in as; ask another administrator.":
        "Nie możesz usunąć użytkownika, na którego jesteś zalogowany; poproś o to innego "
        "administratora.",
    "The last administrator cannot be deleted.":
        "Nie można usunąć ostatniego administratora.",
    "Delete user {name}": "Usuń użytkownika {name}",
    "A user named {name} already exists.": "Użytkownik o nazwie {name} już istnieje.",
    "User {name} created.": "Utworzono użytkownika {name}.",
    "User {name} saved.": "Zapisano użytkownika {name}.",
    "User {name} deleted.": "Usunięto użytkownika {name}.",
    "New password of {name} saved.": "Zapisano nowe hasło użytkownika {name}.",
    # StoreError texts from appliance.store.users
    users.LAST_ADMIN:
        "urządzenie musi mieć co najmniej jednego administratora: najpierw nadaj innemu "
        "użytkownikowi rolę administratora",
    users.SELF_DELETE:
        "nie możesz usunąć użytkownika, na którego jesteś zalogowany; poproś o to innego "
        "administratora",
    users.NO_USER: "ten użytkownik już nie istnieje; odśwież listę użytkowników",
    users.NO_AGENT: "żaden agent nie ma tego numeru wewnętrznego; wybierz numer z listy",
    users.AGENT_TAKEN:
        "ten numer wewnętrzny agenta jest już powiązany z innym użytkownikiem; najpierw "
        "usuń tamto powiązanie",
}
