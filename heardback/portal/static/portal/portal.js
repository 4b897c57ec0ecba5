// Progressive enhancement only: the apply form works without this.
// Fill in the candidate's time zone so "you'll hear from us by ..." uses their local date.
document.addEventListener("DOMContentLoaded", function () {
  var field = document.querySelector('input[name="time_zone"]');
  if (field && !field.value && window.Intl) {
    try { field.value = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) {}
  }
});

// Prefill "the name we should greet you by" from the name as it is typed, with the server's
// rules (hiring/names.py): the first word that is not a title ("Dr. Ana López" -> "Ana";
// "López, Ana" -> "Ana"). Once the candidate edits the field themselves, it is theirs.
document.addEventListener("DOMContentLoaded", function () {
  var name = document.querySelector('input[name="name"]');
  var greeting = document.querySelector('input[name="greeting_name"][data-titles]');
  if (!name || !greeting) { return; }
  var titles = (greeting.getAttribute("data-titles") || "").split(" ");
  var dotted = (greeting.getAttribute("data-dotted-titles") || "").split(" ");
  function bare(word) { return word.replace(/^[.,]+|[.,]+$/g, "").split(".").join("").toLowerCase(); }
  function isTitle(word) {
    var b = bare(word);
    return titles.indexOf(b) >= 0 || (/\.,?$/.test(word) && dotted.indexOf(b) >= 0);
  }
  function guess(full) {
    var text = full.split(/\s+/).join(" ").trim();
    var parts = text.split(",");
    if (parts.length === 2) {
      var family = parts[0].trim(), given = parts[1].trim();
      if (family && given && !given.split(" ").every(isTitle)) { text = given + " " + family; }
    }
    var words = text.split(" ").filter(function (w) { return w; });
    for (var i = 0; i < words.length; i++) {
      if (!isTitle(words[i])) { return words[i].slice(0, 100); }
    }
    return text.slice(0, 100);
  }
  var own = greeting.value !== "" && greeting.value !== guess(name.value);
  greeting.addEventListener("input", function () { own = greeting.value !== ""; });
  name.addEventListener("input", function () { if (!own) { greeting.value = guess(name.value); } });
});
