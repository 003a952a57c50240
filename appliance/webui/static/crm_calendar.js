// The booking form of the CRM planner (crm_event_edit.html): a new salesperson, day or
// length shows their free slots at once; Enter in the contact search finds contacts.
// Plain JavaScript; the form works without it (the "Show free slots" and "Find" buttons).
"use strict";
(function () {
  const form = document.getElementById("book-form");
  if (form) {
    const show = document.getElementById("show-slots");
    for (const id of ["user_id", "date", "duration_min"]) {
      const field = document.getElementById(id);
      if (field && show) field.addEventListener("change", () => show.click());
    }
  }
  const q = document.getElementById("contact_q");
  const find = document.getElementById("find-contact");
  if (q && find) {
    q.addEventListener("keydown", (event) => {
      if (event.key === "Enter") { event.preventDefault(); find.click(); }
    });
  }
})();
