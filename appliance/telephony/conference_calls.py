"""Conferences the box sets up itself (CONF-3) and group calls (AUTO-2): the scheduler
that dials members, the attendance log and keypad votes.  (Being built: issue 11.)"""
from __future__ import annotations


def dialplan(snap: dict, lay) -> list[str]:
    """extensions.conf lines of the calls to members (jns-conf-invite, jns-conf-vote)."""
    return []
