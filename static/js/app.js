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
// A <select data-autosubmit> sends its form as soon as it changes (the language menu).
document.addEventListener("change", (event) => {
  const select = event.target.closest("select[data-autosubmit]");
  if (select) select.form.submit();
});
// Keyboard shortcut: "l" opens the quick log from anywhere but a text field.
document.addEventListener("keydown", (event) => {
  if (event.key !== "l" || event.ctrlKey || event.metaKey || event.altKey) return;
  if (event.target.closest("input, textarea, select, [contenteditable]")) return;
  const button = document.getElementById("quick-log-open");
  if (button) { event.preventDefault(); button.click(); }
});
// Search as you type for a client (the quick log when the user has too many clients for a list):
// an input with data-client-search="<url>" gets a <datalist> of matches, the user's own first.
(() => {
  let timer = null;
  const fill = async (input) => {
    const query = input.value.trim();
    if (query.length < 2) return;
    const listId = `${input.id || "client"}-matches`;
    let list = document.getElementById(listId);
    if (!list) {
      list = document.createElement("datalist");
      list.id = listId;
      input.after(list);
      input.setAttribute("list", listId);
    }
    try {
      const url = new URL(input.dataset.clientSearch, window.location.href);
      url.searchParams.set("q", query);
      const response = await fetch(url, { headers: { Accept: "application/json" } });
      if (!response.ok) return;
      const { results } = await response.json();
      list.replaceChildren(...results.map(({ ref, name }) => {
        const option = document.createElement("option");
        option.value = ref;
        option.label = `${name} (${ref})`;
        option.textContent = `${name} (${ref})`;
        return option;
      }));
    } catch (error) { /* offline for a moment: the user can still type the reference */ }
  };
  document.addEventListener("input", (event) => {
    const input = event.target.closest("input[data-client-search]");
    if (!input) return;
    window.clearTimeout(timer);
    timer = window.setTimeout(() => fill(input), 150);
  });
})();
// A form with data-confirm="question" asks before it is sent (an action that cannot be undone); with
// data-confirm-field and data-confirm-value, only when that field holds that value. Declined, the
// form is not sent and no other submit handler runs (a data-once button stays usable).
document.addEventListener("submit", (event) => {
  const form = event.target;
  const question = form.dataset.confirm;
  if (!question) return;
  const field = form.dataset.confirmField;
  if (field && form.elements[field]?.value !== form.dataset.confirmValue) return;
  if (!window.confirm(question)) {
    event.preventDefault();
    event.stopImmediatePropagation();
  }
});
// A <select data-switch> shows, in its form, only the fields whose data-when names its value: the
// others (their labels) are hidden and disabled, so that they are not sent. Without JavaScript, every
// field shows and the server reads only the one the choice takes.
(() => {
  const apply = (select) => {
    for (const field of select.form.querySelectorAll("[data-when]")) {
      const shown = field.dataset.when === select.value;
      (field.closest("label") || field).hidden = !shown;
      field.disabled = !shown;
    }
  };
  document.querySelectorAll("select[data-switch]").forEach(apply);
  document.addEventListener("change", (event) => {
    const select = event.target.closest("select[data-switch]");
    if (select) apply(select);
  });
})();
// A message goes when dismissed (data-dismiss); a success also fades by itself after a while.
(() => {
  const remove = (message) => {
    const list = message.parentElement;
    message.remove();
    if (list && !list.children.length) list.remove();
  };
  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-dismiss]");
    if (button) remove(button.closest(".message"));
  });
  document.querySelectorAll(".messages .message.success").forEach((message) => {
    setTimeout(() => {
      message.classList.add("fading");
      setTimeout(() => remove(message), 500);
    }, 8000);
  });
})();
