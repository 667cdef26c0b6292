// Opens and closes <dialog> elements: a button with data-dialog="id" opens, data-close closes.
document.addEventListener("click", (event) => {
  const opener = event.target.closest("[data-dialog]");
  if (opener) {
    const dialog = document.getElementById(opener.dataset.dialog);
    if (dialog) {
      dialog.showModal();
      const first = dialog.querySelector("select, input:not([type=hidden]), textarea");
      if (first) first.focus();
    }
  }
  const closer = event.target.closest("[data-close]");
  if (closer) closer.closest("dialog").close();
});
// Keyboard shortcut: "l" opens the quick log from anywhere but a text field.
document.addEventListener("keydown", (event) => {
  if (event.key !== "l" || event.ctrlKey || event.metaKey || event.altKey) return;
  if (event.target.closest("input, textarea, select, [contenteditable]")) return;
  const button = document.getElementById("quick-log-open");
  if (button) { event.preventDefault(); button.click(); }
});
