// Moves the focus to the error summary of a re-rendered form (RGAA: errors announced first).
// A static file: the pages carry no inline script (strict CSP).
(function () {
  "use strict";
  var summary = document.querySelector("[data-focus-on-load]");
  if (summary && summary.focus) summary.focus();
})();
