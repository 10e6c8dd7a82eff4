// Graph pages: expand a subflow node to show its inner graph; a node is focusable, and
// Enter or a click on it asks the page (the run page) to show that node's logs.
"use strict";
(function () {
  document.addEventListener("click", (event) => {
    const button = event.target.closest("button.expand");
    if (!button) return;
    const section = document.getElementById("sub-" + button.dataset.sub);
    if (!section) return;
    const open = section.hidden;
    section.hidden = !open;
    button.setAttribute("aria-expanded", String(open));
    button.textContent = open ? "collapse" : "expand";
    if (open) section.scrollIntoView({ block: "nearest" });
  });
  function pick(node) {
    document.dispatchEvent(new CustomEvent("node-picked", { detail: node.dataset.node }));
  }
  document.addEventListener("keydown", (event) => {
    const node = event.target.closest && event.target.closest(".node");
    if (node && event.target === node && (event.key === "Enter" || event.key === " ")) {
      event.preventDefault();
      pick(node);
    }
  });
  document.addEventListener("click", (event) => {
    const node = event.target.closest(".node");
    if (node && !event.target.closest("button")) pick(node);
  });
})();
