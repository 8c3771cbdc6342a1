// Loaded just before require.js and html-manager/embed-amd.js on pages with widgets
// (see _config.yml).

// require.js reads this object as its configuration. embed-amd.js loads its icon fonts
// from beside the module's address, `<baseUrl>/@jupyter-widgets/html-manager/dist/`;
// the default baseUrl is the page's folder (chapters/), the fonts are in the site's root.
window.require = { baseUrl: new URL("../", document.currentScript.src).href };

// ipywidgets 8 typesets widget labels with MathJax 2's `MathJax.Hub.Queue`, which
// throws under MathJax 3: do it with MathJax 3, which takes \(...\) but not $...$.
window.addEventListener("load", () => {
  if (window.MathJax && !window.MathJax.Hub) {
    window.MathJax.Hub = {
      Queue: ([, , element]) => {
        element.textContent = element.textContent.replace(/\$([^$]+)\$/g, "\\($1\\)");
        return window.MathJax.typesetPromise?.([element]);
      },
    };
  }
});

// The widget views on this site are drawn from the state stored in the notebook: nothing
// computes behind them, so a control that moved would leave the figure stale. Mark each
// view as static and make its controls inert (html-manager renders every view into a
// `div.widget-subarea` it inserts before the view's <script>, some of them after load).
const STATIC_NOTE =
  "A static view of the explorer: the controls are inert here. " +
  "Run the chapter (make lab, or the launch buttons) to move them.";

function makeInert(view) {
  view.classList.add("nnlib-static-widget");
  view.setAttribute("aria-disabled", "true");
  for (const control of view.querySelectorAll("input, select, button, textarea")) {
    if (!control.disabled) control.disabled = true;
    control.tabIndex = -1;
  }
  // Sliders are drawn with focusable <div>s (noUiSlider) and an editable readout.
  for (const el of view.querySelectorAll("[contenteditable='true'], [contenteditable='']")) {
    el.contentEditable = "false";
  }
  for (const el of view.querySelectorAll("[tabindex]:not([tabindex='-1'])")) el.tabIndex = -1;
  const note = view.previousElementSibling;
  if (!(note && note.classList.contains("nnlib-static-widget-note"))) {
    const p = document.createElement("p");
    p.className = "nnlib-static-widget-note";
    p.setAttribute("role", "note");
    p.textContent = STATIC_NOTE;
    view.parentElement.insertBefore(p, view);
  }
}

document.addEventListener("DOMContentLoaded", () => {
  let queued = false;
  const sweep = () => {
    queued = false;
    for (const view of document.querySelectorAll(".widget-subarea")) makeInert(view);
  };
  // Views and their children appear asynchronously; re-sweep (batched) on every change.
  new MutationObserver(() => {
    if (!queued) {
      queued = true;
      requestAnimationFrame(sweep);
    }
  }).observe(document.body, { childList: true, subtree: true });
  sweep();
});
