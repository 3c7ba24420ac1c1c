// Site-wide behaviour (no inline script: Content Security Policy).
// An error summary marked data-fjj-autofocus takes the focus when the page loads (RGAA 11.10).
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.querySelector("[data-fjj-autofocus]");
  if (summary) { summary.focus(); }
});
