// Werkgeverscrm behaviour. No inline scripts: everything lives in static files.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-confirm]");
  if (button && !window.confirm(button.dataset.confirm)) {
    event.preventDefault();
  }
});

// A "Kopiëren" button (data-copy="#input"): copies the input's value, e.g. the calendar address,
// and says so in the element named by aria-describedby. Falls back to selecting the text.
document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const input = document.querySelector(button.dataset.copy);
  const status = document.getElementById(button.getAttribute("aria-describedby"));
  if (!input) return;
  input.select();
  try {
    await navigator.clipboard.writeText(input.value);
  } catch {
    document.execCommand("copy");
  }
  if (status) status.textContent = button.dataset.copied || "";
});
