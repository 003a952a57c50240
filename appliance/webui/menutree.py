"""The inbound call flow as a tree for the IVR page: routes (dialled numbers) down through
their menus and sub-menus, key by key.

A pure function over `store.config.snapshot()` data: no database, no Flask.  A menu that
leads back to one above it (e.g. key * "back to the main menu") is shown as a loop, not
expanded again; menus no route reaches are listed apart, so none is forgotten.
"""
from __future__ import annotations

from typing import Any

from .forms import KEYS

MENU_ACTIONS = ("menu", "pin")   # actions whose target is another menu
MAX_DEPTH = 12


def build(routes: list[dict], menus: list[dict]) -> dict[str, Any]:
    """{"routes": [route nodes], "unreached": [menu nodes]}.

    route node: did, title, action, target, menu (menu node or None), closed_action,
    closed_target, closed_menu.  menu node: name, title, prompt, missing, loop,
    branches [{key, action, target, menu}] (key is "1".."#" or "timeout"/"invalid"/"fallback").
    """
    by_name = {m["name"]: m for m in menus}
    reached: set[str] = set()

    def menu_node(name: str, above: tuple[str, ...]) -> dict[str, Any]:
        menu = by_name.get(name)
        node: dict[str, Any] = {"name": name, "title": "", "prompt": "", "missing": menu is None,
                                "loop": name in above, "branches": []}
        if menu is None:
            return node
        reached.add(name)
        node.update(title=menu.get("title") or "", prompt=menu["prompt"])
        if node["loop"] or len(above) >= MAX_DEPTH:
            node["loop"] = True
            return node
        order = {k: i for i, k in enumerate(KEYS)}
        exits = [(key, action, target) for key, (action, target)
                 in sorted(menu["options"].items(), key=lambda kv: order.get(kv[0], 99))]
        for kind in ("timeout", "invalid", "fallback"):
            if menu.get(f"{kind}_action"):
                exits.append((kind, menu[f"{kind}_action"], menu.get(f"{kind}_target") or ""))
        for key, action, target in exits:
            child = menu_node(target, above + (name,)) if action in MENU_ACTIONS else None
            node["branches"].append({"key": key, "action": action, "target": target,
                                     "menu": child})
        return node

    route_nodes = []
    for r in routes:
        route_nodes.append({
            "did": r["did"], "title": r.get("title") or "", "action": r["action"],
            "target": r["target"], "schedule": r.get("schedule"),
            "menu": menu_node(r["target"], ()) if r["action"] == "menu" else None,
            "closed_action": r.get("closed_action"), "closed_target": r.get("closed_target"),
            "closed_menu": (menu_node(r["closed_target"], ())
                            if r.get("closed_action") == "menu" else None)})
    unreached = []
    for m in menus:
        if m["name"] not in reached:
            unreached.append(menu_node(m["name"], ()))
    return {"routes": route_nodes, "unreached": unreached}
