(function () {
  "use strict";
  var form = document.getElementById("filters");
  var table = document.getElementById("accounts");
  var groups = Array.prototype.slice.call(table.tBodies);
  var shown = document.getElementById("shown");
  var fields = ["status", "reason", "account", "profile"];
  form.hidden = false;
  function value(name) { return form.elements[name].value.trim().toLowerCase(); }
  function apply() {
    var want = {};
    fields.forEach(function (f) { want[f] = value(f); });
    var n = 0;
    groups.forEach(function (g) {
      var d = g.dataset;
      var ok = (!want.status || d.status.toLowerCase() === want.status) &&
        (!want.reason || d.reason.toLowerCase() === want.reason) &&
        (!want.account || d.account.toLowerCase().indexOf(want.account) >= 0) &&
        (!want.profile || d.profile.toLowerCase().indexOf(want.profile) >= 0);
      if (g.hidden === ok) { g.hidden = !ok; }
      if (ok) { n++; }
    });
    shown.textContent = n + " of " + groups.length + (groups.length === 1 ? " account" : " accounts") + " shown";
  }
  form.addEventListener("input", apply);
  form.addEventListener("change", apply);
  form.addEventListener("submit", function (e) { e.preventDefault(); });
  table.tHead.addEventListener("click", function (e) {
    var b = e.target.closest("button[data-key]");
    if (!b) { return; }
    var th = b.parentNode, key = b.dataset.key;
    var dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
    Array.prototype.forEach.call(table.tHead.querySelectorAll("th"), function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
    groups.sort(function (a, b) {
      var x = a.dataset[key], y = b.dataset[key];
      return (x < y ? -1 : x > y ? 1 : Number(a.dataset.index) - Number(b.dataset.index)) * dir;
    });
    var frag = document.createDocumentFragment();
    groups.forEach(function (g) { frag.appendChild(g); });
    table.appendChild(frag);
  });
  apply();
})();
