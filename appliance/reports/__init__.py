"""Call-center reports: Asterisk's queue_log and CDR read into the database (ingest), the
reports as SQL over those tables (queries), the monthly operations report (monthly).

Nothing here talks to Asterisk: the facts come from the files Asterisk writes.
"""
