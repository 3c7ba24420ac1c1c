// Progress of an export job: polls its JSON status every 2 s and updates the page in place.
// Without JavaScript the page refreshes itself (<noscript><meta http-equiv="refresh">).
(function () {
  "use strict";
  var box = document.getElementById("export-progress");
  if (!box || box.getAttribute("data-finished") === "1" || !window.fetch) return;
  var url = box.getAttribute("data-status-url");
  var bar = document.getElementById("export-progress-bar");
  function set(name, value) {
    var nodes = box.querySelectorAll('[data-field="' + name + '"]');
    for (var i = 0; i < nodes.length; i++) nodes[i].textContent = value;
  }
  function tick() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (s) {
        ["state_label", "rows_done", "rows_total", "percent"].forEach(function (k) { set(k, s[k]); });
        bar.value = s.percent;
        bar.textContent = s.percent + " %";
        if (s.finished) {
          var hide = box.querySelector("[data-hide-when-finished]");
          if (hide) hide.hidden = true;
          if (s.state === "done") {
            box.querySelector("[data-download]").hidden = false;
            set("announce", "Le fichier est prêt.");
          } else {
            set("announce", "L'export a échoué : " + s.error);
          }
        } else {
          window.setTimeout(tick, 2000);
        }
      })
      .catch(function () { window.setTimeout(tick, 5000); });
  }
  window.setTimeout(tick, 1000);
})();
