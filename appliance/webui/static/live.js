/* JNS Call Center: live pages (wallboard, agent desk, operator).  Vanilla JS, no libraries.
 *
 * The server renders the first picture; this script opens EventSource('/live/events'),
 * keeps the snapshot in memory, applies each change and rewrites only the elements that
 * show it: rows and tiles are found by data-call / data-agent / data-queue, their values by
 * data-f="<field>" (formatted by data-fmt).  New entries are cloned from
 * <template data-row="<table>">.  Counters (wait, talk, time in state) tick once a second
 * from the server's clock.  On `event: down` or a broken stream the page says "live data
 * unavailable" and shows no old data.  Forms keep working without it.
 */
(function () {
  "use strict";
  var root = document.getElementById("live");
  if (!root || !window.EventSource) { return; }
  var labels = JSON.parse(root.getAttribute("data-labels") || "{}");
  var page = root.getAttribute("data-page");
  var myExt = root.getAttribute("data-ext") || "";
  var TABLES = { calls: "data-call", agents: "data-agent", queues: "data-queue" };
  var KINDS = { call: "calls", agent: "agents", queue: "queues" };
  var model = null;
  var offset = 0;           /* server clock - browser clock, seconds */
  var pending = false;
  var deskQueues = {};      /* desk: the queue tiles the server showed (assigned queues) */

  each(root.querySelectorAll("[data-table=queues] [data-queue]"), function (el) {
    deskQueues[el.getAttribute("data-queue")] = true;
  });

  function each(list, fn) { Array.prototype.forEach.call(list, fn); }
  function now() { return Date.now() / 1000 + offset; }

  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function clock(s) {
    s = Math.max(0, Math.floor(s));
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    return h ? h + ":" + pad(m) + ":" + pad(sec) : m + ":" + pad(sec);
  }
  function localDate(epoch, withSeconds) {
    var d = new Date(epoch * 1000);
    var hm = pad(d.getHours()) + ":" + pad(d.getMinutes());
    if (withSeconds) { return hm + ":" + pad(d.getSeconds()); }
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " + hm;
  }
  function fmt(v, how) {
    if (v === null || v === undefined || v === "" || (Array.isArray(v) && !v.length)) {
      return how === "pause" || how === "bare" ? "" : "—";
    }
    switch (how) {
      case "clock": return clock(v);
      case "date": return localDate(v, false);
      case "time": return localDate(v, true);
      case "state": return labels["state:" + v] || v;
      case "pause": return labels["pause:" + v] || v;
      case "list": return v.join(", ");
      case "pct": return Math.round(v) + " %";
      default: return String(v);
    }
  }
  function pick(obj, path) {
    var parts = path.split("."), v = obj;
    for (var i = 0; i < parts.length; i++) { v = v && typeof v === "object" ? v[parts[i]] : undefined; }
    return v;
  }

  /* the same computed fields as livefeed.derive() on the server */
  function derive(table, e, t) {
    var d = {}, k;
    for (k in e) { if (Object.prototype.hasOwnProperty.call(e, k)) { d[k] = e[k]; } }
    if (table === "calls") {
      var start = e.queued_at || e.started;
      d.wait_s = start ? (e.answered_at || t) - start : null;
      d.talk_s = e.answered_at ? t - e.answered_at : null;
    } else if (table === "agents") {
      d.in_state_s = e.state_since ? t - e.state_since : null;
      /* today's pause and talk time include the pause or call going on now */
      var today = {}, call = e.call && model.calls ? model.calls[e.call] : null;
      for (k in (e.today || {})) { if (Object.prototype.hasOwnProperty.call(e.today, k)) { today[k] = e.today[k]; } }
      if (e.paused && e.paused_since) { today.pause_s = (today.pause_s || 0) + (t - e.paused_since); }
      if (call && call.answered_at) { today.talk_s = (today.talk_s || 0) + (t - call.answered_at); }
      d.today = today;
    } else if (table === "queues") {
      d.longest_s = e.longest_wait_since ? t - e.longest_wait_since : null;
      d.colour = colour(e);
    }
    return d;
  }
  function colour(q) {
    var alarmed = (model.alarms || []).some(function (a) { return a.subject === q.name; });
    if (alarmed || (q.waiting && !q.free)) { return "red"; }
    if (q.waiting || (q.logged_in || 0) <= 1) { return "amber"; }
    return "green";
  }

  function visible(table, id, e) {
    if (page !== "desk") { return true; }
    if (table === "calls") { return String(e.agent || "") === myExt; }
    if (table === "agents") { return id === myExt; }
    var me = model.agents[myExt];
    return deskQueues[id] || (me && (me.queues || []).indexOf(id) >= 0);
  }

  function orderKey(table, id, e) {
    if (table === "calls") { return [e.started || 0, id]; }
    return [0, id];
  }
  function before(a, b) { return a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]); }

  function fill(el, e) {
    each(el.querySelectorAll("[data-f]"), function (f) {
      var text = fmt(e ? pick(e, f.getAttribute("data-f")) : null, f.getAttribute("data-fmt") || "");
      if (f.textContent !== text) { f.textContent = text; }
    });
    if (e && el.hasAttribute("data-colour") && el.getAttribute("data-colour") !== e.colour) {
      el.setAttribute("data-colour", e.colour);
    }
    if (e && el.hasAttribute("data-state") && el.getAttribute("data-state") !== e.state) {
      el.setAttribute("data-state", e.state);
    }
  }

  function syncTable(table, t) {
    var attr = TABLES[table];
    var entries = model ? model[table] || {} : {};
    each(root.querySelectorAll('[data-table="' + table + '"]'), function (box) {
      var rows = {}, keys = [];
      each(box.querySelectorAll("[" + attr + "]"), function (row) {
        var id = row.getAttribute(attr);
        if (!entries[id] || !visible(table, id, entries[id])) { row.parentNode.removeChild(row); }
        else { rows[id] = row; }
      });
      var tpl = root.querySelector('template[data-row="' + table + '"]');
      Object.keys(entries).forEach(function (id) {
        if (!rows[id] && tpl && visible(table, id, entries[id])) {
          var row = tpl.content.firstElementChild.cloneNode(true);
          row.setAttribute(attr, id);
          each(row.querySelectorAll("[data-id]"), function (input) { input.value = id; });
          var key = orderKey(table, id, entries[id]), next = null;
          each(box.querySelectorAll("[" + attr + "]"), function (other) {
            var oid = other.getAttribute(attr);
            if (!next && entries[oid] && before(key, orderKey(table, oid, entries[oid]))) { next = other; }
          });
          box.insertBefore(row, next);
          rows[id] = row;
        }
      });
      var shown = Object.keys(rows).length;
      each(root.querySelectorAll('[data-empty="' + table + '"]'), function (p) { p.hidden = shown > 0; });
    });
    /* every element of this kind, in tables or not (the desk's own card): fresh values */
    each(root.querySelectorAll("[" + attr + "]"), function (el) {
      var id = el.getAttribute(attr), e = entries[id];
      fill(el, e && visible(table, id, e) ? derive(table, e, t) : null);
    });
  }

  function syncAlarms() {
    var list = document.getElementById("live-alarms");
    if (!list) { return; }
    var alarms = model ? model.alarms || [] : [];
    var text = alarms.map(function (a) { return a.severity + "|" + a.text; }).join("\n");
    if (list.getAttribute("data-shown") === text) { return; }
    list.setAttribute("data-shown", text);
    while (list.firstChild) { list.removeChild(list.firstChild); }
    alarms.forEach(function (a) {
      var li = document.createElement("li");
      li.className = "severity-" + a.severity;
      li.textContent = a.text;
      list.appendChild(li);
    });
    each(root.querySelectorAll('[data-empty="alarms"]'), function (p) { p.hidden = alarms.length > 0; });
  }

  function render() {
    pending = false;
    var t = now();
    Object.keys(TABLES).forEach(function (table) { syncTable(table, t); });
    syncAlarms();
    var away = document.getElementById("asterisk-down");
    if (away) { away.hidden = !(model && model.asterisk && !model.asterisk.connected); }
  }
  function soon() { if (!pending) { pending = true; setTimeout(render, 0); } }

  function setDown(why) {
    var box = document.getElementById("live-down");
    if (!box) { return; }
    if (why === null) { box.hidden = true; return; }
    var span = box.querySelector(".why");
    if (span) { span.textContent = why ? ": " + why : ""; }
    box.hidden = false;
  }

  function applyChange(c) {
    if (!model || c.seq <= model.seq) { return; }
    model.seq = c.seq;
    var table = KINDS[c.kind];
    if (table) {
      model[table] = model[table] || {};
      if (c.data === null) { delete model[table][c.id]; } else { model[table][c.id] = c.data; }
    } else if (c.kind === "alarms") {
      model.alarms = c.data || [];
    } else if (c.kind === "asterisk") {
      model.asterisk = c.data;
    }
  }

  var source = new EventSource("/live/events");
  source.addEventListener("snapshot", function (ev) {
    model = JSON.parse(ev.data);
    offset = model.now - Date.now() / 1000;
    setDown(null);
    soon();
  });
  source.addEventListener("change", function (ev) { applyChange(JSON.parse(ev.data)); soon(); });
  source.addEventListener("down", function (ev) {
    var why = "";
    try { why = JSON.parse(ev.data).error || ""; } catch (err) { why = ""; }
    model = null;
    setDown(labels[why] || why);
    soon();
  });
  source.onerror = function () {
    model = null;
    setDown("");
    soon();
  };
  setInterval(function () { if (model) { render(); } }, 1000);

  /* operator: drag a call row onto an agent or queue chip = its transfer form */
  if (page === "operator") {
    root.addEventListener("dragstart", function (ev) {
      var row = ev.target.closest && ev.target.closest("[data-call]");
      if (row) { ev.dataTransfer.setData("text/plain", row.getAttribute("data-call")); }
    });
    each(root.querySelectorAll("[data-target]"), function (chip) {
      chip.addEventListener("dragover", function (ev) { ev.preventDefault(); chip.classList.add("over"); });
      chip.addEventListener("dragleave", function () { chip.classList.remove("over"); });
      chip.addEventListener("drop", function (ev) {
        ev.preventDefault();
        chip.classList.remove("over");
        var id = ev.dataTransfer.getData("text/plain");
        var row = null;
        each(root.querySelectorAll("[data-call]"), function (r) { if (r.getAttribute("data-call") === id) { row = r; } });
        var form = row && row.querySelector("form.transfer");
        if (!form) { return; }
        form.querySelector("select[name=target]").value = chip.getAttribute("data-target");
        form.submit();
      });
    });
  }
}());
