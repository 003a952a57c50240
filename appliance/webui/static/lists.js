/* JNS Call Center: the progress of a contact-list import.  Vanilla JS, no libraries.
 *
 * The import's page holds <div id="import" data-status data-poll>; while the status is
 * queued or running this script asks the JSON endpoint twice a second, moves the
 * <progress> and the row count, and reloads the page when the import has ended, so the
 * server renders the result.  Without JavaScript a <noscript> meta refresh does the same.
 */
(function () {
  "use strict";
  var root = document.getElementById("import");
  if (!root || !window.fetch) { return; }
  var status = root.getAttribute("data-status");
  if (status !== "running") { return; }
  var bar = document.getElementById("import-progress");
  var count = document.getElementById("import-count");
  var url = root.getAttribute("data-poll");
  var template = count ? count.textContent : "";

  function poll() {
    fetch(url, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.json(); })
      .then(function (s) {
        bar.value = s.percent;
        bar.textContent = s.percent + " %";
        if (count && template) {
          /* the server's sentence with its two numbers replaced: keeps the language */
          var n = 0;
          count.textContent = template.replace(/\d+/g, function () {
            n += 1;
            return n === 1 ? s.done_rows : n === 2 ? s.total_rows : "";
          });
        }
        if (s.status === "running") {
          window.setTimeout(poll, 500);
        } else {
          window.location.reload();
        }
      })
      .catch(function () { window.setTimeout(poll, 2000); });
  }
  window.setTimeout(poll, 300);
}());
