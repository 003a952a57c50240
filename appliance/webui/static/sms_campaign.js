/* JNS Call Center: the SMS campaign form's live counter.  Vanilla JS, no libraries.
 *
 * Counts the text as typed the way the modem service will send it (appliance/hal/pdu.py):
 * GSM 7-bit when every character is in the alphabet the server put in data-gsm7 /
 * data-gsm7-ext (extension characters such as € and { } take two septets), else UCS-2;
 * 160 / 153 septets or 70 / 67 UTF-16 units per part.  The labels come translated from the
 * page.  Only a hint: the campaign's preview, computed by the server for every contact's
 * own text, is the truth.
 */
(function () {
  "use strict";
  var box = document.getElementById("text");
  var out = document.getElementById("sms-counter");
  if (!box || !out) { return; }
  var basic = box.getAttribute("data-gsm7") || "";
  var ext = box.getAttribute("data-gsm7-ext") || "";

  function count(text) {
    var septets = 0, units = 0, bad = [], chars = Array.from(text);
    chars.forEach(function (ch) {
      if (basic.indexOf(ch) >= 0) { septets += 1; }
      else if (ext.indexOf(ch) >= 0) { septets += 2; }
      else if (bad.indexOf(ch) < 0) { bad.push(ch); }
      units += ch.length;           // a surrogate pair (emoji) is two UTF-16 units
    });
    var ucs2 = bad.length > 0;
    var used = ucs2 ? units : septets;
    var single = ucs2 ? 70 : 160, per = ucs2 ? 67 : 153;
    var parts = used === 0 ? 0 : (used <= single ? 1 : Math.ceil(used / per));
    return {chars: chars.length, ucs2: ucs2, bad: bad, parts: parts};
  }

  function show() {
    var c = count(box.value.replace(/\r\n/g, "\n"));
    var text = out.getAttribute("data-t-chars") + ": " + c.chars + " · " +
      out.getAttribute("data-t-parts") + ": " + c.parts + " · ";
    text += c.ucs2 ? out.getAttribute("data-t-ucs2") + " " + c.bad.join(" ")
                   : out.getAttribute("data-t-gsm7");
    out.textContent = text;
    out.setAttribute("data-encoding", c.ucs2 ? "ucs2" : "gsm7");
  }

  box.addEventListener("input", show);
  show();
})();
