// kaohe ledger: filter a list of choices as the inspector types (code, name or unit).
// Delegated on document so it keeps working after htmx swaps the page body.
document.addEventListener("input", (event) => {
  const box = event.target.closest ? event.target.closest("[data-filter]") : null;
  if (!box) return;
  const target = document.querySelector(box.dataset.filter);
  if (!target) return;
  const query = box.value.trim().toLowerCase();
  for (const el of target.querySelectorAll("[data-search], option")) {
    if (el.tagName === "OPTION" && el.value === "") continue;
    const text = (el.dataset.search || el.textContent).toLowerCase();
    el.hidden = query !== "" && !text.includes(query);
  }
});
