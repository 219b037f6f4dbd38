// Employer form: show the arbeidsmarktregio of the municipality chosen from the list.
document.addEventListener("input", (event) => {
  const input = event.target;
  if (!input.matches("input[list=gemeenten]")) return;
  const list = document.getElementById("gemeenten");
  const help = document.getElementById(input.id + "-help");
  if (!list || !help) return;
  const typed = input.value.trim().toLowerCase();
  const option = Array.from(list.options).find((o) => o.value.toLowerCase() === typed);
  help.setAttribute("aria-live", "polite");
  help.textContent = option
    ? list.dataset.regionLabel.replace("{region}", option.dataset.region)
    : list.dataset.hint;
});
