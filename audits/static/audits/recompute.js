// Polls the run's JSON status until it finishes, then goes back to the page the run was asked from
// (data-next), or reloads this one, to show the new figures.
(() => {
  const box = document.getElementById("run-progress");
  if (!box || !box.dataset.url) return;
  const status = box.querySelector("[data-status]");
  const bar = box.querySelector("[data-bar]");
  const poll = async () => {
    try {
      const response = await fetch(box.dataset.url, { headers: { Accept: "application/json" } });
      if (!response.ok) return;
      const run = await response.json();
      status.textContent = run.summary;
      if (!run.active) {
        bar.max = 1; bar.value = 1;
        if (!run.failed) window.setTimeout(() => window.location.assign(box.dataset.next || window.location.href), 1500);
        return;
      }
    } catch (error) { /* network hiccup: try again */ }
    window.setTimeout(poll, 2000);
  };
  poll();
})();
