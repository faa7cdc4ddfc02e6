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

// The check-in page ([data-checkin]): a tap marks the member at once and queues the tap, with
// a key of its own, in localStorage; the queue is sent until the server answers each tap, also
// after a reload or when the phone is back online. The server counts a key once, so a tap
// that went through but lost its answer, or a double tap, is one attendance.
(function () {
  var root = document.querySelector("[data-checkin]");
  if (!root) { return; }
  var url = root.getAttribute("data-checkin"), day = root.getAttribute("data-day");
  var csrf = root.getAttribute("data-csrf"), store = "checkin:" + url;
  var offline = root.querySelector("[data-checkin-offline]");
  var count = document.querySelector("[data-testid='checked-in-count']");
  function queue() { try { return JSON.parse(localStorage.getItem(store) || "[]"); } catch (e) { return []; } }
  function save(q) { localStorage.setItem(store, JSON.stringify(q)); }
  function key() {
    return (window.crypto && crypto.randomUUID) ? crypto.randomUUID() : String(Date.now()) + Math.random().toString(16).slice(2);
  }
  function button(id) { return root.querySelector("[data-member='" + id + "']"); }
  function mark(id, state) {
    var b = button(id);
    if (!b) { return; }
    b.classList.toggle("pending", state === "pending");
    if (state === "done" && !b.classList.contains("checked")) {
      b.classList.add("checked");
      if (count) { count.textContent = String(Number(count.textContent) + 1); }
    }
    b.disabled = true;
    b.setAttribute("aria-pressed", "true");
  }
  var sending = false;
  function flush() {
    var q = queue();
    if (sending || q.length === 0) { return; }
    sending = true;
    var tap = q[0], body = new URLSearchParams({ member_id: tap.member, day: tap.day, client_key: tap.key });
    var headers = { "Content-Type": "application/x-www-form-urlencoded" };
    if (csrf) { headers["X-CSRF-Token"] = csrf; }
    fetch(url, { method: "POST", body: body, headers: headers, credentials: "same-origin" }).then(function (resp) {
      sending = false;
      if (resp.ok || (resp.status >= 400 && resp.status < 500)) {
        // Answered (or refused for good, e.g. the member is gone): the tap is done either way.
        save(queue().filter(function (t) { return t.key !== tap.key; }));
        if (resp.ok) { mark(tap.member, "done"); }
        offline.hidden = true;
        flush();
      } else {
        offline.hidden = false;
        setTimeout(flush, 3000);
      }
    }).catch(function () {
      sending = false;
      offline.hidden = false;
      setTimeout(flush, 3000);
    });
  }
  root.addEventListener("click", function (ev) {
    var b = ev.target.closest && ev.target.closest("[data-member]");
    if (!b || b.disabled) { return; }
    var id = b.getAttribute("data-member");
    if (queue().some(function (t) { return t.member === id && t.day === day; })) { return; }
    var q = queue();
    q.push({ member: id, day: day, key: key() });
    save(q);
    mark(id, "pending");
    flush();
  });
  var search = root.querySelector("[data-checkin-search]");
  var othersTitle = root.querySelector("[data-checkin-others-title]");
  search.addEventListener("input", function () {
    var s = search.value.trim().toLowerCase(), anyOther = false;
    root.querySelectorAll("[data-member]").forEach(function (b) {
      var match = s === "" || b.getAttribute("data-name").toLowerCase().indexOf(s) >= 0;
      // The club's other members show only when searched for.
      var show = b.hasAttribute("data-other") ? (s !== "" && match) : match;
      b.hidden = !show;
      anyOther = anyOther || (show && b.hasAttribute("data-other"));
    });
    if (othersTitle) { othersTitle.hidden = !anyOther; }
  });
  queue().forEach(function (t) { if (t.day === day) { mark(t.member, "pending"); } });
  window.addEventListener("online", flush);
  flush();
})();
