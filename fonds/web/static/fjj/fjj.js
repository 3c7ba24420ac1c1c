// Site-wide behaviour (no inline script: Content Security Policy).
// An error summary marked data-fjj-autofocus takes the focus when the page loads (RGAA 11.10).
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.querySelector("[data-fjj-autofocus]");
  if (summary) { summary.focus(); }
});

// A table wider than the screen scrolls inside its DSFR container (every column reachable): the
// scrolling region takes the keyboard focus so that the arrow keys scroll it too (RGAA 7.3, axe
// « scrollable-region-focusable »); a region that no longer scrolls leaves the tab order.
function fjjScrollableTables() {
  var regions = document.querySelectorAll(".fr-table > table, .fr-table__container");
  Array.prototype.forEach.call(regions, function (region) {
    if (region.scrollWidth > region.clientWidth + 1) {
      region.setAttribute("tabindex", "0");
      region.setAttribute("data-fjj-scroll", "");
    } else if (region.hasAttribute("data-fjj-scroll")) {
      region.removeAttribute("tabindex");
      region.removeAttribute("data-fjj-scroll");
    }
  });
}
var fjjScrollPending = false;
function fjjScrollableTablesSoon() {
  if (fjjScrollPending) { return; }
  fjjScrollPending = true;
  window.requestAnimationFrame(function () { fjjScrollPending = false; fjjScrollableTables(); });
}
document.addEventListener("DOMContentLoaded", function () {
  fjjScrollableTables();
  // blocks filled after the page loads (the dashboard's) bring their own tables
  new MutationObserver(fjjScrollableTablesSoon).observe(document.body, { childList: true, subtree: true });
});
window.addEventListener("load", fjjScrollableTables);
window.addEventListener("resize", fjjScrollableTablesSoon);
