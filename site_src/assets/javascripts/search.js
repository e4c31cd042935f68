// The archive's search page: Pagefind's UI over the index that hooks/search.py writes into the
// built site at pagefind/. The header box on every page sends its query here as ?q=.
(function () {
  "use strict";

  // The site root, from the header form (MkDocs' base_url: ".", "../..", "/" on the 404 page).
  function siteRoot() {
    var form = document.querySelector("form.pa-search-box");
    var base = (form && form.getAttribute("data-root")) || ".";
    return new URL(base.replace(/\/?$/, "/"), document.baseURI);
  }

  function loadScript(src, done) {
    var script = document.createElement("script");
    script.src = src;
    script.onload = done;
    document.head.appendChild(script);
  }

  function loadStyle(href) {
    var link = document.createElement("link");
    link.rel = "stylesheet";
    link.href = href;
    document.head.appendChild(link);
  }

  function start() {
    var container = document.getElementById("pa-search");
    var root = siteRoot();
    var query = new URLSearchParams(window.location.search).get("q") || "";
    var box = document.getElementById("pa-search-input");
    if (box && query) box.value = query;
    if (!container || container.getAttribute("data-started")) return;
    container.setAttribute("data-started", "1");
    var bundle = new URL("pagefind/", root).href;
    loadStyle(bundle + "pagefind-ui.css");
    loadScript(bundle + "pagefind-ui.js", function () {
      var ui = new PagefindUI({
        element: "#pa-search",
        bundlePath: bundle,
        baseUrl: root.pathname,
        showImages: false,
        showSubResults: false,
        resetStyles: false,
        pageSize: 10,
        debounceTimeoutMs: 150,
        excerptLength: 30,
        processResult: function (result) {
          // Show each paper's newest date with its title.
          var date = result.meta && result.meta.date;
          if (date) result.meta.title = result.meta.title + " \u2014 " + date;
          return result;
        }
      });
      if (query) ui.triggerSearch(query);
    });
    // Load Pagefind's engine, index metadata and filters now, not on the first keystroke: a
    // search for a word no paper has loads them. The UI imports the same module and finds it warm.
    import(bundle + "pagefind.js").then(function (pagefind) {
      return pagefind.options({ baseUrl: root.pathname }).then(function () {
        return Promise.all([pagefind.search("qqqzzxj"), pagefind.filters()]);
      });
    }).catch(function () { /* the UI reports search failures itself */ });
  }

  if (typeof document$ !== "undefined") {
    document$.subscribe(start);
  } else {
    document.addEventListener("DOMContentLoaded", start);
  }
})();
