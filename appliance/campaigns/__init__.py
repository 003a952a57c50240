"""Outbound campaigns (CMP-1..4, AG-4, CRM-8, AUTO-1, AUTO-3): contact lists, do-not-call,
campaigns, the dialer and its pacer, dispositions, callbacks, voice mailing, SMS campaigns
and the campaign reports.

    lists.py      contact lists: CSV/XLSX import (encodings, column mapping, E.164, duplicates,
                  every rejected row reported), records by hand, the do-not-call list
    campaigns.py  campaigns: validation, start/pause/stop, their contacts' progress
    desk.py       the agent's side: preview contacts, dispositions, callbacks, CRM hand-off
    pacer.py      how many calls to place now (pure: no I/O, the caller passes the clock);
                  the same code runs on the box and in bench/dialer.py's simulation
    dialer.py     the running dialer (in jns-calld): Originate over AMI, outcomes, retries
    report.py     per campaign and day: dialed, answered, busy, failed, machine, abandoned,
                  effective contacts, contacts per agent hour, occupancy
    voicecast.py  voice mailing (a campaign of kind 'voice' on the same dialer): each
                  contact's message spoken by espeak-ng, outcomes, the per-number report
    sms_campaigns.py  SMS campaigns: preview (parts, cost), the feeder and round run by
                  jns-modemd (modems in turn, a rate per modem), delivery, replies, opt-out

The database (migrations 6 and 8 in appliance.store.db) is the interface between them: the panel
writes intents (a campaign started, a preview call asked for, a disposition) and the
dialer, which alone speaks to Asterisk, acts on them.
"""
