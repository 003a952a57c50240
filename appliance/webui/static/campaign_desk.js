// The campaign section of the agent desk: show the callback fields only for a disposition
// that calls back, and reload the section when a campaign call or callback comes or goes
// (polling /agent/campaign/state) unless the agent is typing into a form.
(function () {
  "use strict";
  var section = document.getElementById("campaign-desk");
  if (!section) { return; }

  function toggle(select) {
    var form = select.form;
    var option = select.options[select.selectedIndex];
    var action = option ? option.getAttribute("data-action") : "";
    var fields = form.querySelector(".callback-fields");
    if (fields) { fields.hidden = action !== "callback"; }
  }
  Array.prototype.forEach.call(section.querySelectorAll("select.disposition-code"), function (s) {
    toggle(s);
    s.addEventListener("change", function () { toggle(s); });
  });

  var typing = false;
  section.addEventListener("input", function () { typing = true; });
  section.addEventListener("change", function () { typing = true; });

  function poll() {
    fetch(section.getAttribute("data-state"), {credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (data && data.key !== section.getAttribute("data-key") && !typing) {
          window.location.reload();
        }
      })
      .catch(function () {})
      .then(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 3000);
}());
