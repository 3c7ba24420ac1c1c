// « Contrôle » dashboard: fills each block from its HTML fragment (same URL + "partiel=1"),
// without blocking the page. Without JavaScript (or on error) the block keeps its link.
(function () {
  "use strict";
  if (!window.fetch) return;
  var blocks = document.querySelectorAll("[data-dashboard-url]");
  Array.prototype.forEach.call(blocks, function (block) {
    var url = block.getAttribute("data-dashboard-url");
    var loading = block.querySelector(".fjj-dash-loading");
    if (loading) loading.hidden = false;
    var sep = url.indexOf("?") === -1 ? "?" : "&";
    fetch(url + sep + "partiel=1", { headers: { Accept: "text/html" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var content = doc.querySelector(".fjj-dash-content");
        if (!content) return Promise.reject("vide");
        block.replaceChildren(document.importNode(content, true));
        block.setAttribute("aria-busy", "false");
      })
      .catch(function () {
        block.setAttribute("aria-busy", "false");
        var skeleton = block.querySelector(".fjj-dash-skeleton");
        if (skeleton) skeleton.parentNode.removeChild(skeleton);
        if (loading) loading.textContent = " — le chargement a échoué : suivez le lien pour afficher ces chiffres.";
      });
  });
})();
