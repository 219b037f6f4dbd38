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

// After a save the list must not jump: a quick log also refreshes the follow-ups above the
// employer (a new group, a count), which would push the row the user is looking at down.
// Keep the swapped row where it was on the screen. The closed form is shorter than the open one:
// near the end of the page the browser would then scroll up to the new end (the row jumps down),
// so the page keeps at least the height it had.
(() => {
  let kept = null;
  document.addEventListener("htmx:beforeSwap", (event) => {
    const target = event.detail.target;
    if (!target || !target.id || !target.id.startsWith("employer-")) return;
    kept = { id: target.id, top: target.getBoundingClientRect().top };
    const height = document.documentElement.scrollHeight;
    if (height > (parseFloat(document.body.style.minHeight) || 0)) document.body.style.minHeight = `${height}px`;
  });
  const restore = () => {
    if (!kept) return;
    const row = document.getElementById(kept.id);
    if (!row) return;
    const moved = row.getBoundingClientRect().top - kept.top;
    if (Math.abs(moved) < 1) return;
    if (moved > 0) {
      // room to scroll on: the page may now end closer below the row
      const needed = document.body.offsetHeight + moved;
      if (needed > (parseFloat(document.body.style.minHeight) || 0)) document.body.style.minHeight = `${needed}px`;
    }
    window.scrollBy(0, moved);
  };
  document.addEventListener("htmx:afterSwap", restore);
  document.addEventListener("htmx:afterSettle", () => {
    restore();
    kept = null;
  });
})();
