// Follows a background import: polls its status and reloads the page when it is done.
(() => {
  const box = document.getElementById("import-progress");
  if (!box || !box.dataset.statusUrl) return;
  const bar = box.querySelector("progress");
  const count = document.getElementById("import-progress-count");
  const label = document.getElementById("import-progress-label");
  const poll = async () => {
    try {
      const response = await fetch(box.dataset.statusUrl, { headers: { Accept: "application/json" } });
      if (response.ok) {
        const state = await response.json();
        if (!state.running) { window.location.reload(); return; }
        bar.max = state.total; bar.value = state.processed;
        count.textContent = state.processed.toLocaleString();
        label.textContent = state.label;
      }
    } catch (error) { /* network hiccup: try again */ }
    window.setTimeout(poll, 1000);
  };
  window.setTimeout(poll, 1000);
})();
