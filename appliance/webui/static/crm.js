// The contact card: choosing a note template puts its text into the note (unless the
// note already holds something else the agent typed).
document.addEventListener("DOMContentLoaded", function () {
  var select = document.getElementById("note-template");
  var body = document.getElementById("note-body");
  if (!select || !body) return;
  var last = "";
  select.addEventListener("change", function () {
    var option = select.options[select.selectedIndex];
    var text = option ? (option.getAttribute("data-body") || "") : "";
    if (body.value.trim() === "" || body.value === last) {
      body.value = text;
    } else if (text) {
      body.value = body.value.replace(/\s*$/, "") + "\n\n" + text;
    }
    last = body.value;
    body.focus();
  });
});
