/* JNS Call Center: the System page (firmware update, backup, restore).  Vanilla JS.
 *
 * Uploads send the chosen file itself as the request body (XHR PUT, application/
 * octet-stream, the session's CSRF token in X-CSRF-Token), so the panel streams it to the
 * data partition; xhr.upload.onprogress moves the bar.  After a bundle is stored the page
 * asks the box to install it and polls the update status every second; while the box
 * restarts the requests fail, and the page reloads when the panel answers again.
 * A backup or restore job's page polls the job the same way.  Every text shown comes from
 * the server (data-t-* attributes or the JSON), so it is in the page's language.
 */
(function () {
  "use strict";

  function $(id) { return document.getElementById(id); }

  function fill(text, values) {
    return String(text || "").replace(/\{(\w+)\}/g, function (m, k) {
      return values && values[k] !== undefined ? values[k] : m;
    });
  }

  function say(el, text, level) {
    if (!el) { return; }
    el.textContent = text;
    el.className = text ? "alert alert-" + (level || "info") : "";
  }

  var root = $("system");
  var texts = root ? root.dataset : {};
  var csrf = root ? root.getAttribute("data-csrf") : "";
  /* t("too-big", {n: 5}): the text of data-t-too-big with its {n} filled in */
  function t(name, values) {
    var key = "t" + name.replace(/(^|-)(\w)/g, function (m, d, c) { return c.toUpperCase(); });
    return fill(texts[key], values);
  }

  /* Check the chosen file, then PUT it; calls done(json) or fail(message). */
  function upload(url, input, ext, maxMb, bar, phase, done, fail) {
    var file = input.files && input.files[0];
    if (!file) { fail(t("choose")); return; }
    if (file.name.slice(-ext.length).toLowerCase() !== ext) {
      fail(t("wrong-kind", { ext: ext }));
      return;
    }
    if (file.size > maxMb * 1048576) { fail(t("too-big", { n: maxMb })); return; }
    var xhr = new XMLHttpRequest();
    xhr.open("PUT", url);
    xhr.setRequestHeader("Content-Type", "application/octet-stream");
    xhr.setRequestHeader("X-CSRF-Token", csrf);
    xhr.setRequestHeader("Accept", "application/json");
    bar.hidden = false;
    bar.value = 0;
    say(phase, t("uploading", { percent: 0 }), "info");
    xhr.upload.onprogress = function (e) {
      if (!e.lengthComputable) { return; }
      var p = Math.floor(e.loaded * 100 / e.total);
      bar.value = p;
      bar.textContent = p + " %";
      say(phase, t("uploading", { percent: p }), "info");
    };
    xhr.onload = function () {
      var data = null;
      try { data = JSON.parse(xhr.responseText); } catch (err) { data = null; }
      if (xhr.status >= 200 && xhr.status < 300 && data) { bar.value = 100; done(data); return; }
      fail(data && data.error ? data.error : t("refused", { code: xhr.status }));
    };
    xhr.onerror = function () { fail(t("lost")); };
    xhr.send(file);
  }

  /* -- firmware ---------------------------------------------------------------------- */
  var box = $("update");
  if (box) {
    var phase = $("update-phase"), bar = $("update-progress"), sent = $("update-upload");
    var button = $("update-start");
    var lastKey = box.getAttribute("data-last");
    var watching = false, wentDown = false, restarting = "", pending = 0;

    var show = function (st) {
      if (st.state === "writing" || st.state === "ready") {
        bar.hidden = false;
        bar.value = st.percent;
        bar.textContent = st.percent + " %";
      } else if (st.state !== "rebooting") {
        bar.hidden = true;
      }
      restarting = st.restarting || restarting;
      if (st.state === "idle" && st.last_key !== lastKey) {
        say(phase, st.last, st.last_level);   /* installed, refused, failed: in plain words */
      } else if (st.state !== "idle") {
        say(phase, st.text, st.level);
      }
      button.disabled = !!st.installing;
      box.setAttribute("data-state", st.state);
    };

    var handle = function (st) {
      if (wentDown) {   /* the box is back (on the new version, or the old one) */
        say(phase, t("back"), "ok");
        window.location.reload();
        return;
      }
      var ended = st.state === "idle" || st.state === "failed";
      if (pending > 0 && ended && st.last_key === lastKey) {
        /* the install process has not taken over yet (it may look stopped for a moment;
           a real refusal adds a history entry): give it a minute */
        pending -= 1;
        window.setTimeout(poll, 1000);
        return;
      }
      pending = 0;
      show(st);
      if (st.watch) {
        window.setTimeout(poll, 1000);
      } else {
        watching = false;
        lastKey = st.last_key;
      }
    };

    var poll = function () {
      /* a box that is powering off may not even refuse the connection: give up after 5 s */
      var abort = window.AbortController ? new AbortController() : null;
      var timer = abort ? window.setTimeout(function () { abort.abort(); }, 5000) : 0;
      fetch(box.getAttribute("data-status"), { credentials: "same-origin", cache: "no-store",
                                               headers: { "Accept": "application/json" },
                                               signal: abort ? abort.signal : undefined })
        .then(function (r) {
          window.clearTimeout(timer);
          var json = (r.headers.get("Content-Type") || "").indexOf("application/json") === 0;
          if (r.ok && json) { return r.json().then(handle); }
          if (wentDown || r.redirected) {   /* the panel answers, but logged out: its login page */
            window.location.reload();
            return null;
          }
          return r.json().catch(function () { return {}; }).then(function (data) {
            say(phase, data.error || t("refused", { code: r.status }), "error");
            window.setTimeout(poll, 2000);
          });
        }, function () {   /* no answer: the box is restarting (or the network dropped) */
          window.clearTimeout(timer);
          wentDown = true;
          bar.hidden = true;
          say(phase, restarting || t("lost"), "info");
          window.setTimeout(poll, 2000);
        });
    };

    var watch = function () {
      if (!watching) { watching = true; window.setTimeout(poll, 300); }
    };

    var install = function () {
      say(phase, t("checking"), "info");
      var body = new URLSearchParams();
      body.set("force", $("force").checked ? "1" : "");
      fetch(box.getAttribute("data-install"), {
        method: "POST", credentials: "same-origin", body: body,
        headers: { "X-CSRF-Token": csrf, "Accept": "application/json" }
      }).then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (data) {
          if (!r.ok) { throw new Error(data.error || t("refused", { code: r.status })); }
          pending = 60;
          watch();
        });
      }).catch(function (err) {
        button.disabled = false;
        say(phase, err.message, "error");
      });
    };

    $("update-form").addEventListener("submit", function (e) {
      e.preventDefault();
      button.disabled = true;
      upload(box.getAttribute("data-upload"), $("bundle"), ".jnsupd",
             parseInt(box.getAttribute("data-max"), 10), sent, phase,
             function () { sent.hidden = true; install(); },
             function (message) {
               sent.hidden = true;
               button.disabled = false;
               say(phase, message, "error");
             });
    });

    var state = box.getAttribute("data-state");
    if (state && state !== "idle" && state !== "failed") { watch(); }   /* opened mid-install */
  }

  /* -- restore: upload the file, then its page asks for the passphrase ----------------- */
  var restoreForm = $("restore-form");
  if (restoreForm) {
    restoreForm.addEventListener("submit", function (e) {
      e.preventDefault();
      var go = $("restore-start");
      go.disabled = true;
      var phase = $("restore-phase");
      upload(restoreForm.getAttribute("data-upload"), $("restore-file"), ".jnsbak",
             parseInt(restoreForm.getAttribute("data-max"), 10), $("restore-upload"), phase,
             function (data) { window.location.assign(data.next); },
             function (message) { go.disabled = false; say(phase, message, "error"); });
    });
  }

  /* -- scheduled backups: only the chosen target's fields -------------------------------- */
  var kind = $("schedule-kind");
  if (kind) {
    var pick = function () {
      Array.prototype.forEach.call(document.querySelectorAll(".target-fields"), function (fs) {
        var on = fs.getAttribute("data-kind") === kind.value;
        fs.hidden = !on;
        fs.disabled = !on;
      });
    };
    kind.addEventListener("change", pick);
    pick();
  }

  /* -- a backup or restore job ----------------------------------------------------------- */
  var job = $("job");
  if (job && window.fetch) {
    var jobState = job.getAttribute("data-state");
    var pollJob = function () {
      fetch(job.getAttribute("data-poll"), { credentials: "same-origin", cache: "no-store" })
        .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
        .then(function (j) {
          var bar = $("job-progress");
          bar.value = j.percent;
          bar.textContent = j.percent + " %";
          say($("job-text"), j.text, "info");
          if (j.state === "running") {
            window.setTimeout(pollJob, 1000);
          } else {
            window.location.reload();   /* the server renders the result (download link...) */
          }
        })
        .catch(function () { window.setTimeout(pollJob, 2000); });
    };
    /* after a restore the box restarts: wait for it to go away and come back */
    var down = false;
    var pollBox = function () {
      fetch(job.getAttribute("data-ping"), { credentials: "same-origin", cache: "no-store" })
        .then(function (r) {
          if (!r.ok) { throw new Error(String(r.status)); }
          if (down) { window.location.assign(job.getAttribute("data-home")); return; }
          window.setTimeout(pollBox, 2000);
        })
        .catch(function () { down = true; window.setTimeout(pollBox, 2000); });
    };
    if (jobState === "running") {
      window.setTimeout(pollJob, 500);
    } else if (jobState === "done" && job.getAttribute("data-kind") === "restore") {
      window.setTimeout(pollBox, 2000);
    }
  }
}());
