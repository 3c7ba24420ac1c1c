// Progress of a background job (a bulk action, an export): polls its JSON status every 2 s and
// updates the page in place. Without JavaScript the page offers a link that reloads it.
// Markup, inside <div data-progress data-status-url=… data-over="1|0" data-over-key="over">:
//   [data-field="key"]                  text set to the status's key
//   <progress data-bar-key="key" [data-valuetext="{done} sur {total}"]>   value (and ARIA) from it
//   [data-hide-when-over]               hidden once over
//   [data-show-when-over="key=value"]   shown once over (when the status's key has that value)
//   [data-over-text="…" data-over-text-if="key=value" data-over-text-else="… {error}"]  said once over
(function () {
  "use strict";
  var box = document.querySelector("[data-progress]");
  if (!box || box.getAttribute("data-over") === "1" || !window.fetch) return;
  var url = box.getAttribute("data-status-url");
  var overKey = box.getAttribute("data-over-key") || "over";
  var bar = box.querySelector("progress[data-bar-key]");
  function each(selector, action) {
    var nodes = box.querySelectorAll(selector);
    for (var i = 0; i < nodes.length; i++) action(nodes[i]);
  }
  function fill(text, s) {
    return (text || "").replace(/\{(\w+)\}/g, function (_, k) { return s[k] == null ? "" : s[k]; });
  }
  function holds(condition, s) {
    if (!condition) return true;
    var kv = condition.split("=");
    return String(s[kv[0]]) === kv[1];
  }
  function show(s) {
    each("[data-field]", function (node) {
      var key = node.getAttribute("data-field");
      // same text kept as is: a live region re-announces any text it is given
      if (key in s && node.textContent !== String(s[key])) node.textContent = s[key];
    });
    if (bar) {
      var value = s[bar.getAttribute("data-bar-key")];
      bar.value = value;
      bar.textContent = s.percent + " %";
      if (bar.hasAttribute("aria-valuenow")) bar.setAttribute("aria-valuenow", value);
      if (bar.hasAttribute("data-valuetext")) bar.setAttribute("aria-valuetext", fill(bar.getAttribute("data-valuetext"), s));
    }
  }
  function over(s) {
    each("[data-hide-when-over]", function (node) { node.hidden = true; });
    each("[data-show-when-over]", function (node) {
      if (holds(node.getAttribute("data-show-when-over"), s)) node.hidden = false;
    });
    each("[data-over-text]", function (node) {
      var ok = holds(node.getAttribute("data-over-text-if"), s);
      node.textContent = fill(node.getAttribute(ok ? "data-over-text" : "data-over-text-else"), s);
    });
  }
  function tick() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (s) {
        show(s);
        if (s[overKey]) over(s);
        else window.setTimeout(tick, 2000);
      })
      .catch(function () { window.setTimeout(tick, 5000); });
  }
  window.setTimeout(tick, 1000);
})();
