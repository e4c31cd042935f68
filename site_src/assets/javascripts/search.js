// The archive's search page, over the static index the generator writes to search-index/
// (see generator/search.py for its layout). A query fetches meta.json once, then only the
// term shards its words live in and the few paper records it shows. The header box on every
// page sends its query here as ?q=.
//
// Digest text is untrusted: everything from the index reaches the page as text nodes
// (textContent), never as HTML.
(function () {
  "use strict";

  var PAGE_SIZE = 10;
  var SNIPPET_WORDS = 32;
  var PREFIX_MIN = 3; // the word being typed also matches longer words from this length
  var PREFIX_WEIGHT = 0.7; // a longer word counts a little less than the word itself

  // ---- Text to terms: the same steps as generator/search.py (a test checks they agree).

  function fold(text) {
    return text.normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase();
  }

  function stem(word) {
    if (word.length <= 3 || word.charAt(word.length - 1) !== "s") return word;
    if (/sses$/.test(word)) return word.slice(0, -2);
    if (/ies$/.test(word)) return word.slice(0, -3) + "y";
    if (/(ss|us|is)$/.test(word)) return word;
    return word.slice(0, -1);
  }

  var TOKEN = /[\p{L}\p{N}]+(?:-[\p{L}\p{N}]+)*/gu;

  function words(text) {
    var out = [];
    var tokens = fold(text).match(TOKEN) || [];
    tokens.forEach(function (token) {
      if (token.indexOf("-") >= 0) {
        var parts = token.split("-");
        out.push.apply(out, parts);
        out.push(parts.join(""));
      } else {
        out.push(token);
      }
    });
    return out;
  }

  function terms(text, stopWords) {
    return words(text)
      .filter(function (w) { return !stopWords.has(w); })
      .map(stem);
  }

  // ---- The index.

  function Index(base) {
    this.base = base;
    this.cache = new Map();
    this.meta = null;
  }

  Index.prototype.json = function (path) {
    var url = this.base + path;
    if (!this.cache.has(url)) {
      var request = fetch(url).then(function (response) {
        if (!response.ok) throw new Error(url + ": " + response.status);
        return response.json();
      });
      request.catch(function () {});
      this.cache.set(url, request);
    }
    return this.cache.get(url);
  };

  Index.prototype.load = function () {
    var self = this;
    return this.json("meta.json").then(function (meta) {
      self.meta = meta;
      self.stopWords = new Set(meta.stopWords);
      self.shards = new Set(meta.shards);
      return meta;
    });
  };

  // The shard a term is filed under: the longest listed prefix it starts with.
  Index.prototype.shardOf = function (term) {
    for (var length = term.length; length > 0; length--) {
      var prefix = term.slice(0, length);
      if (this.shards.has(prefix)) return prefix;
    }
    return null;
  };

  Index.prototype.shardPath = function (prefix) {
    if (/^[a-z0-9]+$/.test(prefix)) return "terms/" + prefix + ".json";
    var hex = Array.from(new TextEncoder().encode(prefix), function (b) {
      return b.toString(16).padStart(2, "0");
    }).join("");
    return "terms/x" + hex + ".json";
  };

  // {term: posting list} for a word and, when `prefix`, every longer word that starts with it.
  Index.prototype.lookup = function (word, prefix) {
    var self = this;
    var wanted = new Set();
    var exact = this.shardOf(word);
    if (exact) wanted.add(exact);
    if (prefix) {
      this.meta.shards.forEach(function (shard) {
        if (shard.length > word.length && shard.slice(0, word.length) === word) wanted.add(shard);
      });
    }
    return Promise.all(Array.from(wanted, function (shard) {
      return self.json(self.shardPath(shard));
    })).then(function (shards) {
      var found = {};
      shards.forEach(function (shard) {
        Object.keys(shard).forEach(function (term) {
          if (term === word || (prefix && term.slice(0, word.length) === word)) found[term] = shard[term];
        });
      });
      return found;
    });
  };

  Index.prototype.numbers = function (path) {
    return this.json(path).then(function (gaps) {
      var out = new Array(gaps.length);
      var last = 0;
      for (var i = 0; i < gaps.length; i++) out[i] = last += gaps[i];
      return out;
    });
  };

  Index.prototype.doc = function (number) {
    var chunk = this.meta.docChunk;
    return this.json("docs/" + Math.floor(number / chunk) + ".json").then(function (docs) {
      var doc = docs[number % chunk];
      return {
        number: number, url: doc[0], title: doc[1], date: doc[2], topics: doc[3], abstract: doc[4],
        authors: doc[5], authorCount: doc[6]
      };
    });
  };

  // The query's groups of terms: each word, folded and stemmed; the word still being typed
  // (no space after it) also matches the longer words it starts.
  Index.prototype.parse = function (query) {
    var self = this;
    var list = words(query).filter(function (w) { return !self.stopWords.has(w); });
    var typing = list.length > 0 && !/\s$/.test(query) && fold(query).match(TOKEN) !== null;
    var seen = new Set();
    var groups = [];
    list.forEach(function (word, i) {
      var prefix = typing && i === list.length - 1 && word.length >= PREFIX_MIN ? word : null;
      var key = stem(word) + (prefix ? "*" : "");
      if (seen.has(key)) return;
      seen.add(key);
      groups.push({ term: stem(word), prefix: prefix });
    });
    return groups;
  };

  // Score every paper that has each group's terms (or, if none has all, some of them).
  Index.prototype.search = function (query, filters) {
    var self = this;
    var groups = this.parse(query);
    var filterLists = filters.map(function (f) { return self.numbers("filters/" + f + ".json"); });
    var lookups = groups.map(function (g) {
      return Promise.all([self.lookup(g.term, false), g.prefix ? self.lookup(g.prefix, true) : {}]);
    });
    return Promise.all([Promise.all(lookups), Promise.all(filterLists)]).then(function (loaded) {
      var found = loaded[0];
      var allowed = null;
      loaded[1].forEach(function (numbers) {
        var set = new Set(numbers);
        allowed = allowed === null ? set : new Set(Array.from(allowed).filter(function (n) { return set.has(n); }));
      });
      var total = self.meta.papers;
      var scores = new Map();
      var matched = new Map();
      found.forEach(function (pair, g) {
        var best = new Map(); // paper -> best weighted impact within this group
        [[pair[0], 1], [pair[1], PREFIX_WEIGHT]].forEach(function (source) {
          var postings = source[0];
          Object.keys(postings).forEach(function (term) {
            var list = postings[term];
            var df = list.length / 2;
            var idf = Math.log(1 + (total - df + 0.5) / (df + 0.5));
            var weight = (term === groups[g].term ? 1 : source[1]) * idf;
            var number = 0;
            for (var i = 0; i < list.length; i += 2) {
              number += list[i];
              if (allowed !== null && !allowed.has(number)) continue;
              var value = weight * list[i + 1];
              if (!(best.get(number) >= value)) best.set(number, value);
            }
          });
        });
        best.forEach(function (value, number) {
          scores.set(number, (scores.get(number) || 0) + value);
          matched.set(number, (matched.get(number) || 0) + 1);
        });
      });
      var hits;
      var all = true;
      if (groups.length === 0) {
        hits = allowed === null ? [] : Array.from(allowed, function (n) { return { number: n, score: 0, matched: 0 }; });
      } else {
        hits = [];
        matched.forEach(function (count, number) {
          if (count === groups.length) hits.push({ number: number, score: scores.get(number), matched: count });
        });
        if (hits.length === 0 && groups.length > 1) {
          all = false;
          matched.forEach(function (count, number) {
            hits.push({ number: number, score: scores.get(number), matched: count });
          });
        }
      }
      return { hits: hits, all: all, groups: groups };
    });
  };

  // ---- The page.

  function siteRoot() {
    var form = document.querySelector("form.pa-search-box");
    var base = (form && form.getAttribute("data-root")) || ".";
    return new URL(base.replace(/\/?$/, "/"), document.baseURI);
  }

  function element(tag, attributes, text) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) { node.setAttribute(name, attributes[name]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function option(value, label) {
    var node = element("option", { value: value }, label);
    return node;
  }

  // The abstract's SNIPPET_WORDS-word stretch with the most query words, matches marked.
  function snippet(abstract, groups, stopWords) {
    var pieces = abstract.split(/(\s+)/);
    var hits = [];
    var wordsAt = [];
    pieces.forEach(function (piece, i) {
      if (i % 2 === 1 || piece === "") return;
      wordsAt.push(i);
      var found = words(piece).some(function (w) {
        if (stopWords.has(w)) return false;
        var s = stem(w);
        return groups.some(function (g) {
          return s === g.term || (g.prefix && w.slice(0, g.prefix.length) === g.prefix);
        });
      });
      hits.push(found ? 1 : 0);
    });
    var best = 0;
    var bestCount = -1;
    var count = 0;
    for (var i = 0; i < hits.length; i++) {
      count += hits[i];
      if (i >= SNIPPET_WORDS) count -= hits[i - SNIPPET_WORDS];
      var start = Math.max(0, i - SNIPPET_WORDS + 1);
      if (count > bestCount) { bestCount = count; best = start; }
    }
    var end = Math.min(hits.length, best + SNIPPET_WORDS);
    var out = element("p", { class: "pa-result__snippet" });
    if (best > 0) out.appendChild(document.createTextNode("\u2026 "));
    for (var k = best; k < end; k++) {
      var text = pieces[wordsAt[k]];
      out.appendChild(hits[k] ? element("mark", {}, text) : document.createTextNode(text));
      if (k + 1 < end) out.appendChild(document.createTextNode(" "));
    }
    if (end < hits.length) out.appendChild(document.createTextNode(" \u2026"));
    return out;
  }

  function Page(container, root) {
    this.root = root;
    this.index = new Index(new URL("search-index/", root).href);
    this.container = container;
    this.version = 0;
    this.hits = [];
    this.shown = 0;
  }

  Page.prototype.build = function (meta) {
    var params = new URLSearchParams(window.location.search);
    var form = this.container.querySelector("form.pa-search-form");
    form.addEventListener("submit", function (event) { event.preventDefault(); });
    this.input = document.getElementById("pa-search-query");
    // Keep what was typed while the index loaded; else take the query from the address.
    if (!this.input.value) this.input.value = params.get("q") || "";
    var controls = element("div", { class: "pa-search-form__filters" });
    this.topic = this.select(controls, "pa-search-topic", "Topic", "All topics", meta.topics.map(function (t) {
      return [t[1], t[0] + " (" + t[2] + ")"];
    }));
    this.year = this.select(controls, "pa-search-year", "Year", "Any year", meta.years.map(function (y) {
      return [y[0], y[0] + " (" + y[1] + ")"];
    }));
    this.month = this.select(controls, "pa-search-month", "Month", "Any month", []);
    this.sort = this.select(controls, "pa-search-sort", "Order", null, [["relevance", "Best match"], ["newest", "Newest first"]]);
    form.appendChild(controls);
    this.status = element("p", { class: "pa-search-status", role: "status", "aria-live": "polite" });
    this.list = element("ol", { class: "pa-results" });
    this.more = element("button", { type: "button", class: "md-button pa-results__more", hidden: "" }, "More results");
    this.container.append(this.status, this.list, this.more);
    this.topic.value = params.get("topic") || "";
    this.year.value = params.get("year") || "";
    this.fillMonths(meta);
    this.month.value = params.get("month") || "";
    this.sort.value = params.get("sort") === "newest" ? "newest" : "relevance";
    var self = this;
    var timer = null;
    this.input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { self.run(); }, 40);
    });
    this.year.addEventListener("change", function () { self.fillMonths(meta); self.run(); });
    [this.topic, this.month, this.sort].forEach(function (select) {
      select.addEventListener("change", function () { self.run(); });
    });
    this.more.addEventListener("click", function () { self.showMore(); });
    var header = document.getElementById("pa-search-input");
    if (header) header.value = this.input.value;
  };

  Page.prototype.select = function (parent, id, label, any, options) {
    var wrapper = element("label", { class: "pa-search-form__filter", for: id }, label + " ");
    var select = element("select", { id: id });
    if (any !== null) select.appendChild(option("", any));
    options.forEach(function (o) { select.appendChild(option(o[0], o[1])); });
    wrapper.appendChild(select);
    parent.appendChild(wrapper);
    return select;
  };

  Page.prototype.fillMonths = function (meta) {
    var year = this.year.value;
    var current = this.month.value;
    this.month.textContent = "";
    this.month.appendChild(option("", "Any month"));
    var self = this;
    meta.months.forEach(function (m) {
      if (!year || m[0].slice(0, 4) === year) self.month.appendChild(option(m[0], m[0] + " (" + m[1] + ")"));
    });
    this.month.value = Array.from(this.month.options).some(function (o) { return o.value === current; }) ? current : "";
    this.month.disabled = this.month.options.length <= 1;
  };

  Page.prototype.remember = function () {
    var params = new URLSearchParams();
    if (this.input.value) params.set("q", this.input.value);
    if (this.topic.value) params.set("topic", this.topic.value);
    if (this.year.value) params.set("year", this.year.value);
    if (this.month.value) params.set("month", this.month.value);
    if (this.sort.value === "newest") params.set("sort", "newest");
    var search = params.toString();
    history.replaceState(null, "", window.location.pathname + (search ? "?" + search : ""));
  };

  Page.prototype.run = function () {
    var self = this;
    var version = ++this.version;
    var filters = [];
    if (this.topic.value) filters.push("topic/" + this.topic.value);
    if (this.year.value) filters.push("year/" + this.year.value);
    if (this.month.value) filters.push("month/" + this.month.value);
    this.remember();
    var query = this.input.value;
    if (!query.trim() && filters.length === 0) {
      this.hits = [];
      this.list.textContent = "";
      this.more.hidden = true;
      this.status.textContent = "Type to search " + this.index.meta.papers + " papers, or pick a topic or date.";
      return Promise.resolve();
    }
    return this.index.search(query, filters).then(function (result) {
      if (version !== self.version) return;
      var newest = self.sort.value === "newest" || result.groups.length === 0;
      result.hits.sort(function (a, b) {
        if (!newest && a.matched !== b.matched) return b.matched - a.matched;
        if (!newest && a.score !== b.score) return b.score - a.score;
        return b.number - a.number; // newer papers first
      });
      self.hits = result.hits;
      self.groups = result.groups;
      self.shown = 0;
      self.list.textContent = "";
      var n = result.hits.length;
      var noun = n === 1 ? " paper" : " papers";
      if (n === 0) {
        self.status.textContent = "No paper matches.";
      } else if (!result.all) {
        self.status.textContent = "No paper has all these words; " + n + noun + " have some of them.";
      } else {
        self.status.textContent = n + noun;
      }
      return self.showMore(version);
    }).catch(function (error) {
      if (version !== self.version) return;
      self.status.textContent = "Search failed: " + error.message;
    });
  };

  Page.prototype.showMore = function (version) {
    var self = this;
    version = version || this.version;
    var page = this.hits.slice(this.shown, this.shown + PAGE_SIZE);
    this.shown += page.length;
    this.more.hidden = this.shown >= this.hits.length;
    return Promise.all(page.map(function (hit) { return self.index.doc(hit.number); })).then(function (docs) {
      if (version !== self.version) return;
      docs.forEach(function (doc) { self.list.appendChild(self.result(doc)); });
      // What the results on screen answer (tests and the benchmark wait for it).
      self.container.setAttribute("data-shown", self.input.value);
    });
  };

  Page.prototype.result = function (doc) {
    var meta = this.index.meta;
    var item = element("li", { class: "pa-result" });
    var heading = element("h3", { class: "pa-result__title" });
    heading.appendChild(element("a", { href: new URL(doc.url, this.root).pathname, class: "pa-result__link" }, doc.title));
    item.appendChild(heading);
    if (doc.authorCount > 0) {
      var names = doc.authors.slice(0, 3).join(", ") + (doc.authorCount > 3 ? " et al." : "");
      item.appendChild(element("p", { class: "pa-result__authors" }, names));
    }
    var line = element("p", { class: "pa-result__meta" });
    line.appendChild(element("span", { class: "pa-result__date" }, doc.date || "undated"));
    var root = this.root;
    doc.topics.forEach(function (number) {
      var topic = meta.topics[number];
      line.appendChild(document.createTextNode(" \u00b7 "));
      line.appendChild(element("a", { href: new URL("topics/" + topic[1] + "/", root).pathname }, topic[0]));
    });
    item.appendChild(line);
    item.appendChild(snippet(doc.abstract, this.groups || [], this.index.stopWords));
    return item;
  };

  function start() {
    var container = document.getElementById("pa-search");
    if (!container || container.getAttribute("data-started")) return;
    container.setAttribute("data-started", "1");
    var input = document.getElementById("pa-search-query");
    if (input && !input.value) input.focus();
    var page = new Page(container, siteRoot());
    page.index.load().then(function (meta) {
      page.build(meta);
      return page.run();
    }).catch(function (error) {
      container.appendChild(element("p", { class: "pa-search-status" },
        "The search index could not be loaded (" + error.message + "). Run the generator, then rebuild the site."));
    });
  }

  // For tests: the text-to-terms steps, to check them against the generator's.
  window.paSearchText = { fold: fold, stem: stem, words: words, terms: terms };

  if (typeof document$ !== "undefined") {
    document$.subscribe(start);
  } else {
    document.addEventListener("DOMContentLoaded", start);
  }
})();
