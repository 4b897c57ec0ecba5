// Copy a draft to the clipboard. Falls back to selecting the text for Ctrl+C.
document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-copy-target]");
  if (!button) return;
  const source = document.getElementById(button.dataset.copyTarget);
  const status = button.parentElement.querySelector(".copied");
  try {
    await navigator.clipboard.writeText(source.value);
    if (status) status.textContent = "Copied.";
  } catch (error) {
    source.select();
    if (status) status.textContent = "Selected: press Ctrl+C (or ⌘C) to copy.";
  }
});

// Sign-up: preselect the browser's own time zone if the list has it (the server checks it).
document.addEventListener("DOMContentLoaded", () => {
  const select = document.querySelector("select[data-guess-time-zone]");
  if (!select || select.value !== "UTC" || !window.Intl) return;
  try {
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone && [...select.options].some((option) => option.value === zone)) select.value = zone;
  } catch (error) { /* keep UTC */ }
});
