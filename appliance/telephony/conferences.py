"""Conference rooms (CONF-1, CONF-2): dialplan and ConfBridge profiles rendered from
conf_rooms, and the leader's controls over AMI.  (Being built: issue 11.)"""
from __future__ import annotations


def dialplan(snap: dict, lay) -> list[str]:
    """extensions.conf lines of the rooms (jns-confroom, jns-conf-enter)."""
    return []
