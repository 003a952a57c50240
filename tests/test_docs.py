"""The administrator's and technician's guides (docs/*-guide.{en,pl}.md, OPS-3) stay true.

A guide that quotes a command, a file, a panel address, a console option or a service that
does not exist sends the reader astray; so every such quote is checked against the real
thing: `jns` commands against the command line's own parsers (`--help` of the real program),
paths against the rootfs overlay, the image build scripts and the path literals of the code,
panel addresses against the Flask app's routes, console options against the menu, systemd
units against the overlay, and the Polish guides against the English ones (same sections,
same quotes).  No Asterisk, no network; a few seconds.
"""
from __future__ import annotations

import contextlib
import functools
import io
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import types
from pathlib import Path

import pytest
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
OVERLAY = ROOT / "rootfs" / "overlay"
UNITS = OVERLAY / "etc" / "systemd" / "system"
LANGS = ("en", "pl")
KINDS = ("admin-guide", "technician-guide")
GUIDES = [DOCS / f"{kind}.{lang}.md" for kind in KINDS for lang in LANGS]
# the console options of issue 9 (firmware update, backup) that the guides describe
NEW_CONSOLE_ITEMS = {"11": "Firmware update", "12": "Backup and restore"}
# first path segments that are files on the box, not panel addresses
FS_ROOTS = {"data", "etc", "usr", "var", "run", "dev", "boot", "sys", "proc", "tmp", "mnt",
            "media", "bin", "sbin", "lib", "opt", "srv", "home", "root"}
CHECKED_PATH = re.compile(r"(?<![\w.$}>/-])/(?:data|etc|usr/local)(?![\w.-])(?:/[^\s`'\"|;,()]*)?")
WILD = "\x00"   # a placeholder: <slot> in a guide, $slot or {slot} in the code


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


# -- reading the guides ----------------------------------------------------------------------

def quotes(text: str) -> list[str]:
    """What a guide quotes: inline `code` spans and every line of its ``` blocks."""
    out: list[str] = []
    rest = []
    in_block = False
    for line in text.splitlines():
        if line.strip().startswith("```"):
            in_block = not in_block
            continue
        if in_block:
            if line.strip():
                out.append(line.strip())
        else:
            rest.append(line)
    out += re.findall(r"`([^`\n]+)`", "\n".join(rest))
    return out


def code_blocks(text: str) -> list[list[str]]:
    """The ``` blocks, each as its lines (right-trimmed, indentation of the fence removed)."""
    blocks, current, indent = [], None, 0
    for line in text.splitlines():
        if line.strip().startswith("```"):
            if current is None:
                current, indent = [], len(line) - len(line.lstrip())
            else:
                blocks.append(current)
                current = None
            continue
        if current is not None:
            current.append(line[indent:].rstrip())
    return blocks


def tables(text: str) -> list[list[list[str]]]:
    """Markdown tables as rows of cells (header first, the |---| line left out)."""
    found, current = [], []
    for line in text.splitlines() + [""]:
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if not all(re.fullmatch(r":?-+:?", c) for c in cells):
                current.append(cells)
        elif current:
            found.append(current)
            current = []
    return found


def plain(cell: str) -> str:
    return cell.replace("`", "").replace("*", "").strip()


def headings(text: str, level: int) -> list[str]:
    mark = "#" * level + " "
    return [l for l in text.splitlines() if l.startswith(mark)]


@pytest.fixture(scope="module")
def guides() -> dict[Path, str]:
    missing = [str(p.relative_to(ROOT)) for p in GUIDES if not p.exists()]
    assert not missing, f"guides missing: {missing}"
    return {p: _text(p) for p in GUIDES}


def all_quotes(guides: dict[Path, str]) -> list[tuple[str, str]]:
    return [(p.name, q) for p, text in guides.items() for q in quotes(text)]


# -- where the build and the code name files ---------------------------------------------------

def _corpus_files() -> list[Path]:
    files = list((ROOT / "appliance").rglob("*.py")) + [ROOT / "Makefile"]
    files += [p for p in (ROOT / "scripts").rglob("*") if p.is_file()]
    files += [p for p in (ROOT / "rootfs").rglob("*") if p.is_file()]
    return [p for p in files if "__pycache__" not in p.parts]


def _wild(text: str) -> str:
    """Shell variables, f-string fields and <placeholders> all become one wildcard mark."""
    return re.sub(r"\$\{?\w+\}?|\{[^{}\s]*\}|<[^<>\s]+>", WILD, text)


@functools.lru_cache(maxsize=None)
def raw_corpus() -> str:
    """The text of the code, the build scripts, the Makefile and the rootfs tree."""
    parts = []
    for path in _corpus_files():
        try:
            parts.append(path.read_text(encoding="utf-8"))
        except UnicodeDecodeError:
            continue
    return "\n".join(parts)


@functools.lru_cache(maxsize=None)
def corpus() -> str:
    """The same with placeholders made wildcards, for matching quoted paths."""
    return _wild(raw_corpus())


@functools.lru_cache(maxsize=None)
def path_fragments() -> frozenset[str]:
    """Names the code joins into paths: the string literals of appliance/ ("secrets",
    "log/cdr-csv", "Master.csv"; f-strings split at their fields)."""
    out = set()
    literal = re.compile(r"""(["'])((?:(?!\1)[^\\\n])*)\1""")
    for path in (ROOT / "appliance").rglob("*.py"):
        for _q, body in literal.findall(_text(path)):
            for piece in re.split(r"\{[^{}]*\}", body):
                piece = piece.strip().strip("/")
                if re.fullmatch(r"[\w.@+-]+(?:/[\w.@+-]+)*", piece):
                    out.add(piece)
    return frozenset(out)


def _composed(tail: list[str]) -> bool:
    """Can the components after /data/jns be spelled by joining literals of the code?"""
    frags = path_fragments()
    ok = [True] + [False] * len(tail)
    for i in range(len(tail)):
        if not ok[i]:
            continue
        if tail[i] == WILD:
            ok[i + 1] = True
            continue
        for j in range(i + 1, len(tail) + 1):
            if WILD in tail[i:j]:
                break
            if "/".join(tail[i:j]) in frags:
                ok[j] = True
    return ok[-1]


def path_is_real(path: str) -> bool:
    """True when the build creates `path` (rootfs overlay), a build script or the code spells
    it out, or, under /data/jns, the code builds it from its own path literals."""
    bare = path.rstrip("/") or "/"
    wild = _wild(bare)
    if WILD not in wild and (OVERLAY / bare.lstrip("/")).exists():
        return True
    if re.search(re.escape(wild) + r"(?![\w.-])", corpus()):
        return True
    if wild.startswith("/data/jns/"):
        return _composed(wild[len("/data/jns/"):].split("/"))
    return False


def test_the_path_check_refuses_made_up_paths():
    """The checker itself: real paths pass, invented ones fail."""
    for real in ("/data/jns/jns.db", "/data/jns/asterisk/log/cdr-csv/Master.csv",
                 "/data/jns/secrets/console.pw", "/data/jns/asterisk/etc/current/",
                 "/data/overlay/<slot>/var/", "/etc/jns-release", "/usr/local/sbin/jns",
                 "/etc/systemd/system.conf.d/jns.conf", "/data/factory-reset"):
        assert path_is_real(real), real
    for made_up in ("/data/jns/config.ini", "/data/jns/asterisk/log/calls.log",
                    "/data/jns/nonsense/jns.db", "/etc/jns/jns.conf", "/etc/jns-version",
                    "/usr/local/bin/jns-update", "/data/backups/", "/data/jnsx"):
        assert not path_is_real(made_up), made_up


def test_every_quoted_path_exists_on_the_box(guides):
    wrong = []
    for name, q in all_quotes(guides):
        for path in CHECKED_PATH.findall(q):
            if not path_is_real(path):
                wrong.append(f"{name}: {path}")
    assert not wrong, ("paths quoted in the guides that neither the rootfs overlay, the build "
                       "scripts nor the code create: " + "; ".join(sorted(set(wrong))))


# -- the jns command line -------------------------------------------------------------------

_SCRATCH: list = []


@functools.lru_cache(maxsize=None)
def _scratch() -> str:
    """A data directory for the command line's --help runs (never the box's /data/jns)."""
    holder = tempfile.TemporaryDirectory(prefix="jns-docs-")
    _SCRATCH.append(holder)   # removed when the test process ends
    return holder.name


# Runs `jns <argv> --help` for many argv in ONE child process (python -m appliance.cli's
# main, exactly what the box's /usr/local/sbin/jns runs), on a scratch data directory: a
# process per command would cost ~0.7 s each.
_HELP_CHILD = r"""
import contextlib, io, json, sys
from appliance import cli
results = []
for argv in json.loads(sys.stdin.read()):
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        try:
            rc = cli.main(argv + ["--help"]) or 0
        except SystemExit as exc:
            rc = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except Exception as exc:
            rc = 1
            print(f"{type(exc).__name__}: {exc}")
    results.append([rc, out.getvalue()])
print(json.dumps(results))
"""
_HELPS: dict[tuple[str, ...], tuple[int, str]] = {}


def fetch_helps(argvs) -> None:
    """`jns <argv> --help` for every argv not asked yet, in one child process."""
    todo = sorted({tuple(a) for a in argvs} - set(_HELPS))
    if not todo:
        return
    env = {**os.environ, "JNS_DATA": _scratch(), "JNS_BACKUP_PASSPHRASE": "not-used-here"}
    proc = subprocess.run([sys.executable, "-c", _HELP_CHILD], cwd=ROOT, env=env, text=True,
                          input=json.dumps([list(a) for a in todo]), capture_output=True,
                          timeout=120)
    assert proc.returncode == 0, f"the command line's help runs failed: {proc.stderr[-2000:]}"
    for argv, (rc, text) in zip(todo, json.loads(proc.stdout.splitlines()[-1])):
        _HELPS[argv] = (rc, text)


def jns_help(argv: tuple[str, ...]) -> tuple[int, str]:
    fetch_helps([argv])
    return _HELPS[argv]


def _words(command: str) -> list[str]:
    """The words after `jns`, up to a <placeholder> (`jns <command> --help` is a pattern)."""
    tokens = shlex.split(command)[1:]
    cut = next((i for i, t in enumerate(tokens) if "<" in t), len(tokens))
    return tokens[:cut]


def subcommands(help_text: str) -> set[str]:
    """The {a,b,c} choices of the first positional argument, as argparse prints them."""
    m = re.search(r"positional arguments:\s*\n\s*\{([^}]*)\}", help_text)
    return set(m.group(1).split(",")) if m else set()


def jns_problems(command: str) -> list[str]:
    """Why `command` (a quoted `jns ...` line) is not a real command line, or []."""
    try:
        tokens = _words(command)
    except ValueError as exc:
        return [f"{command!r}: {exc}"]
    level: list[str] = []
    rc, text = jns_help(())
    if rc != 0:
        return [f"`jns --help` fails: {text.strip()[-300:]}"]
    choices = subcommands(text)
    problems = []
    for t in tokens:
        if t.startswith("-"):
            option = t.split("=")[0]
            if not re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", text):
                problems.append(f"{command!r}: `jns {' '.join(level)}` has no option {option}")
            continue
        if not choices:
            continue   # a positional value (a name, a file, key=value)
        for alt in t.split("|"):
            if alt in choices:
                continue
            # a command dispatched to its own parser (`jns alerts`) is real when its help works
            if not level and jns_help((alt,))[0] == 0:
                continue
            problems.append(f"{command!r}: `jns {' '.join(level)}` has no command {alt!r} "
                            f"(it has: {', '.join(sorted(choices))})")
        if "|" in t or problems:
            break
        level.append(t)
        before = text
        rc, text = jns_help(tuple(level))
        if rc != 0:
            problems.append(f"{command!r}: `jns {' '.join(level)} --help` fails: "
                            f"{text.strip()[-300:]}")
            break
        # the same help again: `t` was a value of this parser's positional (`set-rule disk`)
        choices = set() if text == before else subcommands(text)
    return problems


def jns_commands(guides) -> list[str]:
    return sorted({q for _n, q in all_quotes(guides) if q == "jns" or q.startswith("jns ")})


MADE_UP = ("jns frobnicate", "jns alerts explode", "jns alerts history --sinse 7d")


@pytest.fixture(scope="module")
def jns_helps(guides):
    """Every --help the command checks below need, asked in one go."""
    prefixes = []
    for c in jns_commands(guides) + list(MADE_UP):
        with contextlib.suppress(ValueError):
            words = [w for w in _words(c) if not w.startswith("-")]
            prefixes += [tuple(words[:i]) for i in range(len(words) + 1)]
    fetch_helps(prefixes)


def test_every_quoted_jns_command_exists(guides, jns_helps):
    commands = jns_commands(guides)
    assert len(commands) >= 20, commands   # the guides quote the command line a lot
    wrong = [p for c in commands for p in jns_problems(c)]
    assert not wrong, "\n".join(wrong)


def test_the_jns_check_refuses_made_up_commands(jns_helps):
    assert jns_problems("jns alerts history --since 7d") == []
    for made_up in MADE_UP:
        assert jns_problems(made_up) != [], made_up


def test_every_quoted_make_target_exists(guides):
    makefile = _text(ROOT / "Makefile")
    targets = set(re.findall(r"^([\w.-]+):", makefile, re.M))
    wrong = []
    for name, q in all_quotes(guides):
        if q.startswith("make "):
            wrong += [f"{name}: {q}" for t in q.split()[1:] if t not in targets]
    assert not wrong, f"make targets quoted but not in the Makefile: {wrong}"


def test_every_quoted_setting_and_variable_is_in_the_code(guides):
    """`update_health_timeout_s`, `jns_try`, `JNS_BACKUP_PASSPHRASE`...: names the reader
    will type or look for must be spelled as the code spells them."""
    words = set(re.findall(r"\w+", raw_corpus()))
    wrong = sorted({f"{name}: {q}" for name, q in all_quotes(guides)
                    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", q) and "_" in q
                    and q not in words})
    assert not wrong, f"names quoted in the guides that the code never uses: {wrong}"


# -- the web panel ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def panel(tmp_path_factory):
    """The real panel on a fresh database, and a client logged in as its first admin."""
    from appliance.webui import create_app
    from tests.test_webui import do_setup
    app = create_app(str(tmp_path_factory.mktemp("docs") / "box.db"))
    app.config["TESTING"] = True
    client = app.test_client()
    assert do_setup(client).status_code == 302
    return app, client


def panel_urls(text: str) -> set[str]:
    urls = set()
    for q in quotes(text):
        for url in re.findall(r"(?<![\w.~/-])/[^\s`'\"]*", q):
            first = url.lstrip("/").split("/")[0].split("?")[0]
            if first not in FS_ROOTS and not url.startswith("//"):
                urls.add(url)
    return urls


def _rule_shape(rule: str) -> str:
    return re.sub(r"<[^>]+>", "<>", rule)


def url_problem(app, client, url: str) -> str | None:
    path = url.split("?")[0].split("#")[0]
    if "<" in path:
        shapes = {_rule_shape(r.rule) for r in app.url_map.iter_rules()}
        return None if _rule_shape(path) in shapes else "no route of that shape"
    adapter = app.url_map.bind("box.invalid")
    try:
        _endpoint, args = adapter.match(path, method="GET")
    except MethodNotAllowed:
        return None   # a real address that only takes form posts
    except RequestRedirect as redirect:
        return f"the panel redirects it to {redirect.new_url} (quote that)"
    except NotFound:
        return "no such route"
    if args:   # /reports/<name>: the route exists, but does this page?
        status = client.get(path).status_code
        if status == 404:
            return "the route exists but answers 404"
    return None


def test_every_quoted_panel_address_is_a_real_page(guides, panel):
    app, client = panel
    wrong, seen = [], 0
    for path, text in guides.items():
        for url in sorted(panel_urls(text)):
            seen += 1
            problem = url_problem(app, client, url)
            if problem:
                wrong.append(f"{path.name}: {url}: {problem}")
    assert seen >= 40, seen
    assert not wrong, "\n".join(wrong)


def test_the_address_check_refuses_made_up_pages(panel):
    app, client = panel
    assert url_problem(app, client, "/reports/unanswered") is None
    assert url_problem(app, client, "/reports/call/<callid>") is None
    assert url_problem(app, client, "/admin/users/") is None
    assert url_problem(app, client, "/reports/no-such-report") is not None
    assert url_problem(app, client, "/admin/nothing/") is not None
    assert url_problem(app, client, "/reports/call/<a>/<b>") is not None
    assert url_problem(app, client, "/admin/users") is not None   # the page is /admin/users/


def test_the_menu_tables_list_every_page_of_the_panels_menus(guides):
    """The admin guide's menu tables cover the top bar and every Configuration page."""
    from appliance.webui.admin import PAGES
    base = _text(ROOT / "appliance" / "webui" / "templates" / "base.html")
    top = re.findall(r'\("(\w+)\.index", "([^"]+)"\)', base)
    assert len(top) >= 10, top
    from appliance.webui.i18n import CATALOG
    for lang in LANGS:
        text = guides[DOCS / f"admin-guide.{lang}.md"]
        rows = [r for t in tables(text) for r in t[1:]]
        labels = {plain(r[0]) for r in rows}
        for _endpoint, label in list(top) + list(PAGES):
            shown = label if lang == "en" else CATALOG.get(label, label)
            assert shown in labels, f"admin-guide.{lang}.md: no table row for {shown!r}"


# -- the console menu -------------------------------------------------------------------------

class _NoSystem:
    """A box that can tell nothing: the menu shows its defaults (it must, on a real box)."""

    def __getattr__(self, name):
        def unknown(*_args, **_kw):
            raise RuntimeError(f"{name}: not on this host")
        return unknown


MENU_ITEM = r"(?:^|\s)(\w{1,2})\) (.+?)(?=\s{2,}\w{1,2}\) |\s*$)"


@functools.lru_cache(maxsize=None)
def console_screen_items() -> dict[str, str]:
    """The options as the real menu prints them (for a) and 0), which are not in ITEMS)."""
    from appliance.console.menu import Menu, Terminal
    out = io.StringIO()
    term = Terminal(io.StringIO(""), out, charset="ascii", env={})
    settings = types.SimpleNamespace(db=Path(_scratch()) / "no-database-here.db")
    Menu(term, _NoSystem(), settings).show_menu()
    found = {}
    for line in out.getvalue().splitlines():
        for key, title in re.findall(MENU_ITEM, line):
            found[key] = title.strip()
    return found


def expected_console_items() -> dict[str, str]:
    from appliance.console.menu import ITEMS
    items = dict(ITEMS)
    screen = console_screen_items()
    items.update({k: screen[k] for k in ("a", "0")})
    for key, title in NEW_CONSOLE_ITEMS.items():
        items.setdefault(key, title)
    return items


def test_the_console_menu_has_the_update_and_backup_options():
    from appliance.console.menu import ITEMS
    items = dict(ITEMS)
    for key, title in NEW_CONSOLE_ITEMS.items():
        assert items.get(key) == title, f"console menu option {key} should be {title!r}: {ITEMS}"


def test_every_quoted_console_option_is_in_the_menu(guides):
    expected = expected_console_items()
    assert expected.get("a") == "Alarms" and expected.get("0") == "Log out", expected
    wrong, seen = [], 0
    for path, text in guides.items():
        for q in quotes(text):
            if not re.match(r"\w{1,2}\) ", q):
                continue
            for key, title in re.findall(MENU_ITEM, q):   # `10) Shell`, or a screen line
                seen += 1
                if expected.get(key) != title.strip():
                    wrong.append(f"{path.name}: `{key}) {title}` (the menu has {key}) "
                                 f"{expected.get(key)})")
    assert seen >= 20, seen
    assert not wrong, wrong


def test_the_menu_screen_in_the_guides_is_what_the_console_prints(guides):
    """The picture of the menu is the real menu's output (ASCII, as on a serial line) for a
    box with version 1.0.420, host jns-pbx at 192.0.2.10 and Asterisk running."""
    from appliance.console.menu import Menu, Terminal

    class Box(_NoSystem):
        def release(self): return "1.0.420"
        def hostname(self): return "jns-pbx"
        def ipv4_addresses(self): return ["192.0.2.10"]
        def unit_state(self, _unit): return "active"
        def is_root(self): return True

    out = io.StringIO()
    term = Terminal(io.StringIO(""), out, charset="ascii", env={})
    settings = types.SimpleNamespace(db=Path(_scratch()) / "no-database-here.db")
    Menu(term, Box(), settings).show_menu()
    screen = [l.rstrip() for l in out.getvalue().splitlines() if l.strip()]
    screen.append(" Enter an option:")   # the menu's question (Menu.loop)
    for lang in LANGS:
        blocks = code_blocks(guides[DOCS / f"technician-guide.{lang}.md"])
        assert screen in blocks, (f"technician-guide.{lang}.md has no block equal to the "
                                  "menu screen:\n" + "\n".join(screen))


def test_the_console_tables_match_the_menu_option_by_option(guides):
    expected = expected_console_items()
    for lang in LANGS:
        text = guides[DOCS / f"technician-guide.{lang}.md"]
        menu = [t for t in tables(text) if plain(t[0][0]) in ("Option", "Opcja")]
        assert len(menu) == 1, f"technician-guide.{lang}.md: one console menu table"
        shown = {plain(r[0]): plain(r[1]) for r in menu[0][1:]}
        assert shown == expected, f"technician-guide.{lang}.md: {shown} != {expected}"


# -- alarms, units ------------------------------------------------------------------------------

def test_the_alarm_tables_explain_every_check(guides):
    from appliance.store.alerts import CHECKS
    for lang in LANGS:
        text = guides[DOCS / f"admin-guide.{lang}.md"]
        found = [t for t in tables(text) if plain(t[0][0]) in ("Check", "Kontrola")]
        assert len(found) == 1, f"admin-guide.{lang}.md: one table of alarm checks"
        listed = [plain(r[0]) for r in found[0][1:]]
        assert sorted(listed) == sorted(CHECKS), (lang, set(listed) ^ set(CHECKS))


def test_every_named_systemd_unit_exists(guides):
    wrong = []
    for path, text in guides.items():
        wrong += [f"{path.name}: {n}" for n in sorted(_named_units(text))
                  if not (UNITS / n).is_file()]
    assert not wrong, f"units named in the guides but not in rootfs/overlay: {wrong}"


def _named_units(text: str) -> set[str]:
    names = set(re.findall(r"\bjns-[a-z-]+\.(?:service|timer)\b", text))
    names |= {f"{n}.service" for n in re.findall(
        r"(?:journalctl -u|systemctl \w+) '?(jns-[a-z-]+)\b(?![.*'-])", text)}
    return names


def test_every_named_unit_that_has_an_install_section_is_enabled_in_the_image(guides):
    """A unit the guides describe as running (the backup timer, the health gate) runs only
    if scripts/build-image.sh enables it (or the overlay links it into a .wants folder)."""
    script = _text(ROOT / "scripts" / "build-image.sh").replace("\\\n", " ")
    enabled = set()
    for line in re.findall(r"systemctl enable ([^\n>]+)", script):
        enabled |= {n if n.endswith((".service", ".timer")) else f"{n}.service"
                    for n in line.split()}
    enabled |= {p.name for p in UNITS.glob("*.wants/*")}   # or enabled by a link in the overlay
    wrong = []
    for path, text in guides.items():
        for name in sorted(_named_units(text)):
            unit = UNITS / name
            if unit.is_file() and "[Install]" in _text(unit) and name not in enabled:
                wrong.append(f"{path.name}: {name}")
    assert not wrong, f"units the guides name but build-image.sh does not enable: {wrong}"


def test_links_between_the_guides_resolve(guides):
    for path, text in guides.items():
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", text):
            assert (path.parent / target).exists(), f"{path.name}: link to {target}"


# -- Polish and English say the same ------------------------------------------------------------

@pytest.mark.parametrize("kind", KINDS)
def test_polish_and_english_have_the_same_sections_and_quotes(guides, kind):
    en, pl = (guides[DOCS / f"{kind}.{lang}.md"] for lang in LANGS)
    for level in (2, 3):
        assert len(headings(en, level)) == len(headings(pl, level)), (
            f"{kind}: {'#' * level} headings differ: {headings(en, level)} vs "
            f"{headings(pl, level)}")
    only_en = sorted(set(quotes(en)) - set(quotes(pl)))
    only_pl = sorted(set(quotes(pl)) - set(quotes(en)))
    assert not only_en and not only_pl, (f"{kind}: quoted only in English: {only_en}; "
                                         f"only in Polish: {only_pl}")
    assert len(tables(en)) == len(tables(pl)), kind
    for t_en, t_pl in zip(tables(en), tables(pl)):
        assert len(t_en) == len(t_pl), (kind, t_en[0], t_pl[0])


def test_the_polish_guides_are_polish(guides):
    """Not an English copy: the panel's own Polish words are there."""
    for kind in KINDS:
        text = guides[DOCS / f"{kind}.pl.md"]
        for word in ("urządzeni", "kolejk", "nagra", "hasł"):
            assert word in text.lower(), (kind, word)
