/* JNS Call Center: a keypad poll's live results.  Vanilla JS, no libraries.
 *
 * Asks #poll-live's data-poll address (JSON: total, open, results [{choice, votes,
 * percent}]) every data-every milliseconds and redraws the bars; stops once the poll is
 * closed.  Without JavaScript the page shows the results as they were when it opened.
 */
(function () {
  "use strict";
  var root = document.getElementById("poll-live");
  if (!root || !window.fetch) { return; }
  var url = root.getAttribute("data-poll");
  var every = parseInt(root.getAttribute("data-every"), 10) || 2000;

  function apply(data) {
    document.getElementById("poll-total").textContent = String(data.total);
    (data.results || []).forEach(function (r) {
      var row = root.querySelector('tr[data-choice="' + r.choice + '"]');
      if (!row) { return; }
      row.querySelector("progress").value = r.percent;
      row.querySelector(".votes").textContent = String(r.votes);
      row.querySelector(".percent").textContent = String(r.percent);
    });
    var state = document.getElementById("poll-state");
    if (state) {
      state.textContent = root.getAttribute(data.open ? "data-open-text" : "data-closed-text");
    }
    root.setAttribute("data-updated", String(Date.now()));
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (data) {
        root.removeAttribute("data-stale");
        apply(data);
        if (data.open) { window.setTimeout(poll, every); }
      })
      .catch(function () { root.setAttribute("data-stale", "1"); window.setTimeout(poll, every); });
  }
  window.setTimeout(poll, every);
}());
