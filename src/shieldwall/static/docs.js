// ReDoc draws a <select> to switch between a schema's alternatives without naming it: name it,
// so that screen readers (and axe-core's select-name rule) know what it chooses.
new MutationObserver(() => {
  for (const select of document.querySelectorAll("select:not([aria-label])")) {
    select.setAttribute("aria-label", "Schema variant");
  }
}).observe(document.documentElement, { childList: true, subtree: true });
