// MathJax 3 for the lesson pages, served by the site itself (the site works offline).
// mkdocs-jupyter loads this file as its `custom_mathjax_url`; the MathJax 2 configuration its
// template writes beside it is ignored by MathJax 3, so the configuration is here. The MathJax
// files (tex-chtml.js, the TeX extensions, the CHTML fonts) are copied into mathjax/ next to
// this file by docs/hooks/ship_mathjax.py.
(function () {
  var root = new URL("mathjax/", document.currentScript.src).href;
  window.MathJax = {
    tex: {
      inlineMath: [["$", "$"], ["\\(", "\\)"]],
      displayMath: [["$$", "$$"], ["\\[", "\\]"]],
      processEscapes: true,
    },
    // Where tex-chtml.js finds the extensions and fonts it loads on demand.
    loader: { paths: { mathjax: root.replace(/\/$/, "") } },
  };
  var script = document.createElement("script");
  script.src = root + "tex-chtml.js";
  script.async = true;
  document.head.appendChild(script);
})();
