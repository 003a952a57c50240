// The screen pop on the agent desk (CRM-4, CRM-5): when a call appears in "Current call",
// the CRM is asked who the caller is (/crm/pop) and a panel opens under it with the
// contact (name, company, owner, tags, open tasks, the last notes) and a note form with
// the admin's templates.  The panel stays after the call ends, until the agent closes it,
// so the note can be finished after hanging up; the note carries the call's id, and the
// box attaches the call's recording to it once the call is over.
(function () {
  "use strict";
  var root = document.getElementById("crm-pops");
  var calls = document.getElementById("my-calls");
  if (!root || !calls) { return; }
  var L = JSON.parse(root.getAttribute("data-labels") || "{}");
  var templates = JSON.parse(root.getAttribute("data-templates") || "[]");
  var csrf = root.getAttribute("data-csrf") || "";
  var popped = {};

  function t(key) { return L[key] || key; }

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }

  function noteForm(contact, callId) {
    var form = el("form", { "class": "crm-pop-note", "data-contact": contact.id });
    var sel = el("select", { name: "template_id", "class": "crm-pop-template",
                             "aria-label": t("Note template") });
    sel.appendChild(el("option", { value: "" }, t("No template")));
    templates.forEach(function (tp) {
      var o = el("option", { value: tp.id }, tp.name);
      o.setAttribute("data-body", tp.body);
      sel.appendChild(o);
    });
    var body = el("textarea", { name: "body", rows: "5", "class": "crm-pop-body",
                                "aria-label": t("Note") });
    var last = "";
    sel.addEventListener("change", function () {
      var o = sel.options[sel.selectedIndex], text = o ? (o.getAttribute("data-body") || "") : "";
      if (body.value.trim() === "" || body.value === last) { body.value = text; }
      else if (text) { body.value = body.value.replace(/\s*$/, "") + "\n\n" + text; }
      last = body.value;
      body.focus();
    });
    var priv = el("input", { type: "checkbox", name: "private", value: "1" });
    var privLabel = el("label", { "class": "check" });
    privLabel.appendChild(priv);
    privLabel.appendChild(document.createTextNode(" " + t("Private note (only you and admins)")));
    var save = el("button", { type: "submit", "class": "primary" }, t("Save note"));
    var status = el("p", { "class": "crm-pop-status", role: "status" });
    form.appendChild(sel);
    form.appendChild(body);
    form.appendChild(privLabel);
    form.appendChild(save);
    form.appendChild(status);
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      save.disabled = true;
      status.className = "crm-pop-status";
      status.textContent = t("Saving...");
      fetch(root.getAttribute("data-note-url"), {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf,
                   "Accept": "application/json" },
        body: JSON.stringify({ contact_id: contact.id, call_id: callId, body: body.value,
                               template_id: sel.value, private: priv.checked })
      }).then(function (r) {
        return r.json().then(function (j) { return { ok: r.ok, j: j }; },
                             function () { return { ok: false, j: { error: t("The panel did not answer; try again.") } }; });
      }).then(function (res) {
        save.disabled = false;
        if (res.ok && res.j.ok) {
          status.className = "crm-pop-status alert-ok";
          status.textContent = res.j.message + " " + t("The call's recording is attached when the call ends.");
          body.value = ""; last = ""; sel.value = "";
        } else {
          status.className = "crm-pop-status alert-error";
          status.textContent = t("Not saved:") + " " + (res.j.error || "");
        }
      }, function () {
        save.disabled = false;
        status.className = "crm-pop-status alert-error";
        status.textContent = t("The panel did not answer; try again.");
      });
    });
    return form;
  }

  function contactBox(contact, callId) {
    var box = el("div", { "class": "crm-pop-contact", "data-contact": contact.id });
    var h = el("h3");
    var a = el("a", { href: contact.url + "?call_id=" + encodeURIComponent(callId), target: "_blank",
                      "class": "crm-pop-name" }, contact.name);
    h.appendChild(a);
    box.appendChild(h);
    var facts = el("dl", { "class": "facts" });
    function fact(label, value, cls) {
      if (value === "" || value === null || value === undefined) { return; }
      var d = el("div");
      d.appendChild(el("dt", {}, label));
      d.appendChild(el("dd", { "class": cls }, value));
      facts.appendChild(d);
    }
    fact(t("Company"), contact.company, "crm-pop-company");
    fact(t("Owner"), contact.owner, "crm-pop-owner");
    fact(t("Tags"), (contact.tags || []).join(", "), "crm-pop-tags");
    fact(t("Open tasks"), contact.open_tasks, "crm-pop-tasks");
    box.appendChild(facts);
    if (contact.last_notes && contact.last_notes.length) {
      var ul = el("ul", { "class": "crm-pop-notes" });
      contact.last_notes.forEach(function (n) {
        ul.appendChild(el("li", {}, n.author + ": " + n.body.split("\n")[0]));
      });
      box.appendChild(ul);
    }
    box.appendChild(noteForm(contact, callId));
    return box;
  }

  function pop(callId, number) {
    popped[callId] = true;
    var panel = el("section", { "class": "card crm-pop", "data-pop-call": callId });
    var head = el("header", { "class": "crm-pop-head" });
    head.appendChild(el("strong", {}, t("Caller") + ": " + number));
    var close = el("button", { type: "button", "class": "crm-pop-close" }, t("Close"));
    close.addEventListener("click", function () { panel.parentNode.removeChild(panel); });
    head.appendChild(close);
    panel.appendChild(head);
    var body = el("div", { "class": "crm-pop-body-wrap" }, t("Looking the caller up in the CRM..."));
    panel.appendChild(body);
    root.insertBefore(panel, root.firstChild);
    var url = root.getAttribute("data-pop-url") + "?number=" + encodeURIComponent(number);
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (j) {
        body.textContent = "";
        if (!j.contacts || !j.contacts.length) {
          body.appendChild(el("p", { "class": "crm-pop-unknown" }, t("This number is not in the CRM.")));
          var add = el("a", { href: root.getAttribute("data-new-url") + "?number=" + encodeURIComponent(number),
                              target: "_blank", "class": "button" }, t("New contact with this number"));
          body.appendChild(add);
          return;
        }
        j.contacts.forEach(function (c) { body.appendChild(contactBox(c, callId)); });
      }, function () {
        body.textContent = t("The CRM could not be asked; open it from the menu.");
      });
  }

  function scan() {
    calls.querySelectorAll(".call-card[data-call]").forEach(function (card) {
      var id = card.getAttribute("data-call");
      var callerEl = card.querySelector(".caller");
      var number = callerEl ? callerEl.textContent.trim() : "";
      if (!id || popped[id] || !/\d{3,}/.test(number)) { return; }
      pop(id, number);
    });
  }

  var pending = null;
  new MutationObserver(function () {
    if (pending) { return; }
    pending = setTimeout(function () { pending = null; scan(); }, 50);
  }).observe(calls, { childList: true, subtree: true, characterData: true });
  scan();
})();
