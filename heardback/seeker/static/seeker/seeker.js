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
