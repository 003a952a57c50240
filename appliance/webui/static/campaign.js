/* JNS Call Center: a campaign's live progress page.  Vanilla JS, no libraries.
 *
 * The server renders the page; this script asks #campaign-live's data-poll address (JSON,
 * the same figures) every data-every milliseconds and rewrites each element marked
 * data-f="<field>" (dotted paths like "states.new"), and the progress bar.  When the
 * request fails it marks the page (data-stale) and keeps trying; the Refresh link works
 * without it.
 */
(function () {
  "use strict";
  var root = document.getElementById("campaign-live");
  if (!root || !window.fetch) { return; }
  var url = root.getAttribute("data-poll");
  var every = parseInt(root.getAttribute("data-every"), 10) || 2000;

  function pick(obj, path) {
    var parts = path.split("."), v = obj;
    for (var i = 0; i < parts.length; i++) { v = v && typeof v === "object" ? v[parts[i]] : undefined; }
    return v;
  }

  function apply(data) {
    Array.prototype.forEach.call(root.querySelectorAll("[data-f]"), function (el) {
      var v = pick(data, el.getAttribute("data-f"));
      el.textContent = v === undefined || v === null ? "—" : String(v);
    });
    var bar = document.getElementById("progress");
    if (bar) {
      bar.max = Math.max(1, data.total || 0);
      bar.value = data.finished || 0;
    }
    var why = document.getElementById("why");
    if (why) {
      var ok = data.status === "running" && data.dialer_running && !data.idle_reason;
      why.className = "alert " + (ok ? "alert-ok" : "alert-info");
    }
    root.setAttribute("data-updated", String(Date.now()));
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (data) { root.removeAttribute("data-stale"); apply(data); })
      .catch(function () { root.setAttribute("data-stale", "1"); })
      .then(function () { window.setTimeout(poll, every); });
  }
  window.setTimeout(poll, every);
}());
