// Vacancy board (/vacatures/bord). The buttons on each card do the moves with htmx; this file
// only adds (1) a message when such a request fails without an answer to swap in (no network,
// no permission, expired session) and (2) drag-and-drop as a progressive enhancement: dropping
// a card on a column sends the same request as the card's button, or opens the card's reason
// form when the move needs a reason. Moves the workflow does not allow are sent too, so the
// server's Dutch message explains why the card stays.
(() => {
  const board = () => document.getElementById("vacancy-board");

  const showError = () => {
    const root = board();
    const box = document.getElementById("board-error");
    if (!root || !box) return;
    box.textContent = root.dataset.error;
    box.classList.remove("d-none");
    box.scrollIntoView({ block: "nearest" });
  };
  document.addEventListener("htmx:responseError", showError);
  document.addEventListener("htmx:sendError", showError);
  // Signed out meanwhile: the answer is the sign-in page; load the board again (which asks to
  // sign in and returns here) instead of putting that page inside the board.
  document.addEventListener("htmx:beforeSwap", (event) => {
    const url = event.detail.xhr && event.detail.xhr.responseURL;
    if (url && new URL(url).pathname === "/login") {
      event.detail.shouldSwap = false;
      window.location.reload();
    }
  });

  let dragged = null;

  document.addEventListener("dragstart", (event) => {
    const card = event.target.closest && event.target.closest(".vacancy-card[draggable=true]");
    if (!card) return;
    dragged = card;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.dataset.vacancy);
    card.classList.add("opacity-50");
  });

  document.addEventListener("dragend", () => {
    if (dragged) dragged.classList.remove("opacity-50");
    dragged = null;
    document.querySelectorAll(".board-column.border-primary").forEach((c) => c.classList.remove("border-primary"));
  });

  const columnOf = (event) => event.target.closest && event.target.closest(".board-column");

  document.addEventListener("dragover", (event) => {
    const column = columnOf(event);
    if (!dragged || !column) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    document.querySelectorAll(".board-column.border-primary").forEach((c) => {
      if (c !== column) c.classList.remove("border-primary");
    });
    column.classList.add("border-primary");
  });

  document.addEventListener("drop", (event) => {
    const column = columnOf(event);
    const card = dragged;
    if (!card || !column) return;
    event.preventDefault();
    const target = column.dataset.status;
    const from = card.dataset.status;
    if (target === from) return;
    // A move that needs a reason: open the card's reason form with this status chosen.
    const reasonForm = Array.from(card.querySelectorAll("details.vacancy-move-reason")).find((d) =>
      d.dataset.targets.split(" ").includes(target),
    );
    if (reasonForm) {
      reasonForm.open = true;
      const select = reasonForm.querySelector("select[name=naar]");
      if (select) select.value = target;
      const reason = reasonForm.querySelector("textarea[name=reden]");
      // after the drag has finished, or the browser takes the focus back
      if (reason) window.setTimeout(() => reason.focus(), 0);
      card.scrollIntoView({ block: "nearest" });
      return;
    }
    window.htmx.ajax("POST", card.dataset.moveUrl, {
      source: card,
      target: "#vacancy-board",
      swap: "outerHTML",
      values: { naar: target, van: from, bron: "bord" },
    });
  });
})();
