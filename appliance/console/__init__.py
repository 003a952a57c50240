"""The technician's console: the login shell of user `tech` on ttyS0 (and the VGA console).

    python3 -m appliance.console                  the menu (login, then numbered screens)
    python3 -m appliance.console apply-network    write the systemd-networkd file from
                                                  $JNS_DATA/network.json (boot-time unit)

`menu.py` holds the screens and the terminal handling, `system.py` every OS action (and
the environment variables, the fake-system contract for tests, and the contract with the
boot-time factory-reset and network units - see its docstring).  Standard library only,
plus appliance.store (admin password, AMI secret) and appliance.telephony (AMI status),
both imported only when a screen needs them.
"""
from __future__ import annotations

from .menu import Menu, Terminal, run_menu
from .system import Settings, System

__all__ = ["Menu", "Terminal", "Settings", "System", "run_menu"]
