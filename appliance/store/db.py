"""The one database of the box: SQLite in WAL mode, opened through sqlite-utils.

Everything configurable (users, agents, queues, IVR menus, routes, trunks, settings)
lives here and nowhere else; Asterisk's files are rendered from it.  Every other module
reaches the database through `open_db()` and the small functions below, so that moving
reports and CRM to PostgreSQL later stays a change of this one layer.

Atomicity: a config save is one SQLite transaction (`with transaction(db):`).  A process
killed in the middle leaves either the old or the new state; WAL + synchronous=FULL makes
that hold across a power cut too.  This module never talks to Asterisk.
"""
from __future__ import annotations

import contextlib
import os
import secrets
import sqlite3
import threading
import time
from typing import Iterator

import sqlite_utils

# Each entry moves the schema from version i to i+1.  Never edit a released entry:
# append a new one.  PRAGMA user_version records how far a database has come.
MIGRATIONS: list[str] = [
    # 1: foundation
    """
    CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    CREATE TABLE users (
        id INTEGER PRIMARY KEY,
        username TEXT NOT NULL UNIQUE COLLATE NOCASE,
        password_hash TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('admin', 'supervisor', 'agent')),
        lang TEXT NOT NULL DEFAULT 'pl' CHECK (lang IN ('pl', 'en')),
        agent_id INTEGER REFERENCES agents(id) ON DELETE SET NULL,
        created_at INTEGER NOT NULL
    );
    CREATE TABLE login_failures (
        id INTEGER PRIMARY KEY,
        username TEXT NOT NULL COLLATE NOCASE,
        remote_addr TEXT NOT NULL,
        at REAL NOT NULL
    );
    CREATE INDEX login_failures_user ON login_failures(username, at);
    CREATE TABLE agents (
        id INTEGER PRIMARY KEY,
        extension TEXT NOT NULL UNIQUE CHECK (extension GLOB '[0-9]*'),
        name TEXT NOT NULL,
        secret TEXT NOT NULL,
        -- static contact for devices that do not register (e.g. sip:agent1@127.0.0.1:5070)
        contact TEXT,
        dtmf_mode TEXT NOT NULL DEFAULT 'rfc4733'
            CHECK (dtmf_mode IN ('rfc4733', 'info', 'inband', 'auto'))
    );
    CREATE TABLE queues (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE CHECK (name GLOB '[a-z0-9_-]*' AND length(name) > 0),
        title TEXT NOT NULL,
        strategy TEXT NOT NULL DEFAULT 'rrmemory' CHECK (strategy IN
            ('ringall', 'leastrecent', 'fewestcalls', 'random', 'rrmemory', 'linear', 'wrandom')),
        musiconhold TEXT NOT NULL DEFAULT 'default',
        member_timeout INTEGER NOT NULL DEFAULT 15 CHECK (member_timeout BETWEEN 5 AND 120),
        max_wait INTEGER NOT NULL DEFAULT 300 CHECK (max_wait BETWEEN 10 AND 7200),
        wrapup_time INTEGER NOT NULL DEFAULT 0 CHECK (wrapup_time BETWEEN 0 AND 600),
        weight INTEGER NOT NULL DEFAULT 0,
        record TEXT NOT NULL DEFAULT 'all' CHECK (record IN ('all', 'none'))
    );
    CREATE TABLE queue_members (
        queue_id INTEGER NOT NULL REFERENCES queues(id) ON DELETE CASCADE,
        agent_id INTEGER NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
        penalty INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (queue_id, agent_id)
    );
    CREATE TABLE ivr_menus (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE CHECK (name GLOB '[a-z0-9_-]*' AND length(name) > 0),
        prompt TEXT NOT NULL,
        timeout_s INTEGER NOT NULL DEFAULT 5 CHECK (timeout_s BETWEEN 1 AND 60),
        max_tries INTEGER NOT NULL DEFAULT 3 CHECK (max_tries BETWEEN 1 AND 10),
        -- where the caller goes after max_tries timeouts or invalid keys: never a dead end
        fallback_action TEXT NOT NULL DEFAULT 'queue',
        fallback_target TEXT NOT NULL DEFAULT ''
    );
    CREATE TABLE ivr_options (
        menu_id INTEGER NOT NULL REFERENCES ivr_menus(id) ON DELETE CASCADE,
        key TEXT NOT NULL CHECK (key IN ('0','1','2','3','4','5','6','7','8','9','*','#')),
        action TEXT NOT NULL CHECK (action IN ('queue', 'extension', 'menu', 'hangup')),
        target TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (menu_id, key)
    );
    CREATE TABLE inbound_routes (
        id INTEGER PRIMARY KEY,
        did TEXT NOT NULL UNIQUE CHECK (did GLOB '[0-9+]*' AND length(did) > 0),
        action TEXT NOT NULL CHECK (action IN ('ivr', 'queue', 'extension')),
        target TEXT NOT NULL
    );
    CREATE TABLE trunks (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE CHECK (name GLOB '[a-z0-9_-]*' AND length(name) > 0),
        host TEXT NOT NULL,
        port INTEGER NOT NULL DEFAULT 5060 CHECK (port BETWEEN 1 AND 65535),
        username TEXT,
        secret TEXT,
        -- calls arriving on the trunk enter the inbound routes
        context TEXT NOT NULL DEFAULT 'from-trunk'
    );
    """,
    # 2: the inbound call center (issue 4): IVR destinations, prompts per language, opening
    # hours, caller rules (language, VIP, routing, PIN), blacklist, queue overflow and
    # announcements, recording index and audit.
    """
    CREATE TABLE ivr_options_v2 (
        menu_id INTEGER NOT NULL REFERENCES ivr_menus(id) ON DELETE CASCADE,
        key TEXT NOT NULL CHECK (key IN ('0','1','2','3','4','5','6','7','8','9','*','#')),
        action TEXT NOT NULL CHECK (action IN ('menu', 'queue', 'extension', 'external',
            'voicemail', 'announcement', 'hangup', 'language', 'pin', 'operator')),
        target TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (menu_id, key)
    );
    INSERT INTO ivr_options_v2 SELECT menu_id, key, action, target FROM ivr_options;
    DROP TABLE ivr_options;
    ALTER TABLE ivr_options_v2 RENAME TO ivr_options;
    ALTER TABLE ivr_menus ADD COLUMN title TEXT NOT NULL DEFAULT '';
    -- where a timeout / an invalid key leads; NULL: ask again, after max_tries the fallback
    ALTER TABLE ivr_menus ADD COLUMN timeout_action TEXT;
    ALTER TABLE ivr_menus ADD COLUMN timeout_target TEXT NOT NULL DEFAULT '';
    ALTER TABLE ivr_menus ADD COLUMN invalid_action TEXT;
    ALTER TABLE ivr_menus ADD COLUMN invalid_target TEXT NOT NULL DEFAULT '';
    CREATE TABLE prompts (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL CHECK (name GLOB '[a-z0-9_-]*' AND length(name) > 0),
        lang TEXT NOT NULL CHECK (lang IN ('pl', 'en')),
        source TEXT NOT NULL CHECK (source IN ('upload', 'tts', 'phone')),
        text TEXT NOT NULL DEFAULT '',
        seconds REAL NOT NULL DEFAULT 0,
        updated_at INTEGER NOT NULL,
        UNIQUE (name, lang)
    );
    CREATE TABLE schedules (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE CHECK (name GLOB '[a-z0-9_-]*' AND length(name) > 0),
        title TEXT NOT NULL DEFAULT ''
    );
    CREATE TABLE schedule_hours (
        schedule_id INTEGER NOT NULL REFERENCES schedules(id) ON DELETE CASCADE,
        weekday INTEGER NOT NULL CHECK (weekday BETWEEN 0 AND 6),
        opens TEXT NOT NULL CHECK (opens GLOB '[0-2][0-9]:[0-5][0-9]'),
        closes TEXT NOT NULL CHECK (closes GLOB '[0-2][0-9]:[0-5][0-9]' AND closes > opens)
    );
    CREATE TABLE schedule_holidays (
        schedule_id INTEGER NOT NULL REFERENCES schedules(id) ON DELETE CASCADE,
        -- YYYY-MM-DD for one day, MM-DD for every year
        day TEXT NOT NULL CHECK (day GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]'
                                 OR day GLOB '[01][0-9]-[0-3][0-9]'),
        title TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (schedule_id, day)
    );
    CREATE TABLE inbound_routes_v2 (
        id INTEGER PRIMARY KEY,
        did TEXT NOT NULL UNIQUE CHECK (did GLOB '[0-9+]*' AND length(did) > 0),
        title TEXT NOT NULL DEFAULT '',
        action TEXT NOT NULL,
        target TEXT NOT NULL DEFAULT '',
        lang TEXT CHECK (lang IN ('pl', 'en')),
        schedule_id INTEGER REFERENCES schedules(id) ON DELETE RESTRICT,
        closed_action TEXT,
        closed_target TEXT NOT NULL DEFAULT ''
    );
    INSERT INTO inbound_routes_v2 (id, did, action, target)
        SELECT id, did, CASE action WHEN 'ivr' THEN 'menu' ELSE action END, target
        FROM inbound_routes;
    DROP TABLE inbound_routes;
    ALTER TABLE inbound_routes_v2 RENAME TO inbound_routes;
    -- who calls: known customers (exact number) and number ranges (prefix)
    CREATE TABLE caller_rules (
        id INTEGER PRIMARY KEY,
        pattern TEXT NOT NULL CHECK (pattern GLOB '[0-9+]*' AND length(pattern) > 0),
        match TEXT NOT NULL DEFAULT 'exact' CHECK (match IN ('exact', 'prefix')),
        did TEXT,                       -- only for calls to this number; NULL: any
        name TEXT NOT NULL DEFAULT '',
        lang TEXT CHECK (lang IN ('pl', 'en')),
        vip INTEGER NOT NULL DEFAULT 0 CHECK (vip IN (0, 1)),
        action TEXT,                    -- NULL: the dialled number's route
        target TEXT NOT NULL DEFAULT '',
        pin_hash TEXT,                  -- for IVR PIN verification
        UNIQUE (pattern, match, did)
    );
    CREATE TABLE blacklist (
        id INTEGER PRIMARY KEY,
        pattern TEXT NOT NULL CHECK (pattern GLOB '[0-9+]*' AND length(pattern) > 0),
        match TEXT NOT NULL DEFAULT 'exact' CHECK (match IN ('exact', 'prefix')),
        note TEXT NOT NULL DEFAULT '',
        created_at INTEGER NOT NULL,
        UNIQUE (pattern, match)
    );
    CREATE TABLE blocked_calls (
        id INTEGER PRIMARY KEY,
        at REAL NOT NULL,
        uniqueid TEXT NOT NULL,
        caller TEXT NOT NULL,
        did TEXT NOT NULL,
        rule_id INTEGER REFERENCES blacklist(id) ON DELETE SET NULL
    );
    CREATE INDEX blocked_calls_at ON blocked_calls(at);
    CREATE TABLE pin_failures (
        caller TEXT NOT NULL,
        at REAL NOT NULL
    );
    CREATE INDEX pin_failures_caller ON pin_failures(caller, at);
    ALTER TABLE queues ADD COLUMN max_callers INTEGER NOT NULL DEFAULT 0
        CHECK (max_callers BETWEEN 0 AND 1000);
    -- where callers go when the wait is over, the queue is full or nobody can answer
    ALTER TABLE queues ADD COLUMN overflow_action TEXT;
    ALTER TABLE queues ADD COLUMN overflow_target TEXT NOT NULL DEFAULT '';
    ALTER TABLE queues ADD COLUMN announce_position INTEGER NOT NULL DEFAULT 1
        CHECK (announce_position IN (0, 1));
    ALTER TABLE queues ADD COLUMN announce_holdtime INTEGER NOT NULL DEFAULT 1
        CHECK (announce_holdtime IN (0, 1));
    ALTER TABLE queues ADD COLUMN announce_frequency INTEGER NOT NULL DEFAULT 30
        CHECK (announce_frequency BETWEEN 0 AND 600);
    CREATE TABLE recordings (
        id INTEGER PRIMARY KEY,
        uniqueid TEXT NOT NULL UNIQUE,
        path TEXT NOT NULL,             -- relative to the recordings directory
        started_at REAL NOT NULL,
        direction TEXT NOT NULL CHECK (direction IN ('in', 'out', 'internal')),
        caller TEXT NOT NULL DEFAULT '',
        called TEXT NOT NULL DEFAULT '',
        queue TEXT NOT NULL DEFAULT '',
        agent TEXT NOT NULL DEFAULT '',  -- agent extension
        seconds REAL NOT NULL DEFAULT 0,
        archived_at REAL
    );
    CREATE INDEX recordings_started ON recordings(started_at);
    CREATE INDEX recordings_agent ON recordings(agent, started_at);
    CREATE TABLE recording_audit (
        id INTEGER PRIMARY KEY,
        recording_id INTEGER NOT NULL REFERENCES recordings(id) ON DELETE CASCADE,
        username TEXT NOT NULL,
        action TEXT NOT NULL CHECK (action IN ('play', 'download', 'delete', 'archive')),
        at REAL NOT NULL,
        remote_addr TEXT NOT NULL DEFAULT ''
    );
    """,
]

# 3: hardware, SMS and the watchdog (issue 5).  Four sections, each owned by one part of
# the code, joined into one migration step.  Unreleased while issue 5 is open.
MIGRATION_3_GSM = """
    -- GSM modems: one row per serial port (configured by hand or auto-detected); the
    -- modem service (jns-modemd) writes the state, the panel writes name/port/PIN
    CREATE TABLE modems (
        id INTEGER PRIMARY KEY,
        port TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL DEFAULT '',
        configured INTEGER NOT NULL DEFAULT 0,       -- 1: added by hand, probed even if silent
        state TEXT NOT NULL DEFAULT 'absent' CHECK (state IN ('absent', 'starting', 'ready',
            'pin_required', 'pin_rejected', 'puk_required', 'no_sim', 'not_registered', 'error')),
        operator TEXT,
        rssi INTEGER CHECK (rssi IS NULL OR rssi BETWEEN 0 AND 31),
        dbm INTEGER,
        registration TEXT,
        imei TEXT,
        imsi TEXT,
        iccid TEXT,
        manufacturer TEXT,
        model TEXT,
        last_error TEXT,
        -- PIN the admin entered, for the service to enter once: new -> tried -> accepted,
        -- or rejected (pin cleared, never retried until the admin enters a new one)
        pin TEXT,
        pin_state TEXT NOT NULL DEFAULT 'none'
            CHECK (pin_state IN ('none', 'new', 'tried', 'accepted', 'rejected')),
        pin_iccid TEXT,
        updated_at REAL
    );
    -- the persistent outbound queue: claimed by one modem with UPDATE ... WHERE status='queued'
    CREATE TABLE sms_outbox (
        id INTEGER PRIMARY KEY,
        number TEXT NOT NULL,
        text TEXT NOT NULL,
        purpose TEXT NOT NULL DEFAULT 'manual',
        modem_id INTEGER REFERENCES modems(id) ON DELETE SET NULL,   -- wanted modem, or NULL
        claimed_by INTEGER REFERENCES modems(id) ON DELETE SET NULL,
        status TEXT NOT NULL DEFAULT 'queued'
            CHECK (status IN ('queued', 'sending', 'sent', 'delivered', 'failed')),
        encoding TEXT,
        parts INTEGER NOT NULL DEFAULT 0,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_try_at REAL NOT NULL DEFAULT 0,
        created_at REAL NOT NULL,
        sent_at REAL,
        delivered_at REAL,
        error TEXT
    );
    CREATE INDEX sms_outbox_status ON sms_outbox(status, next_try_at);
    -- each part of an outbound message; a part with mr set was confirmed by +CMGS and is
    -- never sent again, a part in 'sending' never confirmed is sent again
    CREATE TABLE sms_parts (
        id INTEGER PRIMARY KEY,
        outbox_id INTEGER NOT NULL REFERENCES sms_outbox(id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        pdu TEXT NOT NULL,
        length INTEGER NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending'
            CHECK (status IN ('pending', 'sending', 'sent', 'delivered', 'failed')),
        modem_id INTEGER REFERENCES modems(id) ON DELETE SET NULL,
        mr INTEGER,
        sent_at REAL,
        delivered_at REAL,
        report_status INTEGER,
        UNIQUE (outbox_id, seq)
    );
    CREATE INDEX sms_parts_mr ON sms_parts(modem_id, mr, status);
    CREATE TABLE sms_inbox (
        id INTEGER PRIMARY KEY,
        modem_id INTEGER REFERENCES modems(id) ON DELETE SET NULL,
        sender TEXT NOT NULL,
        text TEXT NOT NULL,
        sent_at TEXT,                 -- the SMSC timestamp, as the network gave it
        received_at REAL NOT NULL,
        parts INTEGER NOT NULL DEFAULT 1,
        complete INTEGER NOT NULL DEFAULT 1
    );
    CREATE INDEX sms_inbox_received ON sms_inbox(received_at);
    -- parts of multi-part inbound messages waiting for their siblings
    CREATE TABLE sms_inbox_parts (
        id INTEGER PRIMARY KEY,
        modem_id INTEGER REFERENCES modems(id) ON DELETE CASCADE,
        sender TEXT NOT NULL,
        ref INTEGER NOT NULL,
        total INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        text TEXT NOT NULL,
        sent_at TEXT,
        received_at REAL NOT NULL,
        UNIQUE (modem_id, sender, ref, total, seq)
    );
"""
MIGRATION_3_HAL = """
    -- DAHDI cards as configured from the panel (appliance.store.hardware); one row per span
    -- the admin set up, channels as detected when it was saved
    CREATE TABLE dahdi_spans (
        span INTEGER PRIMARY KEY CHECK (span BETWEEN 1 AND 256),
        kind TEXT NOT NULL CHECK (kind IN ('analog', 'E1', 'T1', 'BRI')),
        first_channel INTEGER NOT NULL CHECK (first_channel >= 1),
        channels INTEGER NOT NULL CHECK (channels BETWEEN 1 AND 32),
        description TEXT NOT NULL DEFAULT '',
        enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
        framing TEXT NOT NULL DEFAULT '' CHECK (framing IN ('', 'ccs', 'cas', 'esf', 'd4')),
        coding TEXT NOT NULL DEFAULT '' CHECK (coding IN ('', 'hdb3', 'ami', 'b8zs')),
        crc4 INTEGER NOT NULL DEFAULT 0 CHECK (crc4 IN (0, 1)),
        -- 0: never take the clock from this line; 1: first choice, 2: second ...
        timing INTEGER NOT NULL DEFAULT 1 CHECK (timing BETWEEN 0 AND 255),
        signalling TEXT NOT NULL DEFAULT '' CHECK (signalling IN ('', 'pri_cpe', 'pri_net',
            'bri_cpe', 'bri_net', 'bri_cpe_ptmp', 'bri_net_ptmp')),
        switchtype TEXT NOT NULL DEFAULT 'euroisdn' CHECK (switchtype IN ('euroisdn',
            'national', 'ni1', 'dms100', '4ess', '5ess', 'qsig')),
        grp INTEGER NOT NULL DEFAULT 0 CHECK (grp BETWEEN 0 AND 63),
        context TEXT NOT NULL DEFAULT 'from-trunk',
        lang TEXT NOT NULL DEFAULT 'pl' CHECK (lang IN ('pl', 'en'))
    );
    -- analog ports: the module fitted (FXS: a phone plugs in, FXO: a telephone line)
    CREATE TABLE dahdi_ports (
        channel INTEGER PRIMARY KEY CHECK (channel >= 1),
        span INTEGER NOT NULL REFERENCES dahdi_spans(span) ON DELETE CASCADE,
        module TEXT NOT NULL CHECK (module IN ('FXS', 'FXO')),
        enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
        grp INTEGER NOT NULL DEFAULT 0 CHECK (grp BETWEEN 0 AND 63),
        context TEXT NOT NULL,
        lang TEXT NOT NULL DEFAULT 'pl' CHECK (lang IN ('pl', 'en')),
        title TEXT NOT NULL DEFAULT ''
    );
    -- names the admin gives sensors ("front panel", "power supply"), by Reading.source
    CREATE TABLE sensor_names (
        source TEXT PRIMARY KEY,
        name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 64)
    );
"""
MIGRATION_3_WATCHDOG = """
    -- the admin's changes to an alert check's defaults (appliance.store.alerts.CHECKS)
    CREATE TABLE alert_rules (
        check_id TEXT PRIMARY KEY,
        enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
        warning REAL,
        critical REAL,
        hysteresis REAL NOT NULL DEFAULT 2 CHECK (hysteresis >= 0),
        repeat_min INTEGER NOT NULL DEFAULT 60 CHECK (repeat_min >= 0),
        escalate_min INTEGER NOT NULL DEFAULT 0 CHECK (escalate_min >= 0),
        notify_sms INTEGER NOT NULL DEFAULT 1 CHECK (notify_sms IN (0, 1)),
        notify_email INTEGER NOT NULL DEFAULT 1 CHECK (notify_email IN (0, 1)),
        notify_led INTEGER NOT NULL DEFAULT 1 CHECK (notify_led IN (0, 1)),
        notify_banner INTEGER NOT NULL DEFAULT 1 CHECK (notify_banner IN (0, 1))
    );
    -- one row per episode of one fault; resolved_at NULL while it lasts
    CREATE TABLE alerts (
        id INTEGER PRIMARY KEY,
        check_id TEXT NOT NULL,
        subject TEXT NOT NULL DEFAULT '',
        severity TEXT NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
        text TEXT NOT NULL,
        since REAL NOT NULL,            -- when the fault started (or was first seen)
        detected_at REAL NOT NULL,      -- when the watchdog saw it
        last_seen REAL NOT NULL,
        resolved_at REAL,
        value REAL,
        acknowledged_by TEXT,
        acknowledged_at REAL,
        notified TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX alerts_open ON alerts(resolved_at, check_id);
    CREATE INDEX alerts_since ON alerts(since);
    CREATE TABLE metric_samples (
        name TEXT NOT NULL,
        at REAL NOT NULL,
        value REAL NOT NULL
    );
    CREATE INDEX metric_samples_name_at ON metric_samples(name, at);
"""
MIGRATION_3_SECURITY = """
    -- failed SIP/AMI authentications seen by the watchdog (panel logins: login_failures)
    CREATE TABLE auth_failures (
        id INTEGER PRIMARY KEY,
        service TEXT NOT NULL,          -- 'sip', 'ami'
        address TEXT NOT NULL,
        at REAL NOT NULL,
        detail TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX auth_failures_at ON auth_failures(at);
    CREATE INDEX auth_failures_address ON auth_failures(address, at);
    -- sources refused by Asterisk (pjsip ACL) and the panel until `until`
    CREATE TABLE blocked_sources (
        address TEXT PRIMARY KEY,
        until REAL NOT NULL,
        reason TEXT NOT NULL DEFAULT '',
        created_at REAL NOT NULL,
        created_by TEXT NOT NULL DEFAULT ''
    );
"""
MIGRATIONS.append(MIGRATION_3_GSM + MIGRATION_3_HAL + MIGRATION_3_WATCHDOG + MIGRATION_3_SECURITY)

# 4: the live call center (issue 6): desk logins, pause reasons, login history and the
# audit of supervision and operator actions.  Unreleased while issue 6 is open.
MIGRATION_4_LIVE = """
    -- 1: the agent logs in at the desk (dynamic queue member); 0: always in the assigned
    -- queues (static member in queues.conf, cannot log out).  Agents that existed before
    -- this step answered without a login, so they stay static.
    ALTER TABLE agents ADD COLUMN login INTEGER NOT NULL DEFAULT 1 CHECK (login IN (0, 1));
    UPDATE agents SET login = 0;
    -- why an agent takes a break; the code goes to Asterisk's queue_log (PAUSE ... reason)
    CREATE TABLE pause_reasons (
        code TEXT PRIMARY KEY CHECK (code GLOB '[a-z0-9_-]*' AND length(code) BETWEEN 1 AND 20),
        title TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 40),
        position INTEGER NOT NULL DEFAULT 0,
        active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1))
    );
    INSERT INTO pause_reasons (code, title, position) VALUES
        ('break', 'Przerwa', 1), ('lunch', 'Lunch', 2), ('training', 'Szkolenie', 3),
        ('backoffice', 'Praca biurowa', 4);
    -- one row per desk login to one queue (written by jns-calld from Asterisk's events);
    -- logout_at NULL while the agent is logged in
    CREATE TABLE agent_sessions (
        id INTEGER PRIMARY KEY,
        agent TEXT NOT NULL,            -- agent extension
        queue TEXT NOT NULL,
        login_at REAL NOT NULL,
        logout_at REAL
    );
    CREATE INDEX agent_sessions_agent ON agent_sessions(agent, login_at);
    -- every supervision and operator action (listen, whisper, barge, transfer, pick up ...),
    -- refused ones too (result: 'ok' or the reason it was refused)
    CREATE TABLE live_audit (
        id INTEGER PRIMARY KEY,
        at REAL NOT NULL,
        username TEXT NOT NULL,
        action TEXT NOT NULL,
        call TEXT NOT NULL DEFAULT '',
        channel TEXT NOT NULL DEFAULT '',
        target TEXT NOT NULL DEFAULT '',
        result TEXT NOT NULL DEFAULT 'ok'
    );
    CREATE INDEX live_audit_at ON live_audit(at);
"""
MIGRATIONS.append(MIGRATION_4_LIVE)

# 5: reports (issue 7).  Asterisk's own records (queue_log, CDR) ingested by
# appliance.reports.ingest; every report is SQL over these tables
# (appliance.reports.queries).  Times are epoch seconds, as Asterisk writes them.
# Unreleased while issue 7 is open.
MIGRATION_5_REPORTS = """
    -- every queue_log line, once.  id = (epoch second << 32) | crc32(line): ordered by time,
    -- so inserting stays an append, and a line read twice (a restart, a rotated file read
    -- again, the same line delivered twice) is the same row.  Events of one call: a range
    -- of ids from its entry to its end, plus callid.
    CREATE TABLE ql_events (
        id INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,
        callid TEXT NOT NULL,           -- Asterisk uniqueid of the caller's channel, or NONE
        queue TEXT NOT NULL,            -- queue name, or NONE
        agent TEXT NOT NULL,            -- agent extension when known, '' for NONE, else as logged
        event TEXT NOT NULL,
        data TEXT NOT NULL DEFAULT ''   -- the data fields as logged, joined by '|'
    );
    -- one row per caller per queue visit: the part of a journey (callid) spent in one queue.
    -- A call that overflows from one queue to another is one journey with two parts.
    CREATE TABLE report_calls (
        id INTEGER PRIMARY KEY,
        callid TEXT NOT NULL,
        part INTEGER NOT NULL DEFAULT 1,        -- 1, 2, ... in the order the caller entered queues
        queue TEXT NOT NULL,
        entered INTEGER NOT NULL,               -- ENTERQUEUE (or our FULL / JOINEMPTY refusal)
        connected INTEGER,                      -- CONNECT: an agent answered
        ended INTEGER,                          -- the last event; NULL while waiting or talking
        caller TEXT NOT NULL DEFAULT '',        -- caller number (ENTERQUEUE)
        did TEXT NOT NULL DEFAULT '',           -- the number dialled (our DID event)
        ivr TEXT NOT NULL DEFAULT '',           -- IVR keys pressed on the way, e.g. '1-2'
        status TEXT NOT NULL CHECK (status IN ('waiting', 'talking', 'answered', 'unanswered')),
        -- answered: caller | agent (who hung up) | transfer;
        -- unanswered: abandon | timeout | key | empty | full | joinempty | unknown
        reason TEXT NOT NULL DEFAULT '',
        agent TEXT NOT NULL DEFAULT '',         -- extension of the agent who answered
        wait INTEGER NOT NULL DEFAULT 0,        -- s from entering to the answer, or to leaving
        talk INTEGER NOT NULL DEFAULT 0,        -- s connected to the agent
        ring INTEGER NOT NULL DEFAULT 0,        -- s the answering agent's phone rang
        attempts INTEGER NOT NULL DEFAULT 0,    -- agents rung for this call (ACD attempts)
        position INTEGER,                       -- position in the queue when the caller left
        origposition INTEGER,                   -- position when the caller entered
        key TEXT NOT NULL DEFAULT '',           -- EXITWITHKEY: the key pressed
        transfer TEXT NOT NULL DEFAULT '',      -- where the agent transferred the call
        recording TEXT NOT NULL DEFAULT '',     -- path under the recordings directory
        UNIQUE (callid, queue, entered)
    );
    CREATE INDEX report_calls_entered ON report_calls(entered);
    CREATE INDEX report_calls_queue ON report_calls(queue, entered);
    CREATE INDEX report_calls_agent ON report_calls(agent, entered);
    CREATE INDEX report_calls_caller ON report_calls(caller, entered);
    -- the answered calls per caller number over a long period (RPT-3's top callers): read in
    -- caller order from this index alone, no sort of a month of calls
    CREATE INDEX report_calls_answered_caller ON report_calls(caller, entered, talk, queue,
        agent, status) WHERE status = 'answered';
    -- an agent's logged-in time (first ADDMEMBER .. last REMOVEMEMBER over all their
    -- queues) and paused time (PAUSE* .. UNPAUSE*, with the reason); end NULL while it lasts
    CREATE TABLE report_agent_time (
        id INTEGER PRIMARY KEY,
        agent TEXT NOT NULL,                    -- extension
        kind TEXT NOT NULL CHECK (kind IN ('session', 'pause')),
        start INTEGER NOT NULL,
        end INTEGER,
        reason TEXT NOT NULL DEFAULT '',        -- pause: the reason code
        queues TEXT NOT NULL DEFAULT '',        -- session: the queues it covered, comma-separated
        UNIQUE (agent, kind, start)
    );
    -- report_calls summed per hour (hour = entered - entered % 3600), queue, agent, status
    -- and reason, for summaries over long periods (appliance/reports/rollup.py writes it,
    -- queries.py reads it).  Exact: a write to report_calls marks its hour dirty in the
    -- same transaction (report_rollup_dirty); a dirty hour is read from report_calls until
    -- the rollup redoes it.  The threshold counters (sl_n, short_*) hold for the thresholds in
    -- report_rollup_state only; a report with other thresholds reads report_calls.
    CREATE TABLE report_calls_hourly (
        hour INTEGER NOT NULL,
        queue TEXT NOT NULL,
        agent TEXT NOT NULL,
        status TEXT NOT NULL,
        reason TEXT NOT NULL,
        n INTEGER NOT NULL,                     -- calls
        wait_sum INTEGER, wait_min INTEGER, wait_max INTEGER,
        talk_sum INTEGER, talk_min INTEGER, talk_max INTEGER,
        att_sum INTEGER, att_min INTEGER, att_max INTEGER,
        pos_sum INTEGER, pos_min INTEGER, pos_max INTEGER,
        pos_n INTEGER NOT NULL,                 -- calls with a position
        sl_n INTEGER NOT NULL,                  -- wait <= sl_seconds
        short_wait_n INTEGER NOT NULL,          -- wait < short_abandon_s
        short_call_n INTEGER NOT NULL,          -- talk < short_call_s
        lt_10 INTEGER NOT NULL, lt_20 INTEGER NOT NULL, lt_30 INTEGER NOT NULL,
        lt_60 INTEGER NOT NULL, lt_120 INTEGER NOT NULL, lt_180 INTEGER NOT NULL,
        lt_300 INTEGER NOT NULL, lt_600 INTEGER NOT NULL,   -- wait < 10 .. 600 s
        at_0 INTEGER NOT NULL, at_1 INTEGER NOT NULL, at_2 INTEGER NOT NULL,
        at_3 INTEGER NOT NULL, at_4 INTEGER NOT NULL, at_5 INTEGER NOT NULL,  -- attempts = 0 .. 5
        PRIMARY KEY (hour, queue, agent, status, reason)
    ) WITHOUT ROWID;
    -- hours of report_calls written since the rollup last summed them (whoever writes
    -- report_calls marks them in the same transaction: rollup.mark_dirty)
    CREATE TABLE report_rollup_dirty (hour INTEGER PRIMARY KEY);
    -- the thresholds the rollup's counters were made with (no row: no rollup yet)
    CREATE TABLE report_rollup_state (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        sl_seconds INTEGER NOT NULL,
        short_abandon_s INTEGER NOT NULL,
        short_call_s INTEGER NOT NULL
    );
    CREATE INDEX report_agent_time_start ON report_agent_time(start);
    -- Asterisk's CDR (cdr-csv Master.csv), each row once; id as for ql_events (start second)
    CREATE TABLE report_cdr (
        id INTEGER PRIMARY KEY,
        start INTEGER NOT NULL,
        answer INTEGER,
        end INTEGER NOT NULL,
        src TEXT NOT NULL DEFAULT '',
        dst TEXT NOT NULL DEFAULT '',
        dcontext TEXT NOT NULL DEFAULT '',
        channel TEXT NOT NULL DEFAULT '',
        dstchannel TEXT NOT NULL DEFAULT '',
        lastapp TEXT NOT NULL DEFAULT '',
        duration INTEGER NOT NULL DEFAULT 0,
        billsec INTEGER NOT NULL DEFAULT 0,
        disposition TEXT NOT NULL DEFAULT '',   -- ANSWERED | NO ANSWER | BUSY | FAILED | CONGESTION
        uniqueid TEXT NOT NULL DEFAULT '',
        userfield TEXT NOT NULL DEFAULT '',
        direction TEXT NOT NULL DEFAULT '' CHECK (direction IN ('', 'in', 'out', 'internal')),
        agent TEXT NOT NULL DEFAULT ''          -- out: extension of the agent who placed it
    );
    CREATE INDEX report_cdr_start ON report_cdr(direction, start);
    -- where reading each of Asterisk's files got to, committed with the rows it produced
    CREATE TABLE report_ingest (
        source TEXT PRIMARY KEY,                -- 'queue_log' | 'cdr'
        signature TEXT NOT NULL DEFAULT '',     -- the file's first line: same file or a new one
        offset INTEGER NOT NULL DEFAULT 0,      -- bytes of complete lines read
        state TEXT NOT NULL DEFAULT '{}',       -- JSON: calls and agents not finished yet
        updated_at REAL
    );
    -- the monthly operations report (OPS-1), made on the 1st for the month before
    CREATE TABLE monthly_reports (
        month TEXT PRIMARY KEY CHECK (month GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]'),
        created_at REAL NOT NULL,
        html TEXT NOT NULL,
        emailed_to TEXT NOT NULL DEFAULT ''
    );
    -- exports run in the background with progress (long ones take a while)
    CREATE TABLE report_exports (
        id INTEGER PRIMARY KEY,
        username TEXT NOT NULL,
        report TEXT NOT NULL,
        params TEXT NOT NULL,                   -- JSON of the filter
        fmt TEXT NOT NULL CHECK (fmt IN ('csv', 'xlsx')),
        status TEXT NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'done', 'failed')),
        done_rows INTEGER NOT NULL DEFAULT 0,
        total_rows INTEGER NOT NULL DEFAULT 0,
        path TEXT NOT NULL DEFAULT '',
        error TEXT NOT NULL DEFAULT '',
        created_at REAL NOT NULL,
        finished_at REAL
    );
"""
MIGRATIONS.append(MIGRATION_5_REPORTS)

# 6: outbound campaigns (issue 8): contact lists and their imports, do-not-call, campaigns,
# each contact's progress in a campaign, every call the dialer placed, dispositions,
# callbacks, and the hand-off of won contacts to the CRM.  Phone numbers are E.164
# ('+48600100200').  Unreleased while issue 8 is open.
MIGRATION_6_CAMPAIGNS = """
    CREATE TABLE contact_lists (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE COLLATE NOCASE CHECK (length(name) BETWEEN 1 AND 80),
        description TEXT NOT NULL DEFAULT '',
        fields TEXT NOT NULL DEFAULT '[]',      -- JSON list: the list's own field names, in order
        country TEXT NOT NULL DEFAULT '48' CHECK (country GLOB '[1-9]*'),   -- for national numbers
        created_at REAL NOT NULL,
        created_by TEXT NOT NULL DEFAULT ''
    );
    CREATE TABLE contacts (
        id INTEGER PRIMARY KEY,
        list_id INTEGER NOT NULL REFERENCES contact_lists(id) ON DELETE CASCADE,
        phone TEXT NOT NULL CHECK (phone GLOB '+[1-9][0-9]*' AND length(phone) BETWEEN 8 AND 16),
        name TEXT NOT NULL DEFAULT '',
        fields TEXT NOT NULL DEFAULT '{}',      -- JSON object: field name -> value
        created_at REAL NOT NULL,
        UNIQUE (list_id, phone)
    );
    CREATE INDEX contacts_phone ON contacts(phone);
    -- one upload of a CSV/XLSX file into a list, run in the background with progress
    CREATE TABLE list_imports (
        id INTEGER PRIMARY KEY,
        list_id INTEGER NOT NULL REFERENCES contact_lists(id) ON DELETE CASCADE,
        filename TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'queued'
            CHECK (status IN ('queued', 'running', 'done', 'failed')),
        encoding TEXT NOT NULL DEFAULT '',      -- as detected (utf-8, cp1250, iso-8859-2, xlsx)
        mapping TEXT NOT NULL DEFAULT '{}',     -- JSON: file column -> phone / name / field name
        total_rows INTEGER NOT NULL DEFAULT 0,
        done_rows INTEGER NOT NULL DEFAULT 0,
        imported INTEGER NOT NULL DEFAULT 0,
        invalid INTEGER NOT NULL DEFAULT 0,
        duplicates INTEGER NOT NULL DEFAULT 0,
        error TEXT NOT NULL DEFAULT '',
        created_at REAL NOT NULL,
        created_by TEXT NOT NULL DEFAULT '',
        finished_at REAL
    );
    -- every row of an import that was not imported, and why: nothing is dropped silently
    CREATE TABLE list_import_problems (
        import_id INTEGER NOT NULL REFERENCES list_imports(id) ON DELETE CASCADE,
        line INTEGER NOT NULL,                  -- row number in the file (the header is 1)
        reason TEXT NOT NULL,                   -- 'invalid' | 'duplicate' | 'empty' | ...
        detail TEXT NOT NULL DEFAULT '',        -- e.g. the number as written
        raw TEXT NOT NULL DEFAULT '',           -- the row as read
        PRIMARY KEY (import_id, line)
    );
    -- what an agent may record at the end of a campaign call (the admin's list)
    CREATE TABLE dispositions (
        code TEXT PRIMARY KEY CHECK (code GLOB '[a-z0-9_-]*' AND length(code) BETWEEN 1 AND 20),
        title TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 60),
        effective INTEGER NOT NULL DEFAULT 0 CHECK (effective IN (0, 1)),   -- an effective contact
        -- what it does to the contact: done; retry (by the campaign's rules); callback (a date
        -- and time); dnc_campaign / dnc_global (do-not-call); crm (done + hand-off to the
        -- CRM); machine (an answering machine the detector missed: retried, and counted by
        -- Ofcom's adjusted abandon rate)
        action TEXT NOT NULL DEFAULT 'done' CHECK (action IN
            ('done', 'retry', 'callback', 'dnc_campaign', 'dnc_global', 'crm', 'machine')),
        position INTEGER NOT NULL DEFAULT 0,
        active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1))
    );
    INSERT INTO dispositions (code, title, effective, action, position) VALUES
        ('sale', 'Sprzedaż', 1, 'crm', 1),
        ('interested', 'Zainteresowany', 1, 'done', 2),
        ('not_interested', 'Niezainteresowany', 1, 'done', 3),
        ('callback', 'Oddzwonić później', 0, 'callback', 4),
        ('no_decision', 'Brak decyzji, zadzwonić ponownie', 0, 'retry', 5),
        ('wrong_number', 'Pomyłka', 0, 'dnc_campaign', 6),
        ('dnc_campaign', 'Nie dzwonić w tej kampanii', 0, 'dnc_campaign', 7),
        ('dnc', 'Nie dzwonić nigdy', 0, 'dnc_global', 8),
        ('machine', 'Automatyczna sekretarka', 0, 'machine', 9);
    CREATE TABLE campaigns (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE CHECK (name GLOB '[a-z0-9_-]*' AND length(name) BETWEEN 1 AND 40),
        title TEXT NOT NULL DEFAULT '',
        queue_id INTEGER NOT NULL REFERENCES queues(id) ON DELETE RESTRICT,   -- the agent group
        mode TEXT NOT NULL DEFAULT 'progressive'
            CHECK (mode IN ('preview', 'progressive', 'predictive')),
        status TEXT NOT NULL DEFAULT 'draft'
            CHECK (status IN ('draft', 'running', 'paused', 'stopped', 'finished')),
        start_date TEXT,                        -- YYYY-MM-DD, inclusive; NULL: no limit
        end_date TEXT,
        window_start TEXT NOT NULL DEFAULT '09:00' CHECK (window_start GLOB '[0-2][0-9]:[0-5][0-9]'),
        window_end TEXT NOT NULL DEFAULT '20:00'
            CHECK (window_end GLOB '[0-2][0-9]:[0-5][0-9]' AND window_end > window_start),
        weekdays TEXT NOT NULL DEFAULT '12345' CHECK (weekdays GLOB '[1-7]*'),   -- ISO: 1 = Monday
        caller_id TEXT NOT NULL DEFAULT '',     -- the number the called person sees
        ring_s INTEGER NOT NULL DEFAULT 25 CHECK (ring_s BETWEEN 15 AND 120),
        max_attempts INTEGER NOT NULL DEFAULT 3 CHECK (max_attempts BETWEEN 1 AND 20),
        retry_noanswer_s INTEGER NOT NULL DEFAULT 3600 CHECK (retry_noanswer_s >= 0),
        retry_busy_s INTEGER NOT NULL DEFAULT 900 CHECK (retry_busy_s >= 0),
        retry_failed_s INTEGER NOT NULL DEFAULT 1800 CHECK (retry_failed_s >= 0),
        retry_machine_s INTEGER NOT NULL DEFAULT 7200 CHECK (retry_machine_s >= 0),
        -- the identification message played when a live answer finds no free agent
        noagent_prompt TEXT NOT NULL DEFAULT '',
        record TEXT NOT NULL DEFAULT 'all' CHECK (record IN ('all', 'none')),
        amd INTEGER NOT NULL DEFAULT 0 CHECK (amd IN (0, 1)),   -- answering-machine detection
        abandon_cap REAL NOT NULL DEFAULT 3.0 CHECK (abandon_cap BETWEEN 0 AND 100),   -- percent
        abandon_rule TEXT NOT NULL DEFAULT 'day' CHECK (abandon_rule IN ('day', '30d')),
        max_ratio REAL NOT NULL DEFAULT 3.0 CHECK (max_ratio BETWEEN 1 AND 5),   -- lines per agent
        script TEXT NOT NULL DEFAULT '',        -- shown to the agent; {name}, {field} filled in
        created_at REAL NOT NULL,
        created_by TEXT NOT NULL DEFAULT '',
        started_at REAL,
        updated_at REAL
    );
    CREATE TABLE campaign_lists (
        campaign_id INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
        list_id INTEGER NOT NULL REFERENCES contact_lists(id) ON DELETE CASCADE,
        PRIMARY KEY (campaign_id, list_id)
    );
    -- do not call: everywhere (campaign_id NULL) or in one campaign; checked at dial time
    CREATE TABLE dnc (
        id INTEGER PRIMARY KEY,
        phone TEXT NOT NULL CHECK (phone GLOB '+[1-9][0-9]*'),
        campaign_id INTEGER REFERENCES campaigns(id) ON DELETE CASCADE,
        note TEXT NOT NULL DEFAULT '',
        created_at REAL NOT NULL,
        created_by TEXT NOT NULL DEFAULT ''
    );
    CREATE UNIQUE INDEX dnc_phone ON dnc(phone, ifnull(campaign_id, 0));
    -- each contact's progress in a campaign (one row per contact of the campaign's lists)
    CREATE TABLE campaign_contacts (
        campaign_id INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
        contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
        -- new -> dialing -> retry / callback / done / failed (invalid number, attempts used
        -- up) / dnc (skipped at dial time: do-not-call)
        state TEXT NOT NULL DEFAULT 'new' CHECK (state IN
            ('new', 'dialing', 'retry', 'callback', 'done', 'failed', 'dnc')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_at REAL NOT NULL DEFAULT 0,        -- not before this (retry delay, callback time)
        agent TEXT,                             -- reserved for this agent (preview, callback)
        last_outcome TEXT,
        last_call_at REAL,
        last_abandon_at REAL,                   -- the 72-hour rule
        disposition TEXT,
        PRIMARY KEY (campaign_id, contact_id)
    );
    CREATE INDEX campaign_contacts_next ON campaign_contacts(campaign_id, state, next_at);
    -- every call the dialer placed (or an agent asked for in preview), one row per attempt
    CREATE TABLE campaign_calls (
        id INTEGER PRIMARY KEY,
        campaign_id INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
        contact_id INTEGER REFERENCES contacts(id) ON DELETE SET NULL,
        phone TEXT NOT NULL,
        attempt INTEGER NOT NULL DEFAULT 1,
        mode TEXT NOT NULL,                     -- preview / progressive / predictive / callback
        uniqueid TEXT NOT NULL UNIQUE,          -- the Originate's ChannelId (the customer's leg)
        agent TEXT,                             -- extension of the agent who took (or asked for) it
        requested_at REAL,                      -- preview/callback: the agent clicked Call
        started_at REAL,                        -- Originate sent
        answered_at REAL,
        connected_at REAL,                      -- an agent is talking with the customer
        ended_at REAL,
        -- NULL while in progress; connected / abandoned (live answer, no agent in time) /
        -- machine / noanswer / busy / failed / invalid (404, 484: never retried) / cancelled
        -- (the dialer withdrew a ringing call: no agent left)
        outcome TEXT,
        cause INTEGER,                          -- Q.850 hangup cause of the customer's leg
        amd TEXT NOT NULL DEFAULT '',           -- AMDSTATUS/AMDCAUSE when detection ran
        disposition TEXT,
        disposed_at REAL,
        disposed_by TEXT,
        note TEXT NOT NULL DEFAULT '',
        recording TEXT NOT NULL DEFAULT ''      -- relative to the recordings directory
    );
    CREATE INDEX campaign_calls_day ON campaign_calls(campaign_id, started_at);
    CREATE INDEX campaign_calls_agent ON campaign_calls(agent, connected_at);
    CREATE INDEX campaign_calls_open ON campaign_calls(ended_at) WHERE ended_at IS NULL;
    CREATE TABLE callbacks (
        id INTEGER PRIMARY KEY,
        campaign_id INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
        contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
        agent TEXT,                             -- extension; NULL: any agent of the campaign
        due_at REAL NOT NULL,
        note TEXT NOT NULL DEFAULT '',
        created_at REAL NOT NULL,
        created_by TEXT NOT NULL DEFAULT '',
        done_at REAL,
        call_id INTEGER REFERENCES campaign_calls(id) ON DELETE SET NULL
    );
    CREATE INDEX callbacks_due ON callbacks(done_at, due_at);
    -- contacts won in a campaign, waiting for (or taken by) the CRM (CRM-8)
    CREATE TABLE crm_handoffs (
        id INTEGER PRIMARY KEY,
        campaign_id INTEGER REFERENCES campaigns(id) ON DELETE SET NULL,
        contact_id INTEGER REFERENCES contacts(id) ON DELETE SET NULL,
        payload TEXT NOT NULL,                  -- JSON: the contact, its fields, its calls
        created_at REAL NOT NULL,
        created_by TEXT NOT NULL DEFAULT '',
        taken_at REAL
    );
"""
MIGRATIONS.append(MIGRATION_6_CAMPAIGNS)

# 7: the CRM (issue 10): contacts (people and companies) with their numbers, e-mails, tags
# and custom fields, an owner agent; notes (from the admin's templates, with the call's
# recording), tasks, a group calendar, e-mail and SMS, projects with time, files; the calls
# matched to contacts (by the number's last nine digits: '+48 600 100 200', '600100200' and
# '0048600100200' are one number); API and calendar-feed tokens.  Unreleased while issue 10
# is open.
MIGRATION_7_CRM = """
    ALTER TABLE users ADD COLUMN email TEXT NOT NULL DEFAULT '';
    -- a salesperson: others book meetings into this user's calendar (CRM-7)
    ALTER TABLE users ADD COLUMN bookable INTEGER NOT NULL DEFAULT 0 CHECK (bookable IN (0, 1));
    -- the admin's custom contact fields, in order (values live in crm_contacts.fields)
    CREATE TABLE crm_fields (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE COLLATE NOCASE CHECK (length(name) BETWEEN 1 AND 40),
        kind TEXT NOT NULL DEFAULT 'text' CHECK (kind IN ('text', 'number', 'date', 'choice')),
        choices TEXT NOT NULL DEFAULT '',       -- for 'choice': one per line
        position INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE crm_contacts (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL DEFAULT 'person' CHECK (kind IN ('person', 'company')),
        name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
        company_id INTEGER REFERENCES crm_contacts(id) ON DELETE SET NULL,  -- a person's company
        job_title TEXT NOT NULL DEFAULT '',
        owner_id INTEGER REFERENCES users(id) ON DELETE SET NULL,          -- owner agent (CRM-6)
        fields TEXT NOT NULL DEFAULT '{}',      -- JSON: custom field name -> value
        address TEXT NOT NULL DEFAULT '',
        about TEXT NOT NULL DEFAULT '',
        source TEXT NOT NULL DEFAULT 'manual',  -- manual | import | campaign | api
        created_at REAL NOT NULL,
        created_by TEXT NOT NULL DEFAULT '',
        updated_at REAL NOT NULL
    );
    CREATE INDEX crm_contacts_name ON crm_contacts(name COLLATE NOCASE);
    CREATE INDEX crm_contacts_company ON crm_contacts(company_id);
    CREATE INDEX crm_contacts_owner ON crm_contacts(owner_id);
    CREATE TABLE crm_phones (
        id INTEGER PRIMARY KEY,
        contact_id INTEGER NOT NULL REFERENCES crm_contacts(id) ON DELETE CASCADE,
        label TEXT NOT NULL DEFAULT '',         -- mobile | work | home | fax | other
        number TEXT NOT NULL,                   -- E.164 when it could be normalised, else as typed
        match_key TEXT NOT NULL,                -- the last nine digits (all, when fewer)
        UNIQUE (contact_id, number)
    );
    CREATE INDEX crm_phones_key ON crm_phones(match_key);
    CREATE TABLE crm_emails (
        id INTEGER PRIMARY KEY,
        contact_id INTEGER NOT NULL REFERENCES crm_contacts(id) ON DELETE CASCADE,
        label TEXT NOT NULL DEFAULT '',
        address TEXT NOT NULL COLLATE NOCASE,
        UNIQUE (contact_id, address)
    );
    CREATE INDEX crm_emails_address ON crm_emails(address);
    CREATE TABLE crm_tags (
        contact_id INTEGER NOT NULL REFERENCES crm_contacts(id) ON DELETE CASCADE,
        tag TEXT NOT NULL COLLATE NOCASE CHECK (length(tag) BETWEEN 1 AND 40),
        PRIMARY KEY (contact_id, tag)
    );
    CREATE INDEX crm_tags_tag ON crm_tags(tag);
    CREATE TABLE crm_projects (
        id INTEGER PRIMARY KEY,
        contact_id INTEGER NOT NULL REFERENCES crm_contacts(id) ON DELETE CASCADE,
        name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 120),
        status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done')),
        started_at REAL NOT NULL,               -- calls from here on count as the project's time
        ended_at REAL,
        created_at REAL NOT NULL,
        created_by TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX crm_projects_contact ON crm_projects(contact_id);
    CREATE TABLE crm_time_entries (
        id INTEGER PRIMARY KEY,
        project_id INTEGER NOT NULL REFERENCES crm_projects(id) ON DELETE CASCADE,
        user TEXT NOT NULL,
        day TEXT NOT NULL CHECK (day GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
        minutes INTEGER NOT NULL CHECK (minutes BETWEEN 1 AND 1440),
        note TEXT NOT NULL DEFAULT '',
        created_at REAL NOT NULL
    );
    CREATE INDEX crm_time_project ON crm_time_entries(project_id, day);
    CREATE TABLE crm_note_templates (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE COLLATE NOCASE CHECK (length(name) BETWEEN 1 AND 60),
        body TEXT NOT NULL,                     -- the text the note starts from
        position INTEGER NOT NULL DEFAULT 0,
        active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1))
    );
    INSERT INTO crm_note_templates (name, body, position) VALUES
        ('Rozmowa', 'Temat:\nUstalenia:\nNastępny krok:', 1),
        ('Reklamacja', 'Produkt / zamówienie:\nOpis problemu:\nOczekiwanie klienta:\nPrzekazano do:', 2);
    CREATE TABLE crm_notes (
        id INTEGER PRIMARY KEY,
        contact_id INTEGER NOT NULL REFERENCES crm_contacts(id) ON DELETE CASCADE,
        project_id INTEGER REFERENCES crm_projects(id) ON DELETE SET NULL,
        author_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
        author TEXT NOT NULL,                   -- the username when it was written
        body TEXT NOT NULL CHECK (length(body) BETWEEN 1 AND 20000),
        template_id INTEGER REFERENCES crm_note_templates(id) ON DELETE SET NULL,
        private INTEGER NOT NULL DEFAULT 0 CHECK (private IN (0, 1)),  -- author (and admins) only
        call_id TEXT NOT NULL DEFAULT '',       -- the call it was written during: its linkedid
        agent TEXT NOT NULL DEFAULT '',         -- the author's extension then
        recording_id INTEGER REFERENCES recordings(id) ON DELETE SET NULL,  -- set once indexed
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL
    );
    CREATE INDEX crm_notes_contact ON crm_notes(contact_id, created_at);
    CREATE INDEX crm_notes_waiting ON crm_notes(call_id) WHERE call_id != '' AND recording_id IS NULL;
    CREATE TABLE crm_tasks (
        id INTEGER PRIMARY KEY,
        contact_id INTEGER REFERENCES crm_contacts(id) ON DELETE CASCADE,
        project_id INTEGER REFERENCES crm_projects(id) ON DELETE SET NULL,
        title TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
        details TEXT NOT NULL DEFAULT '',
        assignee_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
        status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'cancelled')),
        due_at REAL,
        remind_at REAL,
        reminded_at REAL,
        source TEXT NOT NULL DEFAULT 'manual' CHECK (source IN ('manual', 'missed_call', 'api')),
        call_id TEXT NOT NULL DEFAULT '',       -- missed_call: the call (one task per call)
        number TEXT NOT NULL DEFAULT '',        -- missed_call: the caller's number
        created_at REAL NOT NULL,
        created_by TEXT NOT NULL DEFAULT '',
        done_at REAL
    );
    CREATE INDEX crm_tasks_assignee ON crm_tasks(assignee_id, status, due_at);
    CREATE INDEX crm_tasks_contact ON crm_tasks(contact_id);
    CREATE UNIQUE INDEX crm_tasks_missed_call ON crm_tasks(call_id) WHERE source = 'missed_call';
    -- the group calendar: meetings in a user's (a salesperson's) calendar
    CREATE TABLE crm_events (
        id INTEGER PRIMARY KEY,
        uid TEXT NOT NULL UNIQUE,               -- iCalendar UID
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        contact_id INTEGER REFERENCES crm_contacts(id) ON DELETE SET NULL,
        title TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
        starts_at REAL NOT NULL,
        ends_at REAL NOT NULL CHECK (ends_at > starts_at),
        location TEXT NOT NULL DEFAULT '',
        details TEXT NOT NULL DEFAULT '',
        remind_min INTEGER NOT NULL DEFAULT 15 CHECK (remind_min BETWEEN 0 AND 10080),
        reminded_at REAL,
        cancelled_at REAL,
        created_at REAL NOT NULL,
        created_by TEXT NOT NULL DEFAULT '',
        updated_at REAL NOT NULL
    );
    CREATE INDEX crm_events_user ON crm_events(user_id, starts_at);
    CREATE INDEX crm_events_contact ON crm_events(contact_id);
    -- calls matched to contacts (inbound from the reports' calls, outbound from the CDR,
    -- a campaign's from its hand-off): the timeline and the projects' call time
    CREATE TABLE crm_calls (
        id INTEGER PRIMARY KEY,
        contact_id INTEGER NOT NULL REFERENCES crm_contacts(id) ON DELETE CASCADE,
        callid TEXT NOT NULL,                   -- Asterisk's uniqueid of the journey
        direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
        number TEXT NOT NULL,
        started_at REAL NOT NULL,
        answered INTEGER NOT NULL DEFAULT 0 CHECK (answered IN (0, 1)),
        agent TEXT NOT NULL DEFAULT '',
        talk_s INTEGER NOT NULL DEFAULT 0,
        queue TEXT NOT NULL DEFAULT '',
        campaign_id INTEGER REFERENCES campaigns(id) ON DELETE SET NULL,
        recording TEXT NOT NULL DEFAULT '',     -- path under the recordings directory
        UNIQUE (contact_id, callid)
    );
    CREATE INDEX crm_calls_contact ON crm_calls(contact_id, started_at);
    -- e-mail and SMS to and from contacts (an SMS's delivery is its sms_outbox row's)
    CREATE TABLE crm_message_templates (
        id INTEGER PRIMARY KEY,
        channel TEXT NOT NULL CHECK (channel IN ('email', 'sms')),
        name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 60),
        subject TEXT NOT NULL DEFAULT '',
        body TEXT NOT NULL,
        UNIQUE (channel, name)
    );
    CREATE TABLE crm_messages (
        id INTEGER PRIMARY KEY,
        contact_id INTEGER NOT NULL REFERENCES crm_contacts(id) ON DELETE CASCADE,
        channel TEXT NOT NULL CHECK (channel IN ('email', 'sms')),
        direction TEXT NOT NULL CHECK (direction IN ('out', 'in')),
        address TEXT NOT NULL,                  -- the e-mail address or the phone number
        subject TEXT NOT NULL DEFAULT '',
        body TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'queued'
            CHECK (status IN ('queued', 'sent', 'delivered', 'failed', 'received')),
        error TEXT NOT NULL DEFAULT '',
        sms_outbox_id INTEGER REFERENCES sms_outbox(id) ON DELETE SET NULL,
        sms_inbox_id INTEGER REFERENCES sms_inbox(id) ON DELETE SET NULL,
        user TEXT NOT NULL DEFAULT '',
        at REAL NOT NULL,
        UNIQUE (contact_id, sms_inbox_id)
    );
    CREATE INDEX crm_messages_contact ON crm_messages(contact_id, at);
    -- files on a contact, a project or a note: stored under the data partition by a random
    -- name, served only through the panel to users who may see what they belong to
    CREATE TABLE crm_files (
        id INTEGER PRIMARY KEY,
        contact_id INTEGER REFERENCES crm_contacts(id) ON DELETE CASCADE,
        project_id INTEGER REFERENCES crm_projects(id) ON DELETE CASCADE,
        note_id INTEGER REFERENCES crm_notes(id) ON DELETE CASCADE,
        name TEXT NOT NULL,                     -- the uploaded name, made safe
        stored TEXT NOT NULL UNIQUE,            -- the random file name on disk
        mime TEXT NOT NULL,
        size INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        private INTEGER NOT NULL DEFAULT 0 CHECK (private IN (0, 1)),   -- uploader (and admins) only
        uploaded_by_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
        uploaded_by TEXT NOT NULL DEFAULT '',
        created_at REAL NOT NULL,
        CHECK (contact_id IS NOT NULL OR project_id IS NOT NULL)
    );
    CREATE INDEX crm_files_contact ON crm_files(contact_id);
    CREATE INDEX crm_files_project ON crm_files(project_id);
    -- a user's JSON API tokens and calendar-feed token (only their SHA-256 is kept)
    CREATE TABLE user_tokens (
        id INTEGER PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        kind TEXT NOT NULL CHECK (kind IN ('api', 'ical')),
        label TEXT NOT NULL DEFAULT '',
        token_hash TEXT NOT NULL UNIQUE,
        created_at REAL NOT NULL,
        last_used_at REAL
    );
    CREATE INDEX user_tokens_user ON user_tokens(user_id, kind);
    ALTER TABLE crm_handoffs ADD COLUMN crm_contact_id INTEGER
        REFERENCES crm_contacts(id) ON DELETE SET NULL;
"""
MIGRATIONS.append(MIGRATION_7_CRM)

# 8: teleconferences and automatic campaigns (issue 11): conference rooms with PINs for
# talkers, listeners and the leader (CONF-1, CONF-2); scheduled conferences and group calls
# the box dials out itself, with attendance and keypad polls (CONF-3, AUTO-2); voice mailing
# as a kind of campaign on the same dialer, lists and do-not-call (AUTO-1); SMS campaigns
# through the modems' outbox (AUTO-3).  Unreleased while issue 11 is open.
MIGRATION_8_CONF_AUTO = """
    -- an IVR key may lead into a conference room (target: the room's number)
    CREATE TABLE ivr_options_v3 (
        menu_id INTEGER NOT NULL REFERENCES ivr_menus(id) ON DELETE CASCADE,
        key TEXT NOT NULL CHECK (key IN ('0','1','2','3','4','5','6','7','8','9','*','#')),
        action TEXT NOT NULL CHECK (action IN ('menu', 'queue', 'extension', 'external',
            'voicemail', 'announcement', 'hangup', 'language', 'pin', 'operator', 'conference')),
        target TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (menu_id, key)
    );
    INSERT INTO ivr_options_v3 SELECT menu_id, key, action, target FROM ivr_options;
    DROP TABLE ivr_options;
    ALTER TABLE ivr_options_v3 RENAME TO ivr_options;
    -- a conference room: dialled by its number from inside, reached from outside by a
    -- route or an IVR key.  A PIN is 4..12 digits or '' (none).  With a talker PIN set,
    -- a caller must type one of the room's PINs; the PIN typed decides the role.
    CREATE TABLE conf_rooms (
        id INTEGER PRIMARY KEY,
        number TEXT NOT NULL UNIQUE CHECK (number GLOB '[0-9]*' AND length(number) BETWEEN 2 AND 8),
        title TEXT NOT NULL DEFAULT '' CHECK (length(title) <= 80),
        talker_pin TEXT NOT NULL DEFAULT ''
            CHECK (talker_pin = '' OR (talker_pin GLOB '[0-9]*' AND length(talker_pin) BETWEEN 4 AND 12)),
        listener_pin TEXT NOT NULL DEFAULT ''
            CHECK (listener_pin = '' OR (listener_pin GLOB '[0-9]*' AND length(listener_pin) BETWEEN 4 AND 12)),
        leader_pin TEXT NOT NULL DEFAULT ''
            CHECK (leader_pin = '' OR (leader_pin GLOB '[0-9]*' AND length(leader_pin) BETWEEN 4 AND 12)),
        pin_tries INTEGER NOT NULL DEFAULT 3 CHECK (pin_tries BETWEEN 1 AND 5),
        max_members INTEGER NOT NULL DEFAULT 30 CHECK (max_members BETWEEN 2 AND 200),
        record INTEGER NOT NULL DEFAULT 0 CHECK (record IN (0, 1)),
        wait_for_leader INTEGER NOT NULL DEFAULT 0 CHECK (wait_for_leader IN (0, 1)),
        voting INTEGER NOT NULL DEFAULT 0 CHECK (voting IN (0, 1)),   -- keys 1..9 vote (AUTO-2)
        created_at REAL NOT NULL,
        created_by TEXT NOT NULL DEFAULT ''
    );
    -- a conference the box sets up itself: at starts_at (and each repeat) it dials the
    -- members, who join after pressing confirm_key (and typing the room's PIN if
    -- require_pin); no answer / busy is tried again `retries` times.  A group call
    -- (AUTO-2) is the same with a contact list as its members, often started at once.
    CREATE TABLE conf_schedules (
        id INTEGER PRIMARY KEY,
        room_id INTEGER NOT NULL REFERENCES conf_rooms(id) ON DELETE CASCADE,
        title TEXT NOT NULL DEFAULT '' CHECK (length(title) <= 80),
        kind TEXT NOT NULL DEFAULT 'meeting' CHECK (kind IN ('meeting', 'group')),
        starts_at REAL NOT NULL,                -- the first occurrence (epoch seconds)
        repeat TEXT NOT NULL DEFAULT 'none'
            CHECK (repeat IN ('none', 'daily', 'weekdays', 'weekly', 'monthly')),
        until_date TEXT,                        -- YYYY-MM-DD, inclusive; NULL: no end
        list_id INTEGER REFERENCES contact_lists(id) ON DELETE SET NULL,   -- group members
        confirm_key TEXT NOT NULL DEFAULT '1' CHECK (confirm_key IN
            ('0','1','2','3','4','5','6','7','8','9','*','#')),
        require_pin INTEGER NOT NULL DEFAULT 0 CHECK (require_pin IN (0, 1)),   -- secure mode
        ring_s INTEGER NOT NULL DEFAULT 30 CHECK (ring_s BETWEEN 10 AND 120),
        retries INTEGER NOT NULL DEFAULT 2 CHECK (retries BETWEEN 0 AND 10),
        retry_s INTEGER NOT NULL DEFAULT 120 CHECK (retry_s BETWEEN 10 AND 3600),
        max_lines INTEGER NOT NULL DEFAULT 10 CHECK (max_lines BETWEEN 1 AND 100),
        active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
        created_at REAL NOT NULL,
        created_by TEXT NOT NULL DEFAULT ''
    );
    -- named members of a schedule (numbers: an extension or an outside number)
    CREATE TABLE conf_schedule_members (
        schedule_id INTEGER NOT NULL REFERENCES conf_schedules(id) ON DELETE CASCADE,
        number TEXT NOT NULL CHECK (number GLOB '[+0-9]*' AND length(number) BETWEEN 2 AND 20),
        name TEXT NOT NULL DEFAULT '',
        role TEXT NOT NULL DEFAULT 'talker' CHECK (role IN ('talker', 'listener', 'leader')),
        PRIMARY KEY (schedule_id, number)
    );
    -- one occurrence of a schedule (or a group call started now): the unit of the report
    CREATE TABLE conf_meetings (
        id INTEGER PRIMARY KEY,
        schedule_id INTEGER REFERENCES conf_schedules(id) ON DELETE CASCADE,
        room_id INTEGER NOT NULL REFERENCES conf_rooms(id) ON DELETE CASCADE,
        starts_at REAL NOT NULL,
        started_at REAL,                        -- the first call placed
        ended_at REAL,                          -- every member dialled and the room empty
        UNIQUE (schedule_id, starts_at)
    );
    -- every call the box placed to a member, one row per attempt
    CREATE TABLE conf_dials (
        id INTEGER PRIMARY KEY,
        meeting_id INTEGER NOT NULL REFERENCES conf_meetings(id) ON DELETE CASCADE,
        number TEXT NOT NULL,
        name TEXT NOT NULL DEFAULT '',
        role TEXT NOT NULL DEFAULT 'talker' CHECK (role IN ('talker', 'listener', 'leader')),
        attempt INTEGER NOT NULL DEFAULT 1,
        uniqueid TEXT NOT NULL UNIQUE,          -- the Originate's ChannelId
        started_at REAL,
        answered_at REAL,
        confirmed_at REAL,                      -- pressed the confirm key (and the PIN)
        ended_at REAL,
        -- NULL while in progress; joined / declined (answered, no key) / wrong_pin /
        -- noanswer / busy / failed / invalid / cancelled
        outcome TEXT,
        cause INTEGER
    );
    CREATE INDEX conf_dials_meeting ON conf_dials(meeting_id, number);
    -- who was in a room and when, from Asterisk's ConfbridgeJoin/Leave (dial-in and dial-out)
    CREATE TABLE conf_attendance (
        id INTEGER PRIMARY KEY,
        room_id INTEGER NOT NULL REFERENCES conf_rooms(id) ON DELETE CASCADE,
        meeting_id INTEGER REFERENCES conf_meetings(id) ON DELETE SET NULL,
        uniqueid TEXT NOT NULL UNIQUE,
        number TEXT NOT NULL DEFAULT '',
        name TEXT NOT NULL DEFAULT '',
        role TEXT NOT NULL DEFAULT 'talker' CHECK (role IN ('talker', 'listener', 'leader')),
        how TEXT NOT NULL DEFAULT 'in' CHECK (how IN ('in', 'out')),   -- dialled in / by the box
        joined_at REAL NOT NULL,
        left_at REAL
    );
    CREATE INDEX conf_attendance_room ON conf_attendance(room_id, joined_at);
    -- keypad polls in a room (AUTO-2): one vote per participant's call, the last key wins
    CREATE TABLE conf_polls (
        id INTEGER PRIMARY KEY,
        room_id INTEGER NOT NULL REFERENCES conf_rooms(id) ON DELETE CASCADE,
        meeting_id INTEGER REFERENCES conf_meetings(id) ON DELETE SET NULL,
        question TEXT NOT NULL CHECK (length(question) BETWEEN 1 AND 200),
        choices INTEGER NOT NULL DEFAULT 2 CHECK (choices BETWEEN 2 AND 9),   -- keys 1..choices
        opened_at REAL NOT NULL,
        closed_at REAL,
        opened_by TEXT NOT NULL DEFAULT ''
    );
    CREATE TABLE conf_votes (
        poll_id INTEGER NOT NULL REFERENCES conf_polls(id) ON DELETE CASCADE,
        uniqueid TEXT NOT NULL,
        number TEXT NOT NULL DEFAULT '',
        choice INTEGER NOT NULL CHECK (choice BETWEEN 1 AND 9),
        at REAL NOT NULL,
        PRIMARY KEY (poll_id, uniqueid)
    );
    -- voice mailing (AUTO-1): a campaign of kind 'voice' plays a message instead of
    -- connecting an agent; connect_key puts the callee into the campaign's queue.  The
    -- message is a recorded prompt or text spoken by espeak-ng with {name} and the list's
    -- {fields} filled in per contact.
    ALTER TABLE campaigns ADD COLUMN kind TEXT NOT NULL DEFAULT 'agents'
        CHECK (kind IN ('agents', 'voice'));
    ALTER TABLE campaigns ADD COLUMN message_prompt TEXT NOT NULL DEFAULT '';
    ALTER TABLE campaigns ADD COLUMN message_text TEXT NOT NULL DEFAULT '';
    ALTER TABLE campaigns ADD COLUMN message_lang TEXT NOT NULL DEFAULT 'pl'
        CHECK (message_lang IN ('pl', 'en'));
    ALTER TABLE campaigns ADD COLUMN connect_key TEXT NOT NULL DEFAULT '1'
        CHECK (connect_key IN ('', '0','1','2','3','4','5','6','7','8','9'));   -- '': none
    ALTER TABLE campaigns ADD COLUMN repeat_key TEXT NOT NULL DEFAULT '2'
        CHECK (repeat_key IN ('', '0','1','2','3','4','5','6','7','8','9','*','#'));
    ALTER TABLE campaigns ADD COLUMN max_repeats INTEGER NOT NULL DEFAULT 2
        CHECK (max_repeats BETWEEN 0 AND 5);
    -- an answering machine: 'short' plays the machine message, 'retry' hangs up and calls
    -- again by retry_machine_s, 'hangup' hangs up for good
    ALTER TABLE campaigns ADD COLUMN machine_action TEXT NOT NULL DEFAULT 'short'
        CHECK (machine_action IN ('short', 'retry', 'hangup'));
    ALTER TABLE campaigns ADD COLUMN machine_prompt TEXT NOT NULL DEFAULT '';
    ALTER TABLE campaigns ADD COLUMN machine_text TEXT NOT NULL DEFAULT '';
    ALTER TABLE campaigns ADD COLUMN max_lines INTEGER NOT NULL DEFAULT 4
        CHECK (max_lines BETWEEN 1 AND 60);      -- voice: calls at once
    -- what a voice-mailing callee did: seconds of message heard, heard to the end, key
    ALTER TABLE campaign_calls ADD COLUMN heard_s REAL;
    ALTER TABLE campaign_calls ADD COLUMN listened INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE campaign_calls ADD COLUMN pressed TEXT NOT NULL DEFAULT '';
    -- SMS campaigns (AUTO-3): a text with {name} and the lists' {fields} sent to the
    -- contacts of its lists through sms_outbox, spread over the ready modems, at most
    -- per_modem_per_min messages per modem and minute, inside the sending window
    CREATE TABLE sms_campaigns (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE CHECK (name GLOB '[a-z0-9_-]*' AND length(name) BETWEEN 1 AND 40),
        title TEXT NOT NULL DEFAULT '' CHECK (length(title) <= 80),
        text TEXT NOT NULL CHECK (length(text) BETWEEN 1 AND 1600),
        status TEXT NOT NULL DEFAULT 'draft'
            CHECK (status IN ('draft', 'running', 'paused', 'stopped', 'finished')),
        window_start TEXT NOT NULL DEFAULT '09:00' CHECK (window_start GLOB '[0-2][0-9]:[0-5][0-9]'),
        window_end TEXT NOT NULL DEFAULT '20:00'
            CHECK (window_end GLOB '[0-2][0-9]:[0-5][0-9]' AND window_end > window_start),
        weekdays TEXT NOT NULL DEFAULT '12345' CHECK (weekdays GLOB '[1-7]*'),
        per_modem_per_min INTEGER NOT NULL DEFAULT 6 CHECK (per_modem_per_min BETWEEN 1 AND 60),
        price_per_part REAL NOT NULL DEFAULT 0.0 CHECK (price_per_part >= 0),   -- cost estimate
        reply_days INTEGER NOT NULL DEFAULT 7 CHECK (reply_days BETWEEN 1 AND 90),
        created_at REAL NOT NULL,
        created_by TEXT NOT NULL DEFAULT '',
        started_at REAL,
        finished_at REAL,
        updated_at REAL
    );
    CREATE TABLE sms_campaign_lists (
        campaign_id INTEGER NOT NULL REFERENCES sms_campaigns(id) ON DELETE CASCADE,
        list_id INTEGER NOT NULL REFERENCES contact_lists(id) ON DELETE CASCADE,
        PRIMARY KEY (campaign_id, list_id)
    );
    -- one message per number of the campaign (a number on two lists gets one)
    CREATE TABLE sms_campaign_messages (
        id INTEGER PRIMARY KEY,
        campaign_id INTEGER NOT NULL REFERENCES sms_campaigns(id) ON DELETE CASCADE,
        contact_id INTEGER REFERENCES contacts(id) ON DELETE SET NULL,
        phone TEXT NOT NULL,
        text TEXT NOT NULL DEFAULT '',          -- as personalised when queued
        encoding TEXT NOT NULL DEFAULT '',      -- gsm7 / ucs2
        parts INTEGER NOT NULL DEFAULT 0,
        -- pending -> queued (in sms_outbox) -> sent -> delivered; failed; dnc (skipped:
        -- do-not-call or opted out)
        state TEXT NOT NULL DEFAULT 'pending'
            CHECK (state IN ('pending', 'queued', 'sent', 'delivered', 'failed', 'dnc')),
        outbox_id INTEGER REFERENCES sms_outbox(id) ON DELETE SET NULL,
        modem_id INTEGER REFERENCES modems(id) ON DELETE SET NULL,
        queued_at REAL,
        sent_at REAL,
        delivered_at REAL,
        error TEXT NOT NULL DEFAULT '',
        UNIQUE (campaign_id, phone)
    );
    CREATE INDEX sms_campaign_messages_state ON sms_campaign_messages(campaign_id, state);
    CREATE INDEX sms_campaign_messages_outbox ON sms_campaign_messages(outbox_id);
    -- a reply is matched by the number's last nine digits (as the CRM does)
    CREATE INDEX sms_campaign_messages_key ON sms_campaign_messages(substr(phone, -9));
    -- replies to a campaign (an inbound SMS from a number it wrote to within reply_days);
    -- a reply STOP / NIE puts the number on the global do-not-call list
    CREATE TABLE sms_campaign_replies (
        id INTEGER PRIMARY KEY,
        campaign_id INTEGER NOT NULL REFERENCES sms_campaigns(id) ON DELETE CASCADE,
        message_id INTEGER REFERENCES sms_campaign_messages(id) ON DELETE SET NULL,
        inbox_id INTEGER UNIQUE REFERENCES sms_inbox(id) ON DELETE SET NULL,
        phone TEXT NOT NULL,
        text TEXT NOT NULL,
        opt_out INTEGER NOT NULL DEFAULT 0 CHECK (opt_out IN (0, 1)),
        received_at REAL NOT NULL
    );
    CREATE INDEX sms_campaign_replies_campaign ON sms_campaign_replies(campaign_id, received_at);
"""
MIGRATIONS.append(MIGRATION_8_CONF_AUTO)

# -- 9: webhooks for integrators (issue 12, item 5) -------------------------------------------
# A webhook is an address on the LAN the box POSTs events to, signed with its secret;
# `events` is a JSON list of kinds ('call', 'agent', 'campaign') or event names.  Every event
# is a delivery row per matching webhook; jns-calld's sender retries it with backoff.
MIGRATION_9_WEBHOOKS = """
    CREATE TABLE webhooks (
        id INTEGER PRIMARY KEY,
        url TEXT NOT NULL CHECK (length(url) BETWEEN 8 AND 500),
        secret TEXT NOT NULL CHECK (length(secret) >= 16),
        events TEXT NOT NULL DEFAULT '["call","agent","campaign"]',
        active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
        description TEXT NOT NULL DEFAULT '' CHECK (length(description) <= 200),
        created_at REAL NOT NULL,
        created_by TEXT NOT NULL DEFAULT ''
    );
    CREATE TABLE webhook_deliveries (
        id INTEGER PRIMARY KEY,
        webhook_id INTEGER NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
        event TEXT NOT NULL,
        payload TEXT NOT NULL,                  -- the JSON body sent, byte for byte
        status TEXT NOT NULL DEFAULT 'pending'
            CHECK (status IN ('pending', 'delivered', 'failed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_at REAL NOT NULL,                  -- when the sender tries it (again)
        last_code INTEGER,                      -- the receiver's HTTP status
        last_error TEXT NOT NULL DEFAULT '',
        created_at REAL NOT NULL,
        delivered_at REAL
    );
    CREATE INDEX webhook_deliveries_due ON webhook_deliveries(status, next_at);
    CREATE INDEX webhook_deliveries_hook ON webhook_deliveries(webhook_id, id);
"""
MIGRATIONS.append(MIGRATION_9_WEBHOOKS)

# -- 10: callback instead of waiting (issue 12, item 2) ---------------------------------------
# A caller waiting in a queue presses the queue's callback key: a queue_callbacks row keeps
# their number; a placeholder call (a Local channel) waits in the queue at their place and,
# when an agent takes it, the box calls the customer back (appliance.telephony.callbacks).
MIGRATION_10_CALLBACKS = """
    ALTER TABLE queues ADD callback_key TEXT NOT NULL DEFAULT '';      -- '' = not offered
    ALTER TABLE queues ADD callback_retries INTEGER NOT NULL DEFAULT 2;
    ALTER TABLE queues ADD callback_expiry_s INTEGER NOT NULL DEFAULT 7200;
    CREATE TABLE queue_callbacks (
        id INTEGER PRIMARY KEY,
        queue TEXT NOT NULL,
        number TEXT NOT NULL,
        caller_uniqueid TEXT NOT NULL DEFAULT '',   -- the call that asked (its queue callid)
        did TEXT NOT NULL DEFAULT '',               -- the number it dialled: the callback's CLI
        position INTEGER NOT NULL DEFAULT 0,        -- its place in the queue then (0 = last)
        requested_at REAL NOT NULL,
        placeholder_uniqueid TEXT NOT NULL DEFAULT '',
        agent TEXT NOT NULL DEFAULT '',
        answered_at REAL,                           -- an agent took the placeholder
        dialled_at REAL,
        connected_at REAL,                          -- the customer answered
        ended_at REAL,
        attempts INTEGER NOT NULL DEFAULT 0,
        status TEXT NOT NULL DEFAULT 'requested' CHECK (status IN ('requested', 'waiting',
            'dialling', 'connected', 'failed', 'expired', 'cancelled')),
        error TEXT NOT NULL DEFAULT ''
    );
    CREATE UNIQUE INDEX queue_callbacks_open ON queue_callbacks(queue, number)
        WHERE status IN ('requested', 'waiting', 'dialling');
    CREATE INDEX queue_callbacks_status ON queue_callbacks(status, queue);
"""
MIGRATIONS.append(MIGRATION_10_CALLBACKS)

# -- 11: the rest of issue 12: browser softphone, skills routing, callbacks at closing time ---
# Unreleased while issue 12 is open.
MIGRATION_11_BEYOND = """
    -- BEY-1: an agent's phone is a desk/soft phone on SIP over UDP ('sip') or the panel's
    -- own softphone in the browser ('webrtc': pjsip over WebSocket, DTLS-SRTP, ICE)
    ALTER TABLE agents ADD phone TEXT NOT NULL DEFAULT 'sip' CHECK (phone IN ('sip', 'webrtc'));

    -- BEY-3: skills with levels; a skill may stand for a language the IVR offers, so the
    -- caller's language choice picks the skill a queue's rule asks for as "language"
    CREATE TABLE skills (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE CHECK (name GLOB '[a-z0-9_-]*' AND length(name) > 0),
        title TEXT NOT NULL DEFAULT '',
        language TEXT NOT NULL DEFAULT '' CHECK (language IN ('', 'pl', 'en'))
    );
    CREATE UNIQUE INDEX skills_language ON skills(language) WHERE language != '';
    CREATE TABLE agent_skills (
        agent_id INTEGER NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
        skill_id INTEGER NOT NULL REFERENCES skills(id) ON DELETE CASCADE,
        level INTEGER NOT NULL CHECK (level BETWEEN 1 AND 100),
        PRIMARY KEY (agent_id, skill_id)
    );
    -- the queue's rule, one step a line: "0: language>=50, internet>=30" / "60: language" /
    -- "120: *" (appliance.telephony.skills parses and checks it); '' = no skills routing
    ALTER TABLE queues ADD skill_rule TEXT NOT NULL DEFAULT '';
    -- overflow before joining: estimated wait over N seconds, or callers waiting per
    -- logged-in agent over N (0 = not checked)
    ALTER TABLE queues ADD overflow_ewt_s INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE queues ADD overflow_per_agent REAL NOT NULL DEFAULT 0;

    -- BEY-2: "press 1 to be called back tomorrow": a callback due at a time (the next
    -- opening), placed in the queue from then on; a new destination 'callback' (target: the
    -- queue) offers it, e.g. as the closed-hours destination or an IVR key
    ALTER TABLE queue_callbacks ADD due_at REAL;
    -- the Asterisk queue the placeholder joins: a skills variant "<queue>.<lang>" of the
    -- queue (BEY-3); '' = the queue itself
    ALTER TABLE queue_callbacks ADD member_queue TEXT NOT NULL DEFAULT '';
    -- the reports look a queue visit's callback up by the asking call
    CREATE INDEX queue_callbacks_caller ON queue_callbacks(caller_uniqueid);
    CREATE TABLE ivr_options_v4 (
        menu_id INTEGER NOT NULL REFERENCES ivr_menus(id) ON DELETE CASCADE,
        key TEXT NOT NULL CHECK (key IN ('0','1','2','3','4','5','6','7','8','9','*','#')),
        action TEXT NOT NULL CHECK (action IN ('menu', 'queue', 'extension', 'external',
            'voicemail', 'announcement', 'hangup', 'language', 'pin', 'operator', 'conference',
            'callback')),
        target TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (menu_id, key)
    );
    INSERT INTO ivr_options_v4 SELECT menu_id, key, action, target FROM ivr_options;
    DROP TABLE ivr_options;
    ALTER TABLE ivr_options_v4 RENAME TO ivr_options;
"""
MIGRATIONS.append(MIGRATION_11_BEYOND)

SCHEMA_VERSION = len(MIGRATIONS)


class StoreError(Exception):
    """A database problem with a message an admin can act on."""


def open_db(path: str | os.PathLike, migrate: bool = True) -> sqlite_utils.Database:
    """Open (creating if needed) the box's database with WAL and foreign keys on.

    `check_same_thread=False` because Flask/gunicorn threads and the FastAGI server
    share one connection per process; SQLite serialises access itself.
    """
    path = os.fspath(path)
    if path != ":memory:":
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    conn = sqlite3.connect(path, timeout=15, check_same_thread=False, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=15000")
    db = sqlite_utils.Database(conn)
    if migrate:
        apply_migrations(db)
    return db


class PerThread:
    """One connection per thread to the same database file.

    A connection must not be shared by threads that write: `transaction()` joins an open
    transaction, so one thread could commit or roll back another's half-done save.
    Threaded servers (gunicorn --threads, the FastAGI server) take their connection here.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = os.fspath(path)
        open_db(self.path).conn.close()  # migrate once, up front
        self._local = threading.local()

    def get(self) -> sqlite_utils.Database:
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = open_db(self.path, migrate=False)
        return db


def schema_version(db: sqlite_utils.Database) -> int:
    return db.execute("PRAGMA user_version").fetchone()[0]


def apply_migrations(db: sqlite_utils.Database) -> int:
    """Bring the schema up to SCHEMA_VERSION; each step is its own transaction."""
    current = schema_version(db)
    if current > SCHEMA_VERSION:
        raise StoreError(
            f"database schema {current} is newer than this firmware knows ({SCHEMA_VERSION}); "
            "boot the newer firmware or restore a backup made by this version")
    for version in range(current, SCHEMA_VERSION):
        with transaction(db):
            for statement in _split_sql(MIGRATIONS[version]):
                db.conn.execute(statement)
            db.conn.execute(f"PRAGMA user_version={version + 1}")
    return schema_version(db)


def _split_sql(script: str) -> list[str]:
    """Split a migration into statements (executescript would commit our transaction)."""
    out, buf = [], []
    for line in script.splitlines():
        if line.strip().startswith("--"):
            continue
        buf.append(line)
        if sqlite3.complete_statement("\n".join(buf)):
            stmt = "\n".join(buf).strip()
            if stmt.rstrip(";").strip():
                out.append(stmt)
            buf = []
    return out


@contextlib.contextmanager
def transaction(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """All-or-nothing block: BEGIN IMMEDIATE ... COMMIT, ROLLBACK on any exception."""
    conn = db.conn
    if conn.in_transaction:  # nested use joins the outer transaction
        yield db
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    else:
        conn.execute("COMMIT")


# -- settings: small named values (secrets, flags) -------------------------------------

def get_setting(db: sqlite_utils.Database, key: str, default: str | None = None) -> str | None:
    row = db.execute("SELECT value FROM settings WHERE key = ?", [key]).fetchone()
    return row[0] if row else default


def set_setting(db: sqlite_utils.Database, key: str, value: str) -> None:
    with transaction(db):
        db.execute("INSERT INTO settings(key, value) VALUES (?, ?) "
                   "ON CONFLICT(key) DO UPDATE SET value = excluded.value", [key, value])


def ensure_secret(db: sqlite_utils.Database, key: str, nbytes: int = 18) -> str:
    """Return the named secret, generating it on this box the first time it is asked for."""
    with transaction(db):
        value = get_setting(db, key)
        if value is None:
            value = secrets.token_urlsafe(nbytes)
            db.execute("INSERT INTO settings(key, value) VALUES (?, ?)", [key, value])
    return value


def now() -> int:
    return int(time.time())
