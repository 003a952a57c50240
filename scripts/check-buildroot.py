#!/usr/bin/env python3
"""Offline check of the Buildroot tree (buildroot/), for CI without Buildroot or internet.

Buildroot downloads every source it builds, so CI cannot build this tree.  What it can
prove, it checks here with the standard library only:
  * external.desc names the tree; every package has Config.in, <name>.mk and (when
    downloaded) <name>.hash with sha256 lines for its source and licence files; every .mk
    balances define/endef and ifeq/endif, ends in a $(eval $(...-package)) line and names
    its variables after its directory;
  * every Config.in parses as Kconfig (balanced menu/choice/if, known keywords, help
    blocks) and every `source` exists; every package is reachable from Config.in;
  * every symbol the defconfig sets, and every symbol a Config.in selects or depends on,
    is defined here or listed in known-buildroot-symbols.txt (confirmed in Buildroot);
  * the overlay is the Debian image's rootfs/overlay (not a copy), the GRUB setup and the
    genimage disk layout match scripts/mkdisk.py, grub.cfg.in is the menu that gets used,
    and the units build-image.sh enables are the ones post-build.sh enables.

    scripts/check-buildroot.py [--tree buildroot]        exit 0: OK, 1: problems listed
"""
from __future__ import annotations

import argparse
import ast
import importlib.util
import os
import re
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path

SYMBOL = re.compile(r"\bBR2_[A-Za-z0-9_]+\b")
ASSIGN = re.compile(r"^([A-Za-z0-9_]+)\s*(\+=|:=|\?=|::=|=)")
HASH_LEN = {"md5": 32, "sha1": 40, "sha224": 56, "sha256": 64, "sha384": 96, "sha512": 128}
# Buildroot's package infrastructures (manual, "Adding new packages")
INFRAS = {f"{host}{kind}-package" for host in ("", "host-") for kind in (
    "generic", "autotools", "cmake", "meson", "python", "perl", "luarocks", "kconfig",
    "rebar", "waf", "cargo", "golang", "qmake", "virtual", "kernel-module")}
# Setup types pkg-python.mk accepts (distutils went with Python 3.12)
SETUP_TYPES = {"setuptools", "pep517", "flit"}
KCONFIG_TYPES = {"bool", "tristate", "string", "int", "hex"}
KCONFIG_ATTRS = {"prompt", "default", "depends", "select", "imply", "range", "option",
                 "visible", "modules", "transitional", "def_bool", "def_tristate"}
BLOCKS = {"menu": "endmenu", "choice": "endchoice", "if": "endif"}


class Report:
    """Problems as `path:line: message`, paths relative to the repository."""

    def __init__(self, repo: Path):
        self.repo = repo
        self.problems: list[str] = []

    def __call__(self, path: Path | None, line: int | None, message: str) -> None:
        where = ""
        if path is not None:
            try:
                where = str(path.resolve().relative_to(self.repo.resolve()))
            except ValueError:
                where = str(path)
            where += f":{line}: " if line else ": "
        self.problems.append(where + message)


def logical_lines(path: Path) -> list[tuple[int, str]]:
    """(first line number, text) with backslash continuations joined."""
    out: list[tuple[int, str]] = []
    buf, start = "", 0
    for no, raw in enumerate(path.read_text(errors="replace").splitlines(), 1):
        if not buf:
            start = no
        if raw.endswith("\\"):
            buf += raw[:-1] + " "
            continue
        out.append((start, buf + raw))
        buf = ""
    if buf:
        out.append((start, buf))
    return out


def strip_comment(text: str) -> str:
    """Drop a # comment that is not inside a "string"."""
    quoted = False
    for i, ch in enumerate(text):
        if ch == '"' and (i == 0 or text[i - 1] != "\\"):
            quoted = not quoted
        elif ch == "#" and not quoted:
            return text[:i]
    return text


def indent_of(text: str) -> int:
    return len(text.expandtabs(8)) - len(text.expandtabs(8).lstrip())


# -- Kconfig ---------------------------------------------------------------------------------

@dataclass
class Kconfig:
    defined: dict[str, tuple[str, Path, int]] = field(default_factory=dict)  # sym -> type
    references: list[tuple[str, str, Path, int]] = field(default_factory=list)
    files: set[Path] = field(default_factory=set)


def parse_kconfig(path: Path, env: dict[str, str], kc: Kconfig, report: Report) -> None:
    """Parse one Kconfig file (and what it sources) into kc; problems go to report."""
    path = path.resolve()
    if path in kc.files:
        report(path, None, "sourced twice")
        return
    kc.files.add(path)
    lines = path.read_text(errors="replace").splitlines()
    stack: list[tuple[str, int]] = []
    entry: str | None = None          # "config SYM", "choice", "menu", "comment" or None
    entry_sym: str | None = None
    entry_line = 0
    typed = False

    def close_entry() -> None:
        if entry_sym and not typed:
            report(path, entry_line, f"config {entry_sym} has no type (bool, string, ...)")

    i = 0
    while i < len(lines):
        no, raw = i + 1, lines[i]
        i += 1
        while raw.endswith("\\") and i < len(lines):
            raw = raw[:-1] + " " + lines[i]
            i += 1
        text = strip_comment(raw).strip()
        if not text:
            continue
        if text.count('"') % 2:
            report(path, no, f"unterminated string: {text}")
            continue
        word, rest = (text.split(None, 1) + [""])[:2]
        rest = rest.strip()
        if word in ("help", "---help---"):
            if entry is None:
                report(path, no, "help outside a config entry")
            base, first = indent_of(raw), None
            while i < len(lines):
                line = lines[i]
                if line.strip():
                    ind = indent_of(line)
                    if first is None:
                        if ind <= base:
                            break
                        first = ind
                    elif ind < first:
                        break
                i += 1
            continue
        if word in ("config", "menuconfig"):
            close_entry()
            if not re.fullmatch(r"[A-Za-z0-9_]+", rest):
                report(path, no, f"{word} needs one symbol name, got {rest!r}")
                entry, entry_sym = None, None
                continue
            kc.defined.setdefault(rest, ("", path, no))
            entry, entry_sym, entry_line, typed = f"config {rest}", rest, no, False
        elif word in ("comment", "mainmenu"):
            close_entry()
            entry, entry_sym = word, None
        elif word in BLOCKS:
            close_entry()
            stack.append((word, no))
            if word == "if":
                kc.references += [(s, "if", path, no) for s in SYMBOL.findall(rest)]
                entry = None
            else:
                entry = word
            entry_sym = None
        elif word in BLOCKS.values():
            close_entry()
            entry, entry_sym = None, None
            if not stack:
                report(path, no, f"{word} without an open block")
            elif BLOCKS[stack[-1][0]] != word:
                opened, at = stack[-1]
                report(path, no, f"{word} closes '{opened}' of line {at}")
                stack.pop()
            else:
                stack.pop()
        elif word in ("source", "rsource", "osource", "orsource"):
            close_entry()
            entry, entry_sym = None, None
            m = re.fullmatch(r'"([^"]+)"', rest)
            if not m:
                report(path, no, f"source needs a quoted path, got {rest!r}")
                continue
            target = m.group(1)
            for var, value in env.items():
                target = target.replace(f"${var}", value).replace(f"$({var})", value)
            if "$" in target or not os.path.isabs(target):
                report(path, no, f"source {m.group(1)}: a BR2_EXTERNAL tree sources its files "
                                 f"through ${next(iter(env))}")
                continue
            if not Path(target).is_file():
                report(path, no, f"source {m.group(1)}: the file does not exist")
                continue
            parse_kconfig(Path(target), env, kc, report)
        elif word in KCONFIG_TYPES or word in ("def_bool", "def_tristate"):
            if entry is None or not (entry.startswith("config") or entry == "choice"):
                report(path, no, f"type '{word}' outside a config entry")
            typed = True
            if entry_sym:
                kc.defined[entry_sym] = (word.replace("def_", ""), kc.defined[entry_sym][1],
                                         kc.defined[entry_sym][2])
            kc.references += [(s, word, path, no) for s in SYMBOL.findall(rest)]
        elif word in KCONFIG_ATTRS:
            if entry is None:
                report(path, no, f"'{word}' outside a config, choice, menu or comment")
            if word == "depends" and not re.match(r"on\s+\S", rest):
                report(path, no, "'depends' must be 'depends on <expression>'")
            if word in ("select", "imply"):
                target = rest.split()[0] if rest else ""
                if not re.fullmatch(r"[A-Za-z0-9_]+", target):
                    report(path, no, f"{word} needs a symbol, got {rest!r}")
                elif entry_sym is None:
                    report(path, no, f"{word} outside a config entry")
            kc.references += [(s, word, path, no) for s in SYMBOL.findall(rest)]
        else:
            report(path, no, f"unknown Kconfig keyword '{word}'")
    close_entry()
    for opened, at in stack:
        report(path, at, f"'{opened}' is never closed ({BLOCKS[opened]} missing)")


# -- package .mk and .hash -------------------------------------------------------------------

def make_vars(lines: list[tuple[int, str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    depth = 0
    for _, text in lines:
        stripped = text.strip()
        if stripped.startswith("define "):
            depth += 1
        elif stripped == "endef":
            depth = max(0, depth - 1)
        elif depth == 0 and (m := ASSIGN.match(stripped)):
            value = stripped[m.end():].strip()
            out[m.group(1)] = (out.get(m.group(1), "") + " " + value).strip() \
                if m.group(2) == "+=" else value
    return out


def expand(value: str, variables: dict[str, str], env: dict[str, str]) -> str:
    for _ in range(10):
        new = re.sub(r"\$\(([A-Za-z0-9_]+)\)",
                     lambda m: env.get(m.group(1), variables.get(m.group(1), m.group(0))), value)
        if new == value:
            break
        value = new
    return value


def check_package(pkg: Path, env: dict[str, str], report: Report) -> str:
    """Check package/<name>/; return its BR2_PACKAGE_ symbol name."""
    name = pkg.name
    prefix = name.upper().replace("-", "_")
    mk, conf, hashes = pkg / f"{name}.mk", pkg / "Config.in", pkg / f"{name}.hash"
    for required in (mk, conf):
        if not required.is_file():
            report(required, None, "missing (every package needs Config.in and <name>.mk)")
    if not mk.is_file():
        return f"BR2_PACKAGE_{prefix}"
    lines = logical_lines(mk)
    cond: list[tuple[str, int]] = []
    define: tuple[str, int] | None = None
    evals: list[str] = []
    for no, text in lines:
        stripped = text.strip()
        word = stripped.split()[0] if stripped else ""
        if define is not None:
            if stripped == "endef":
                define = None
            elif word == "define":
                report(mk, no, f"define inside define {define[0]} (line {define[1]})")
            continue
        if not stripped or stripped.startswith("#"):
            continue
        if word == "define":
            var = stripped[len("define"):].strip()
            define = (var, no)
            if not var.startswith((prefix + "_", "HOST_" + prefix + "_")):
                report(mk, no, f"define {var}: variables of package {name} start with {prefix}_")
        elif word == "endef":
            report(mk, no, "endef without define")
        elif word in ("ifeq", "ifneq", "ifdef", "ifndef"):
            cond.append((word, no))
        elif word == "else":
            if not cond:
                report(mk, no, "else without ifeq/ifneq/ifdef/ifndef")
        elif word == "endif":
            if cond:
                cond.pop()
            else:
                report(mk, no, "endif without ifeq/ifneq/ifdef/ifndef")
        elif m := re.fullmatch(r"\$\(eval \$\(([a-z0-9-]+)\)\)", stripped):
            evals.append(m.group(1))
            if m.group(1) not in INFRAS:
                report(mk, no, f"$(eval $({m.group(1)})): not a Buildroot package infrastructure")
        elif m := ASSIGN.match(stripped):
            var = m.group(1)
            if not var.startswith((prefix + "_", "HOST_" + prefix + "_")):
                report(mk, no, f"{var}: variables of package {name} start with {prefix}_")
        elif "$(eval" in stripped:
            report(mk, no, f"malformed eval line: {stripped}")
    if define is not None:
        report(mk, define[1], f"define {define[0]} has no endef")
    for word, no in cond:
        report(mk, no, f"{word} has no endif")
    if not evals:
        report(mk, None, "no $(eval $(<infra>-package)) line: Buildroot would never build it")
    variables = make_vars(lines)
    for suffix in ("VERSION", "LICENSE"):
        if f"{prefix}_{suffix}" not in variables:
            report(mk, None, f"{prefix}_{suffix} is not set")
    local = variables.get(f"{prefix}_SITE_METHOD") == "local"
    site = expand(variables.get(f"{prefix}_SITE", ""), variables, env)
    if not site:
        report(mk, None, f"{prefix}_SITE is not set")
    elif local and not Path(site).is_dir():
        report(mk, None, f"{prefix}_SITE {site}: no such directory for SITE_METHOD = local")
    if "python-package" in evals:
        setup = variables.get(f"{prefix}_SETUP_TYPE", "")
        if setup not in SETUP_TYPES:
            report(mk, None, f"{prefix}_SETUP_TYPE = {setup or '(unset)'}: Buildroot's "
                             f"python-package takes {', '.join(sorted(SETUP_TYPES))}")
        if not local and f"{prefix}_SOURCE" not in variables:
            report(mk, None, f"{prefix}_SOURCE is not set (PyPI names sdists its own way)")
        if not local and not site.startswith("https://files.pythonhosted.org/packages/"):
            report(mk, None, f"{prefix}_SITE should be the sdist's files.pythonhosted.org URL")
    if not local:
        source = expand(variables.get(f"{prefix}_SOURCE",
                                      f"{name}-$({prefix}_VERSION).tar.gz"), variables, env)
        licences = expand(variables.get(f"{prefix}_LICENSE_FILES", ""), variables, env).split()
        check_hashes(hashes, [source, *licences], report)
    return f"BR2_PACKAGE_{prefix}"


def check_hashes(path: Path, needed: list[str], report: Report) -> None:
    if not path.is_file():
        report(path, None, "missing: a downloaded package needs sha256 hashes of its source")
        return
    listed: set[str] = set()
    for no, raw in enumerate(path.read_text().splitlines(), 1):
        text = raw.strip()
        if not text or text.startswith("#"):
            continue
        parts = text.split()
        if len(parts) != 3 or parts[0] not in HASH_LEN:
            report(path, no, f"expected '<algo>  <hash>  <file>', got {text!r}")
            continue
        algo, digest, fname = parts
        if not re.fullmatch(rf"[0-9a-f]{{{HASH_LEN[algo]}}}", digest):
            report(path, no, f"{algo} of {fname} is not {HASH_LEN[algo]} hex digits")
        if algo == "sha256":
            listed.add(fname)
    for fname in needed:
        if fname not in listed:
            report(path, None, f"no sha256 line for {fname}")


# -- defconfig -------------------------------------------------------------------------------

def read_defconfig(path: Path, report: Report) -> dict[str, tuple[str | None, int]]:
    """{symbol: (value or None for 'is not set', line)}"""
    out: dict[str, tuple[str | None, int]] = {}
    for no, raw in enumerate(path.read_text().splitlines(), 1):
        text = raw.strip()
        if not text:
            continue
        m = re.fullmatch(r"# (BR2_[A-Za-z0-9_]+) is not set", text)
        if m:
            sym, value = m.group(1), None
        elif text.startswith("#"):
            continue
        elif m := re.fullmatch(r"(BR2_[A-Za-z0-9_]+)=(.*)", text):
            sym, value = m.group(1), m.group(2)
            if value.startswith('"') and (len(value) < 2 or not value.endswith('"')):
                report(path, no, f"{sym}: unterminated string")
        else:
            report(path, no, f"not a BR2_ assignment: {text!r}")
            continue
        if sym in out:
            report(path, no, f"{sym} set twice (also line {out[sym][1]})")
        out[sym] = (value, no)
    return out


def read_known(path: Path, report: Report) -> dict[str, str]:
    known: dict[str, str] = {}
    if not path.is_file():
        report(path, None, "missing: the list of Buildroot symbols this tree may use")
        return known
    for no, raw in enumerate(path.read_text().splitlines(), 1):
        text = raw.strip()
        if not text or text.startswith("#"):
            continue
        parts = text.split()
        if len(parts) != 2 or not re.fullmatch(r"BR2_[A-Za-z0-9_]+", parts[0]) \
                or parts[1].startswith("/") or ".." in parts[1].split("/"):
            report(path, no, f"expected 'SYMBOL  path-in-buildroot', got {text!r}")
            continue
        known[parts[0]] = parts[1]
    return known


def unquote(value: str | None) -> str:
    return (value or "")[1:-1] if (value or "").startswith('"') else (value or "")


# -- genimage.cfg ----------------------------------------------------------------------------

def parse_genimage(text: str) -> list:
    """libconfuse-style sections: [("section", kind, name, body) | ("opt", key, value)]."""
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    tokens = re.findall(r'"(?:[^"\\]|\\.)*"|[{}=,]|[^\s{}=,"#]+|#[^\n]*|//[^\n]*', text)
    tokens = [t for t in tokens if not t.startswith(("#", "//"))]
    pos = 0

    def block(end: str | None) -> list:
        nonlocal pos
        items: list = []
        while pos < len(tokens):
            tok = tokens[pos]
            if tok == "}":
                if end != "}":
                    raise ValueError("unbalanced '}'")
                pos += 1
                return items
            nxt = tokens[pos + 1] if pos + 1 < len(tokens) else None
            if nxt == "=":
                value = tokens[pos + 2] if pos + 2 < len(tokens) else ""
                if value == "{":
                    raise ValueError(f"{tok} = {{...}} lists are not used here")
                items.append(("opt", tok, value.strip('"')))
                pos += 3
            elif nxt == "{":
                pos += 2
                items.append(("section", tok, None, block("}")))
            elif pos + 2 < len(tokens) and tokens[pos + 2] == "{":
                name = nxt.strip('"')
                pos += 3
                items.append(("section", tok, name, block("}")))
            else:
                raise ValueError(f"unexpected {tok!r}")
        if end is not None:
            raise ValueError("a section is never closed")
        return items

    return block(None)


def opts(body: list) -> dict[str, str]:
    return {item[1]: item[2] for item in body if item[0] == "opt"}


def sections(body: list, kind: str) -> list[tuple[str | None, list]]:
    return [(item[2], item[3]) for item in body if item[0] == "section" and item[1] == kind]


def size_bytes(text: str) -> int | None:
    m = re.fullmatch(r"(\d+)\s*([kKMGs]?)", text.strip())
    if not m:
        return None
    mult = {"": 1, "k": 1024, "K": 1024, "M": 1 << 20, "G": 1 << 30, "s": 512}[m.group(2)]
    return int(m.group(1)) * mult


def mkdisk_model(path: Path) -> dict:
    """What the Debian image's disk looks like, from scripts/mkdisk.py itself."""
    spec = importlib.util.spec_from_file_location("jns_mkdisk", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)          # stdlib imports only; main() is not run
    tree = ast.parse(path.read_text())
    defaults: dict[str, int] = {}
    labels: set[str] = set()
    layout: list[tuple[str, str, object]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "add_argument":
            flag = node.args[0].value if node.args and isinstance(node.args[0], ast.Constant) else ""
            for kw in node.keywords:
                if kw.arg == "default" and isinstance(kw.value, ast.Constant):
                    defaults[flag.lstrip("-").replace("-", "_")] = kw.value.value
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "make_ext4" \
                and len(node.args) > 1 and isinstance(node.args[1], ast.Constant):
            labels.add(node.args[1].value)
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "run":
            values = [a.value for a in node.args if isinstance(a, ast.Constant)]
            if values[:1] == ["mkfs.vfat"] and "-n" in values:
                module.VFAT_LABEL = values[values.index("-n") + 1]
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "layout" for t in node.targets):
            for elt in node.value.elts:
                name, size, ptype = elt.elts[0].value, elt.elts[1], elt.elts[2].id
                if isinstance(size, ast.BinOp) and isinstance(size.left, ast.Constant):
                    size_v: object = size.left.value * module.MIB
                elif isinstance(size, ast.BinOp) and isinstance(size.left, ast.Attribute):
                    size_v = ("arg", size.left.attr)
                else:
                    size_v = ("slot",)
                layout.append((name, getattr(module, ptype), size_v))
    resolved = []
    for name, ptype, size in layout:
        if isinstance(size, tuple) and size[0] == "arg":
            size = defaults[size[1]] * module.MIB
        resolved.append((name, ptype, size))
    return {"module": module, "layout": resolved, "ext4_labels": labels,
            "vfat_label": getattr(module, "VFAT_LABEL", None)}


# -- the whole check -------------------------------------------------------------------------

def check(tree: Path) -> tuple[list[str], str]:
    tree = tree.resolve()
    repo = tree.parent
    report = Report(repo)

    # external.desc / external.mk
    desc = tree / "external.desc"
    name = ""
    if not desc.is_file():
        report(desc, None, "missing")
    else:
        fields = dict(line.split(":", 1) for line in desc.read_text().splitlines() if ":" in line)
        name = fields.get("name", "").strip()
        if not re.fullmatch(r"[A-Za-z0-9_]+", name):
            report(desc, None, f"'name:' must be letters, digits, underscores; got {name!r}")
        if not fields.get("desc", "").strip():
            report(desc, None, "'desc:' is missing")
    path_var = f"BR2_EXTERNAL_{name or 'JNS'}_PATH"
    env = {path_var: str(tree)}
    ext_mk = tree / "external.mk"
    if not ext_mk.is_file() or f"$({path_var})/package/*/*.mk" not in ext_mk.read_text():
        report(ext_mk, None, f"must include $({path_var})/package/*/*.mk")

    # Kconfig
    kc = Kconfig()
    top = tree / "Config.in"
    if top.is_file():
        parse_kconfig(top, env, kc, report)
    else:
        report(top, None, "missing")

    # packages
    known = read_known(tree / "known-buildroot-symbols.txt", report)
    packages = sorted(p for p in (tree / "package").iterdir() if p.is_dir()) \
        if (tree / "package").is_dir() else []
    for pkg in packages:
        sym = check_package(pkg, env, report)
        conf = (pkg / "Config.in").resolve()
        if conf.is_file() and conf not in kc.files:
            report(conf, None, "not sourced from Config.in: Buildroot would never offer it")
        elif conf.is_file() and kc.defined.get(sym, ("",))[0] != "bool":
            report(conf, None, f"must define {sym} as a bool")
        if sym in known:
            report(pkg, None, f"{sym} is Buildroot's own ({known[sym]}): a BR2_EXTERNAL tree "
                              "cannot replace a Buildroot package")
    package_syms = {f"BR2_PACKAGE_{p.name.upper().replace('-', '_')}" for p in packages}
    for sym, (_, path, no) in sorted(kc.defined.items()):
        if sym in known and sym not in package_syms:
            report(path, no, f"config {sym} is Buildroot's own ({known[sym]}): define only new symbols")
    for sym, kind, path, no in kc.references:
        if sym not in kc.defined and sym not in known:
            report(path, no, f"{kind} {sym}: not defined by this tree and not in "
                             "known-buildroot-symbols.txt")

    # defconfig
    defconfigs = sorted((tree / "configs").glob("*_defconfig"))
    if not defconfigs:
        report(tree / "configs", None, "no *_defconfig")
    ours = theirs = 0
    for defconfig in defconfigs:
        values = read_defconfig(defconfig, report)
        for sym, (value, no) in values.items():
            if sym in kc.defined:
                ours += 1
                if kc.defined[sym][0] == "bool" and value not in (None, "y", "n"):
                    report(defconfig, no, f"{sym} is a bool: y, or '# {sym} is not set'")
            elif sym in known:
                theirs += 1
            else:
                report(defconfig, no, f"{sym}: not defined by this tree's Config.in and not in "
                                      "known-buildroot-symbols.txt (confirm it in Buildroot's "
                                      "source, then list it there with its file)")
            for item in unquote(value).split():
                if f"$({path_var})" in item:
                    target = Path(item.replace(f"$({path_var})", str(tree)))
                    if not target.exists():
                        report(defconfig, no, f"{sym}: {item} does not exist")
        check_integration(tree, repo, defconfig, values, env, path_var, report)

    summary = (f"{len(packages)} packages, {len(kc.files)} Config.in files, "
               f"{ours + theirs} defconfig symbols ({ours} this tree's, {theirs} Buildroot's), "
               f"{len(known)} known Buildroot symbols")
    return report.problems, summary


def check_integration(tree: Path, repo: Path, defconfig: Path, values: dict, env: dict,
                      path_var: str, report: Report) -> None:
    """The pieces shared with the Debian image: overlay, GRUB, disk layout, units."""
    def value(sym: str) -> str:
        return unquote(values.get(sym, (None, 0))[0])

    def line(sym: str) -> int | None:
        return values.get(sym, (None, None))[1]

    # overlay: the Debian image's own directory
    overlay_dir = repo / "rootfs" / "overlay"
    entries = value("BR2_ROOTFS_OVERLAY").split()
    expected = f"$({path_var})/../rootfs/overlay"
    if entries != [expected]:
        report(defconfig, line("BR2_ROOTFS_OVERLAY"),
               f"BR2_ROOTFS_OVERLAY must be \"{expected}\" (the Debian image's overlay)")
    if not overlay_dir.is_dir():
        report(overlay_dir, None, "missing: the overlay shared with the Debian image")
    else:
        shipped = {p.relative_to(overlay_dir).as_posix() for p in overlay_dir.rglob("*") if p.is_file()}
        for p in tree.rglob("*"):
            rel = p.relative_to(tree).as_posix()
            if p.is_file() and any(rel == s or rel.endswith("/" + s) for s in shipped if "/" in s):
                report(p, None, "a copy of a file of rootfs/overlay: use the shared overlay")

    # scripts
    for sym in ("BR2_ROOTFS_POST_BUILD_SCRIPT", "BR2_ROOTFS_POST_IMAGE_SCRIPT"):
        for item in value(sym).split():
            script = Path(item.replace(f"$({path_var})", str(tree)))
            if not script.is_file():
                continue
            if not os.access(script, os.X_OK):
                report(script, None, "not executable (Buildroot runs it directly)")
            result = subprocess.run(["sh", "-n", str(script)], capture_output=True, text=True)
            if result.returncode:
                report(script, None, f"sh -n: {result.stderr.strip()}")
    post_build = tree / "board" / "jns" / "post-build.sh"
    post_image = tree / "board" / "jns" / "post-image.sh"
    make_esp = tree / "board" / "jns" / "make-esp.sh"
    if not value("BR2_ROOTFS_POST_BUILD_SCRIPT").endswith("board/jns/post-build.sh"):
        report(defconfig, line("BR2_ROOTFS_POST_BUILD_SCRIPT"), "post-build must be board/jns/post-build.sh")
    if not value("BR2_ROOTFS_POST_IMAGE_SCRIPT").endswith("board/jns/post-image.sh"):
        report(defconfig, line("BR2_ROOTFS_POST_IMAGE_SCRIPT"), "post-image must be board/jns/post-image.sh")

    # the Debian image's disk and boot loader
    mkdisk_path = repo / "scripts" / "mkdisk.py"
    try:
        model = mkdisk_model(mkdisk_path)
    except Exception as exc:                     # the check must say why, not crash
        report(mkdisk_path, None, f"cannot read the Debian disk layout: {exc}")
        return
    mk = model["module"]
    for sym, extra in (("BR2_TARGET_GRUB2_BUILTIN_MODULES_PC", ["biosdisk"]),
                       ("BR2_TARGET_GRUB2_BUILTIN_MODULES_EFI", ["efi_gop", "all_video"])):
        missing = [m for m in [*mk.GRUB_MODULES, *extra] if m not in value(sym).split()]
        if missing:
            report(defconfig, line(sym), f"{sym} lacks {' '.join(missing)} (scripts/mkdisk.py)")
    for sym in ("BR2_TARGET_GRUB2_BUILTIN_CONFIG_PC", "BR2_TARGET_GRUB2_BUILTIN_CONFIG_EFI"):
        early = Path(value(sym).replace(f"$({path_var})", str(tree)))
        if not early.is_file() or early.read_text().strip() != mk.EARLY_CFG.strip():
            report(defconfig, line(sym), f"{sym} must be the early config of scripts/mkdisk.py "
                                         "(EARLY_CFG): search the ESP, prefix /boot/grub")
    for sym in ("BR2_TARGET_GRUB2_I386_PC", "BR2_TARGET_GRUB2_X86_64_EFI",
                "BR2_TARGET_ROOTFS_EXT2_4", "BR2_LINUX_KERNEL_INSTALL_TARGET"):
        if value(sym) != "y":
            report(defconfig, line(sym), f"{sym}=y is needed (BIOS+UEFI, ext4 slots, /boot/vmlinuz)")
    root_label = value("BR2_TARGET_ROOTFS_EXT2_LABEL")
    if root_label not in model["ext4_labels"] or not root_label.endswith("A"):
        report(defconfig, line("BR2_TARGET_ROOTFS_EXT2_LABEL"),
               f"the root slot image must be labelled like mkdisk.py's slot A, got {root_label!r}")

    cfg_path = tree / "board" / "jns" / "genimage.cfg"
    try:
        cfg = parse_genimage(cfg_path.read_text())
    except (OSError, ValueError) as exc:
        report(cfg_path, None, f"cannot parse: {exc}")
        return
    images = {name: body for name, body in sections(cfg, "image")}
    disks = [(n, b) for n, b in images.items() if sections(b, "hdimage")]
    if len(disks) != 1:
        report(cfg_path, None, "expected exactly one image with an hdimage section")
        return
    disk_name, disk = disks[0]
    if opts(sections(disk, "hdimage")[0][1]).get("partition-table-type") != "gpt":
        report(cfg_path, None, f"{disk_name}: partition-table-type must be \"gpt\"")
    parts = [(n, opts(b)) for n, b in sections(disk, "partition")]
    in_table = [(n, o) for n, o in parts if o.get("in-partition-table", "true") not in ("false", "no")]
    want = [name for name, _, _ in model["layout"]]
    got = [n for n, _ in in_table]
    if got != want:
        report(cfg_path, None, f"partitions {got} differ from scripts/mkdisk.py's {want} "
                               "(names and order)")
    shortcut = {"U": mk.ESP, "L": mk.LINUX}
    slot_size = size_bytes(value("BR2_TARGET_ROOTFS_EXT2_SIZE") or "0")
    for (name, ptype, size), (gname, o) in zip(model["layout"], in_table):
        if name != gname:
            continue
        gtype = o.get("partition-type-uuid", "L")
        if shortcut.get(gtype, gtype).upper() != ptype.upper():
            report(cfg_path, None, f"partition {name}: type {gtype}, mkdisk.py uses {ptype}")
        gsize = size_bytes(o.get("size", "0"))
        expect = slot_size if size == ("slot",) else size
        if gsize != expect:
            report(cfg_path, None, f"partition {name}: size {o.get('size')}, expected "
                                   f"{expect} bytes" + (" (BR2_TARGET_ROOTFS_EXT2_SIZE)"
                                                        if size == ("slot",) else " (mkdisk.py)"))
    parts_by_name = dict(in_table)
    if "bios" in parts_by_name:
        offset = size_bytes(parts_by_name["bios"].get("offset", "0")) or 0
        if offset != mk.MIB or f"--core-lba {offset // mk.SECTOR}" not in _read(post_image):
            report(cfg_path, None, "partition bios must start at 1M, the sector post-image.sh "
                                   "gives bios-boot.py (--core-lba 2048), as in mkdisk.py")
    uuids = []
    for slot in ("rootA", "rootB"):
        value_uuid = parts_by_name.get(slot, {}).get("partition-uuid", "")
        try:
            uuids.append(str(uuid.UUID(value_uuid)))
        except ValueError:
            report(cfg_path, None, f"partition {slot} needs a partition-uuid (grub.cfg boots "
                                   f"root=PARTUUID=...), got {value_uuid!r}")
    if len(uuids) == 2 and uuids[0] == uuids[1]:
        report(cfg_path, None, "rootA and rootB share a partition-uuid")
    if parts_by_name.get("rootA", {}).get("image") != "rootfs.ext4":
        report(cfg_path, None, "partition rootA must hold Buildroot's rootfs.ext4")
    if parts_by_name.get("rootB", {}).get("image"):
        report(cfg_path, None, "partition rootB stays empty until the first update")

    def fs_of(part: str, kind: str) -> dict[str, str]:
        image = images.get(parts_by_name.get(part, {}).get("image", ""), [])
        found = sections(image, kind)
        return opts(found[0][1]) if found else {}
    esp = fs_of("esp", "vfat")
    if esp.get("label") != model["vfat_label"]:
        report(cfg_path, None, f"the esp image must be vfat labelled {model['vfat_label']!r}")
    data = fs_of("data", "ext4")
    data_label = data.get("label", "")
    if data_label not in model["ext4_labels"] or data_label == root_label:
        report(cfg_path, None, f"the data image must be ext4 labelled like mkdisk.py's data "
                               f"partition, got {data_label!r}")

    # the boot menu: rootfs/grub/grub.cfg.in rendered with these UUIDs on the ESP
    template = repo / "rootfs" / "grub" / "grub.cfg.in"
    if not template.is_file() or not all(p in template.read_text()
                                         for p in ("@PARTUUID_A@", "@PARTUUID_B@")):
        report(template, None, "missing, or without @PARTUUID_A@ and @PARTUUID_B@")
    if "rootfs/grub/grub.cfg.in" not in _read(post_image) or "make-esp.sh" not in _read(post_image):
        report(post_image, None, "must stage the ESP with make-esp.sh from rootfs/grub/grub.cfg.in")
    for needle in ("@PARTUUID_A@", "@PARTUUID_B@", "jns_slot=A", mk.ESP_MARK.rsplit("/", 1)[1]):
        if needle not in _read(make_esp):
            report(make_esp, None, f"does not handle {needle} (see scripts/mkdisk.py make_esp)")
    for dirs in ("overlay/$slot/var/$dir", "data/jns"):
        if dirs not in _read(post_image):
            report(post_image, None, f"the data partition needs {dirs} (mkdisk.py's data tree)")

    # units: every jns unit build-image.sh enables, post-build.sh enables too
    build_image = _read(repo / "scripts" / "build-image.sh")
    enabled = set()
    for m in re.finditer(r"systemctl enable((?:\\\n|[^\n])*)", build_image):
        enabled |= set(re.findall(r"\bjns-[a-z0-9-]+(?:\.timer)?", m.group(1)))
    if not enabled:
        report(repo / "scripts" / "build-image.sh", None,
               "no 'systemctl enable jns-...' found: cannot compare the enabled units")
    for unit in sorted(enabled):
        name = unit if unit.endswith(".timer") else f"{unit}.service"
        wanted_by = "timers.target" if unit.endswith(".timer") else "multi-user.target"
        path = overlay_dir / "etc" / "systemd" / "system" / name
        if not path.is_file() or f"WantedBy={wanted_by}" not in path.read_text():
            report(path, None, f"build-image.sh enables {unit}, but post-build.sh enables only "
                               f"overlay units with WantedBy={wanted_by}")
    if "WantedBy=multi-user.target" not in _read(post_build) or "jns-release" not in _read(post_build):
        report(post_build, None, "must write /etc/jns-release and enable the overlay's jns-* units")


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def main(argv: list[str] | None = None) -> int:
    here = Path(__file__).resolve().parents[1]
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tree", type=Path, default=here / "buildroot",
                    help="the BR2_EXTERNAL tree (its parent is the repository)")
    args = ap.parse_args(argv)
    if not args.tree.is_dir():
        print(f"check-buildroot: {args.tree} is not a directory", file=sys.stderr)
        return 2
    problems, summary = check(args.tree)
    for problem in problems:
        print(problem)
    if problems:
        print(f"check-buildroot: FAILED, {len(problems)} problem(s) in {args.tree}")
        return 1
    print(f"check-buildroot: OK ({summary})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
