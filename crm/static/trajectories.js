// Trajectory form: Enter in the employer search searches (htmx) instead of submitting the form.
document.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && event.target.matches("#employer-q")) {
    event.preventDefault();
    if (window.htmx) window.htmx.trigger(event.target, "search");
  }
});
