"""The CRM built into the panel (issue 10, CRM-1..8): its logic, without Flask.

Modules:
- contacts.py: contacts (people and companies) with phones, e-mails, tags, custom fields,
  owner; search; notes with privacy; note templates; custom fields; the timeline.
- transfer.py: import (CSV/XLSX with a column mapping, vCard 2.1/3.0/4.0) and export
  (CSV, vCard 3.0) of contacts.
- planner.py: tasks, the group calendar, reminders, iCalendar feeds.
- work.py: e-mail and SMS from a contact, projects with time entries, files.
- calls.py: screen pop, click-to-dial, call matching, missed-call tasks, recordings on
  notes, the campaign hand-off.

The web pages (appliance/webui/crm*.py) are thin blueprints over these functions; every
function takes the database (`db`) and raises StoreError with a message a user can act on.
"""
