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
