// Worklist (Mijn werkvoorraad): htmx does the quick log, done and reschedule actions in place.
// When such a request fails (no permission, expired session, server error, no network), htmx
// swaps nothing; say so instead of leaving the user waiting.
(() => {
  const showError = () => {
    const box = document.getElementById("worklist-error");
    if (!box) return;
    box.textContent = box.dataset.message;
    box.classList.remove("d-none");
    box.scrollIntoView({ block: "nearest" });
  };
  document.addEventListener("htmx:responseError", showError);
  document.addEventListener("htmx:sendError", showError);
  document.addEventListener("htmx:beforeRequest", () => {
    const box = document.getElementById("worklist-error");
    if (box) box.classList.add("d-none");
  });
})();
