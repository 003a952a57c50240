/* JNS Call Center: a conference room's live page and the room form.  Vanilla JS.
 *
 * Live page (#conf-live): asks data-poll (JSON: participants, locked, error) every
 * data-every ms and redraws the participants table: who, role, joined at (clock and "for
 * N min"), talking, muted, and the mute / unmute / remove buttons (a listener has no
 * unmute: listen-only).  The buttons and the room controls post to data-control with the
 * CSRF token and ask for JSON; the answer (done or why not) is shown in #conf-message.
 * Without JavaScript the same forms post and the page comes back with a message.
 *
 * Room form: "Generate PIN" fills its field with 6 random digits.
 */
(function () {
  "use strict";

  Array.prototype.forEach.call(document.querySelectorAll("[data-generate-pin]"), function (b) {
    b.addEventListener("click", function () {
      var field = document.getElementById(b.getAttribute("data-generate-pin"));
      var digits = new Uint32Array(6), pin = "";
      window.crypto.getRandomValues(digits);
      for (var i = 0; i < 6; i++) { pin += String(i === 0 ? 1 + digits[i] % 9 : digits[i] % 10); }
      if (field) { field.value = pin; }
    });
  });

  var root = document.getElementById("conf-live");
  if (!root || !window.fetch) { return; }
  var labels = JSON.parse(root.getAttribute("data-labels") || "{}");
  var every = parseInt(root.getAttribute("data-every"), 10) || 2000;
  var body = root.querySelector("#participants tbody");
  var message = document.getElementById("conf-message");

  function cell(tr, text, cls) {
    var td = document.createElement("td");
    td.textContent = text;
    if (cls) { td.className = cls; }
    tr.appendChild(td);
    return td;
  }

  function clock(secondsAgo) {
    var d = new Date(Date.now() - secondsAgo * 1000);
    return ("0" + d.getHours()).slice(-2) + ":" + ("0" + d.getMinutes()).slice(-2);
  }

  function button(td, what, channel) {
    var b = document.createElement("button");
    b.type = "button";
    b.textContent = labels[what] || what;
    b.setAttribute("data-do", what);
    b.setAttribute("data-channel", channel);
    td.appendChild(b);
    td.appendChild(document.createTextNode(" "));
  }

  function draw(data) {
    var down = document.getElementById("conf-down");
    down.hidden = !data.error;
    if (data.error) { down.textContent = data.error; }
    var lock = document.getElementById("conf-lock-state");
    lock.textContent = data.locked ? labels.locked : labels.open;
    lock.className = data.locked ? "alert alert-info" : "muted";
    while (body.firstChild) { body.removeChild(body.firstChild); }
    (data.participants || []).forEach(function (p) {
      var tr = document.createElement("tr");
      tr.setAttribute("data-channel", p.channel);
      cell(tr, p.number + (p.name && p.name !== p.number ? " " + p.name : ""));
      cell(tr, (labels[p.role] || p.role) + (p.waiting ? " · " + labels.waiting : ""), "role");
      cell(tr, clock(p.joined_s) + " · " +
           (labels["for"] || "").replace("{minutes}", String(Math.floor(p.joined_s / 60))));
      cell(tr, p.talking ? labels.talking : labels.silent, p.talking ? "talking on" : "talking");
      cell(tr, p.muted ? labels.yes : labels.no, "muted");
      var actions = cell(tr, "", "actions");
      button(actions, "mute", p.channel);
      if (p.role !== "listener") { button(actions, "unmute", p.channel); }
      button(actions, "kick", p.channel);
      body.appendChild(tr);
    });
    document.getElementById("conf-empty").hidden = (data.participants || []).length > 0;
    root.setAttribute("data-updated", String(Date.now()));
  }

  function poll() {
    fetch(root.getAttribute("data-poll"), { credentials: "same-origin", cache: "no-store",
                                            headers: { "Accept": "application/json" } })
      .then(function (r) { return r.json(); })
      .then(draw)
      .catch(function () { root.setAttribute("data-stale", "1"); });
  }

  function control(what, channel) {
    var form = new FormData();
    form.append("csrf_token", root.getAttribute("data-csrf"));
    form.append("do", what);
    if (channel) { form.append("channel", channel); }
    fetch(root.getAttribute("data-control"), { method: "POST", body: form, credentials: "same-origin",
                                               headers: { "Accept": "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (answer) {
        message.textContent = answer.ok ? answer.done : answer.error;
        message.className = answer.ok ? "alert alert-ok" : "alert alert-error";
        poll();
      })
      .catch(function () { message.textContent = "?"; });
  }

  root.addEventListener("click", function (ev) {
    var b = ev.target.closest ? ev.target.closest("button[data-do]") : null;
    if (!b) { return; }
    ev.preventDefault();
    control(b.getAttribute("data-do"), b.getAttribute("data-channel") || "");
  });

  setInterval(poll, every);
  poll();
}());
