// membership's only script of its own. Pages work without it; it adds confirmations before
// destructive actions and lets htmx swap live fragments. The CSP forbids inline script, so all
// behaviour hangs off data- attributes.
document.addEventListener("submit", function (ev) {
  var btn = ev.submitter || ev.target.querySelector("[data-confirm]");
  var q = btn && btn.getAttribute("data-confirm");
  if (q && !window.confirm(q)) {
    ev.preventDefault();
  }
}, true);

// "Select all" checkboxes in lists with bulk actions.
document.addEventListener("change", function (ev) {
  var t = ev.target;
  if (t.matches && t.matches("[data-select-all]")) {
    document.querySelectorAll("input[name='" + t.getAttribute("data-select-all") + "']").forEach(function (cb) {
      cb.checked = t.checked;
    });
  }
});
