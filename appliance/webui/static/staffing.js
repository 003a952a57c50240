/* JNS Call Center: the wallboard's "Staffing" block.  Vanilla JS, no libraries.
 *
 * Every 30 s it reads /reports/staffing/now.json (agents needed now per queue, Erlang C and
 * Erlang A, beside the agents logged in and available from the live service) and redraws
 * one tile per queue from <template id="staffing-tile">: red when fewer agents are
 * available than Erlang C needs.  It never touches the live tiles of live.js.
 */
(function () {
  "use strict";
  var root = document.getElementById("staffing");
  var box = document.getElementById("staffing-tiles");
  var tpl = document.getElementById("staffing-tile");
  if (!root || !box || !tpl || !window.fetch) { return; }
  var EVERY_MS = 30000;

  function show(value) { return value === null || value === undefined ? "—" : String(value); }

  function draw(data) {
    var queues = data.queues || [];
    var tiles = [];
    queues.forEach(function (q) {
      var tile = tpl.content.firstElementChild.cloneNode(true);
      tile.setAttribute("data-staffing", q.queue);
      tile.setAttribute("data-colour", q.colour || "");
      Array.prototype.forEach.call(tile.querySelectorAll("[data-s]"), function (el) {
        var key = el.getAttribute("data-s");
        el.textContent = key === "title" ? q.title : show(q[key]);
      });
      tiles.push(tile);
    });
    box.replaceChildren.apply(box, tiles);
    document.getElementById("staffing-empty").hidden = queues.length > 0;
    document.getElementById("staffing-live-down").hidden = !data.live_error;
  }

  function poll() {
    fetch(root.getAttribute("data-url"), { credentials: "same-origin",
                                           headers: { "Accept": "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(draw)
      .catch(function () { box.replaceChildren(); })
      .then(function () { window.setTimeout(poll, EVERY_MS); });
  }
  poll();
}());
