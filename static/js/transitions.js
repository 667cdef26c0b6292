// A button with data-once sends its form one time: a second click while the page loads does nothing.
// (The server sends a letter once whatever happens; this only spares a useless second request.)
document.addEventListener("submit", (event) => {
  const button = event.target.querySelector("button[data-once]");
  if (!button || event.defaultPrevented) return;
  if (button.dataset.sent) {
    event.preventDefault();
    return;
  }
  button.dataset.sent = "1";
  button.setAttribute("aria-disabled", "true");
});
