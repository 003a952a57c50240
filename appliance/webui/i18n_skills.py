"""Polish texts of skills routing (BEY-3): the skills page (webui/skills.py, templates
skills.html, skill_edit.html, _skill_fields.html), the queue form's skill rule and overflow
thresholds, and the rule's problems as appliance.telephony.skills.parse_rule names them
(word for word, so the queue form shows each bad line in Polish).

Part of the panel's one catalogue: `i18n.CATALOG` merges SKILLS.
"""
from __future__ import annotations

SKILLS: dict[str, str] = {
    # the skills page
    "Skills": "Umiejętności",
    'Give agents skills with levels 1-100; the skill rule of a queue then says whom its '
    'callers reach first and how the rule relaxes as they wait. A skill that stands for a '
    'language is what the rule calls "language": the language the caller chose in the IVR '
    'or got from a caller rule.':
        'Nadaj agentom umiejętności z poziomami 1-100; reguła umiejętności kolejki mówi '
        'wtedy, do kogo dzwoniący trafiają najpierw i jak reguła łagodnieje, gdy czekają. '
        'Umiejętność oznaczająca język to w regule słowo „language”: język, który dzwoniący '
        'wybrał w IVR albo dostał z reguły dzwoniącego.',
    "No skills yet.": "Nie ma jeszcze umiejętności.",
    "New skill": "Nowa umiejętność",
    "Add skill": "Dodaj umiejętność",
    "Language": "Język",
    "Stands for the language of": "Oznacza język",
    "no language": "żaden język",
    "Polish callers": "dzwoniących po polsku",
    "English callers": "dzwoniących po angielsku",
    "Agents' levels": "Poziomy agentów",
    "1-100, higher is better; empty: the agent does not have the skill. Agents logged in at "
    "the desk get new levels at their next login.":
        "1-100, wyższy jest lepszy; puste: agent nie ma tej umiejętności. Agenci logujący się "
        "przy biurku dostają nowe poziomy przy następnym zalogowaniu.",
    "Save levels": "Zapisz poziomy",
    "Skill {name}": "Umiejętność {name}",
    "Skill {name} added.": "Dodano umiejętność {name}.",
    "Skill {name} saved.": "Zapisano umiejętność {name}.",
    "Skill {name} deleted.": "Usunięto umiejętność {name}.",
    "Delete skill {name}": "Usuń umiejętność {name}",
    "Agents' skill levels saved.": "Zapisano poziomy umiejętności agentów.",
    "A skill a queue's rule asks for cannot be deleted or renamed.":
        "Umiejętności, o którą prosi reguła kolejki, nie można usunąć ani przemianować.",
    "Agent {agent}, skill {skill}: a level is a whole number 1-100 (empty: the agent does "
    "not have it).":
        "Agent {agent}, umiejętność {skill}: poziom to liczba całkowita 1-100 (puste: agent "
        "jej nie ma).",
    # the queue form
    "Skills routing": "Kierowanie według umiejętności",
    'One step a line: seconds waited, a colon, the skills asked for ("language" is the '
    'language of the caller), or * for anyone. E.g. "0: language>=50, internet>=30", then '
    '"60: language", then "120: *". Empty: no skills routing; the penalties of the members '
    'below apply.':
        'Jeden krok w wierszu: sekundy oczekiwania, dwukropek, wymagane umiejętności '
        '(„language” to język dzwoniącego) albo * dla każdego. Np. „0: language>=50, '
        'internet>=30”, potem „60: language”, potem „120: *”. Puste: bez kierowania według '
        'umiejętności; obowiązują kary członków poniżej.',
    "Skills: {names}.": "Umiejętności: {names}.",
    "Skill rule": "Reguła umiejętności",
    "Line {n}: {problem}": "Wiersz {n}: {problem}",
    "The skill rule has mistakes; see below.": "Reguła umiejętności ma błędy; zobacz niżej.",
    "Overflow when the estimated wait is over (s, 0: never)":
        "Przelew, gdy szacowany czas oczekiwania przekracza (s, 0: nigdy)",
    "Overflow above callers waiting per logged-in agent (0: never)":
        "Przelew powyżej liczby czekających na zalogowanego agenta (0: nigdy)",
    "{field}: enter a number like 2 or 1.5, not {value!r}":
        "{field}: wpisz liczbę, np. 2 albo 1,5, a nie {value!r}",
    # appliance.telephony.skills.parse_rule: the problems of a rule's line
    'write seconds, a colon, then skills, e.g. "60: language>=50"':
        'wpisz sekundy, dwukropek, potem umiejętności, np. „60: language>=50”',
    "the first step must start at 0 seconds": "pierwszy krok musi zaczynać się od 0 sekund",
    "each step must start later than the one before":
        "każdy krok musi zaczynać się później niż poprzedni",
    "name the skills of this step, or * for anyone":
        "podaj umiejętności tego kroku albo * dla każdego",
    "{term} is not a skill with an optional level, e.g. internet>=30":
        "{term} to nie umiejętność z opcjonalnym poziomem, np. internet>=30",
    "the level of {skill} must be 1-100": "poziom {skill} musi mieć wartość 1-100",
    "there is no skill {skill}": "nie ma umiejętności {skill}",
}
