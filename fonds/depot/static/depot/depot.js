/* Front office (dépôt) — progressive enhancement only: every page works without this file.
 *
 * 1. Draft autosave: a form marked `data-autosave` is POSTed in the background (fetch, header
 *    `X-Autosave: 1`) a few seconds after the last change; the server saves it exactly as a
 *    normal submission and answers in JSON. The result is announced in the `role="status"`
 *    element named by `data-autosave-status`. Nothing invalid is saved: the server answers 422
 *    and the message asks to use the "Enregistrer" button to see the errors.
 * 2. Budget lines: "Ajouter une ligne" buttons (`data-formset-add`) add an empty line in the
 *    page instead of saving and reloading.
 *
 * No inline script anywhere (compatible with a strict Content-Security-Policy).
 */
(function () {
  "use strict";
  if (!window.fetch || !window.FormData) { return; }

  var DELAY_MS = 3000;

  function setupAutosave(form) {
    var status = document.getElementById(form.getAttribute("data-autosave-status"));
    var timer = null;
    var busy = false;
    var pending = false;

    function say(text, isError) {
      if (!status) { return; }
      status.textContent = text;
      status.classList.toggle("depot-autosave--error", !!isError);
    }

    function save() {
      timer = null;
      if (busy) { pending = true; return; }
      busy = true;
      pending = false;
      say("Enregistrement automatique du brouillon…");
      fetch(form.getAttribute("action") || window.location.href, {
        method: "POST",
        body: new FormData(form),
        credentials: "same-origin",
        headers: { "X-Autosave": "1", "Accept": "application/json" }
      }).then(function (response) {
        return response.json().then(function (data) { return { ok: response.ok, data: data }; });
      }).then(function (result) {
        if (result.ok && result.data.saved) {
          say("Brouillon enregistré automatiquement à " + result.data.saved_at + ".");
          if (result.data.url) {  // the draft was just created: later saves go to its page
            form.setAttribute("action", result.data.url);
            if (window.history && window.history.replaceState) { window.history.replaceState(null, "", result.data.url); }
          }
        } else {
          say((result.data && result.data.message ? result.data.message : "Brouillon non enregistré.") +
              " Cliquez sur « Enregistrer le brouillon » pour voir le détail.", true);
        }
      }).catch(function () {
        say("Enregistrement automatique impossible (connexion ?). Vos saisies restent dans la page : cliquez sur « Enregistrer le brouillon ».", true);
      }).then(function () {
        busy = false;
        if (pending) { schedule(); }
      });
    }

    function schedule() {
      if (timer) { window.clearTimeout(timer); }
      timer = window.setTimeout(save, DELAY_MS);
    }

    form.addEventListener("input", schedule);
    form.addEventListener("change", schedule);
    form.addEventListener("submit", function () {
      if (timer) { window.clearTimeout(timer); timer = null; }
    });
  }

  function setupFormsetAdd(button) {
    var prefix = button.getAttribute("data-formset-add");
    var template = document.getElementById(prefix + "-empty");
    var container = document.getElementById(prefix + "-lines");
    var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
    if (!template || !container || !total || !template.content) { return; }
    button.addEventListener("click", function (event) {
      event.preventDefault();
      var index = parseInt(total.value, 10) || 0;
      var html = template.innerHTML.replace(/__prefix__/g, String(index));
      var wrapper = document.createElement("div");
      wrapper.innerHTML = html;
      var line = wrapper.firstElementChild;
      container.appendChild(line);
      total.value = String(index + 1);
      var first = line.querySelector("select, input:not([type=hidden]), textarea");
      if (first) { first.focus(); }
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("form[data-autosave]"), setupAutosave);
  Array.prototype.forEach.call(document.querySelectorAll("[data-formset-add]"), setupFormsetAdd);
})();
