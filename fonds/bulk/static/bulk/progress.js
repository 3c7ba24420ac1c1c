// Progress of a bulk action: polls the JSON status every 2 s and updates the page in place.
// Without JavaScript the page refreshes itself (<noscript><meta http-equiv="refresh">).
(function () {
  "use strict";
  var box = document.getElementById("bulk-progress");
  if (!box || box.getAttribute("data-over") === "1" || !window.fetch) return;
  var url = box.getAttribute("data-status-url");
  var bar = document.getElementById("bulk-progress-bar");
  function set(name, value) {
    var nodes = box.querySelectorAll('[data-field="' + name + '"]');
    for (var i = 0; i < nodes.length; i++) nodes[i].textContent = value;
  }
  function tick() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (s) {
        ["status_label", "done", "percent", "succeeded", "failed"].forEach(function (k) { set(k, s[k]); });
        bar.value = s.done;
        bar.setAttribute("aria-valuenow", s.done);
        bar.setAttribute("aria-valuetext", s.done + " dossiers traités sur " + s.total);
        bar.textContent = s.percent + " %";
        if (s.over) {
          var hide = box.querySelector("[data-hide-when-over]");
          if (hide) hide.hidden = true;
          var show = box.querySelector("[data-reload-when-over]");
          if (show) show.hidden = false;
        } else {
          window.setTimeout(tick, 2000);
        }
      })
      .catch(function () { window.setTimeout(tick, 5000); });
  }
  window.setTimeout(tick, 1000);
})();
