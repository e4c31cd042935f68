// Render TeX with the bundled KaTeX: spans the generator marks (`<span class="arithmatex">$f$</span>`)
// and what pymdownx.arithmatex marks on hand-written pages. Without KaTeX the source text stays.
(function () {
  "use strict";
  var DELIMITERS = [["$$", "$$", true], ["\\[", "\\]", true], ["$", "$", false], ["\\(", "\\)", false]];

  function unwrap(source) {
    for (var i = 0; i < DELIMITERS.length; i++) {
      var open = DELIMITERS[i][0], close = DELIMITERS[i][1];
      if (source.length > open.length + close.length &&
          source.slice(0, open.length) === open && source.slice(-close.length) === close) {
        return { tex: source.slice(open.length, source.length - close.length), display: DELIMITERS[i][2] };
      }
    }
    return null;
  }

  function render(root) {
    if (typeof katex === "undefined") return;
    var spans = root.querySelectorAll(".arithmatex");
    for (var i = 0; i < spans.length; i++) {
      var el = spans[i];
      if (el.getAttribute("data-math-source") !== null) continue;
      var source = el.textContent.trim();
      var math = unwrap(source);
      if (!math) continue;
      try {
        // trust: false keeps \href and \url from making links out of digest text; maxSize and
        // maxExpand keep hostile TeX from drawing over the page or stalling it.
        katex.render(math.tex, el, {
          displayMode: math.display, throwOnError: false, strict: "ignore", trust: false, maxSize: 10, maxExpand: 100
        });
        el.setAttribute("data-math-source", source);
        el.setAttribute("title", source);
      } catch (err) {
        el.textContent = source;
      }
    }
  }

  if (typeof document$ !== "undefined") {
    document$.subscribe(function () { render(document.body); });
  } else {
    document.addEventListener("DOMContentLoaded", function () { render(document.body); });
  }
})();
