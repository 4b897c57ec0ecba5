// Progressive enhancement only: the apply form works without this.
// Fill in the candidate's time zone so "you'll hear from us by ..." uses their local date.
document.addEventListener("DOMContentLoaded", function () {
  var field = document.querySelector('input[name="time_zone"]');
  if (field && !field.value && window.Intl) {
    try { field.value = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) {}
  }
});
