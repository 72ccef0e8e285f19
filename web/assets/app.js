// Sends the CSRF token with every htmx request; no inline scripts anywhere
// (the Content-Security-Policy forbids them).
document.addEventListener("htmx:configRequest", function (e) {
  var m = document.querySelector('meta[name="csrf-token"]');
  if (m) { e.detail.headers["X-CSRF-Token"] = m.content; }
});
// A form that changes state is sent once: a double click does not submit twice.
document.addEventListener("submit", function (e) {
  var f = e.target;
  if (f.dataset.submitted === "1") { e.preventDefault(); return; }
  f.dataset.submitted = "1";
  var b = f.querySelector('button[type="submit"], button:not([type])');
  if (b) { b.disabled = true; }
}, true);
// Region pickers: province → city → county → town selects that fill the
// region field (its code) from GET /api/v1/regions. Without JavaScript the
// field alone takes a typed name or code, which the server resolves; with
// it, typing still works. A picker for a list (the volunteer's areas) adds
// the code picked to the list with a button.
(function () {
  var levels = ["province", "city", "county", "town"];
  function load(parent, cb) {
    var x = new XMLHttpRequest();
    x.open("GET", "/api/v1/regions" + (parent ? "?parent=" + encodeURIComponent(parent) : ""));
    x.onload = function () {
      var items = [];
      if (x.status === 200) { try { items = JSON.parse(x.responseText).items || []; } catch (e) { items = []; } }
      cb(items);
    };
    x.onerror = function () { cb([]); };
    x.send();
  }
  function setup(box) {
    if (box.dataset.ready === "1") { return; }
    var field = document.getElementById(box.dataset.for);
    if (!field) { return; }
    box.dataset.ready = "1";
    var many = field.name === "regions";
    var selects = [];
    var picked = "";
    // A field that already holds a code (a form sent back) opens the
    // picker at it: its province, city and county are selected.
    var have = field.value.trim();
    var chain = !many && /^\d{6}(\d{3})?$/.test(have) ? [have.slice(0, 2) + "0000", have.slice(0, 4) + "00", have.slice(0, 6), have] : [];
    levels.forEach(function (lv, i) {
      var s = document.createElement("select");
      s.className = "region-level";
      s.dataset.level = lv;
      s.setAttribute("aria-label", box.dataset[lv]);
      s.hidden = true;
      s.addEventListener("change", function () {
        for (var j = i + 1; j < selects.length; j++) { selects[j].hidden = true; selects[j].innerHTML = ""; }
        picked = s.value || (i > 0 ? selects[i - 1].value : "");
        if (!many && picked) {
          field.value = picked;
          field.dispatchEvent(new Event("input", { bubbles: true }));
        }
        if (s.value && i + 1 < selects.length) { fill(i + 1, s.value); }
      });
      selects.push(s);
      box.appendChild(s);
    });
    if (many) {
      var b = document.createElement("button");
      b.type = "button";
      b.className = "region-add";
      b.textContent = box.dataset.add;
      b.addEventListener("click", function () {
        if (!picked) { return; }
        var v = field.value.replace(/[\s,，、]+$/, "");
        field.value = v ? v + "、" + picked : picked;
        field.dispatchEvent(new Event("input", { bubbles: true }));
      });
      box.appendChild(b);
    }
    function fill(i, parent) {
      load(parent, function (items) {
        var s = selects[i];
        if (!items.length) { s.hidden = true; return; }
        s.innerHTML = "";
        // A municipality's children are counties: name the select by what it lists.
        var label = box.dataset[items[0].level] || box.dataset[levels[i]];
        s.setAttribute("aria-label", label);
        var o = document.createElement("option");
        o.value = "";
        o.textContent = label + " · " + box.dataset.choose;
        s.appendChild(o);
        items.forEach(function (it) {
          var op = document.createElement("option");
          op.value = it.code;
          op.textContent = it.name;
          s.appendChild(op);
        });
        s.hidden = false;
        for (var k = 0; k < chain.length; k++) {
          if (s.querySelector('option[value="' + chain[k] + '"]')) {
            s.value = picked = chain[k];
            if (i + 1 < selects.length) { fill(i + 1, chain[k]); }
            break;
          }
        }
      });
    }
    box.hidden = false;
    fill(0, "");
  }
  function init(root) {
    (root || document).querySelectorAll(".region-picker[data-for]").forEach(setup);
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", function () { init(); }); } else { init(); }
  document.addEventListener("htmx:load", function (e) { init(e.target); });
})();
// ID numbers checked as they are typed: 18 characters, 17 digits and a
// digit or X, a real birth date not in the future, and the GB 11643 (ISO
// 7064 MOD 11-2) check character. The messages come from the page
// (data-* of the "idcheck" partial); "#" stands for a number or a date.
(function () {
  var weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  var checks = "10X98765432";
  function problem(box, v) {
    v = v.replace(/\s+/g, "").toUpperCase();
    if (v.length !== 18) { return [false, box.dataset.len.replace("#", v.length)]; }
    if (!/^\d{17}[\dX]$/.test(v)) { return [false, box.dataset.shape]; }
    var y = +v.substr(6, 4), m = +v.substr(10, 2), d = +v.substr(12, 2);
    var birth = new Date(y, m - 1, d);
    if (m < 1 || m > 12 || birth.getFullYear() !== y || birth.getMonth() !== m - 1 || birth.getDate() !== d ||
        y < 1900 || birth > new Date()) {
      return [false, box.dataset.date];
    }
    var sum = 0;
    for (var i = 0; i < 17; i++) { sum += (+v.charAt(i)) * weights[i]; }
    if (checks.charAt(sum % 11) !== v.charAt(17)) { return [false, box.dataset.check]; }
    return [true, box.dataset.ok.replace("#", y + "-" + v.substr(10, 2) + "-" + v.substr(12, 2))];
  }
  function setup(box) {
    var field = document.getElementById(box.dataset.idcheck);
    if (!field) { return; }
    function run(final) {
      var v = field.value.replace(/\s+/g, "");
      if (v === "" || (!final && v.length < 18)) { box.hidden = true; return; }
      var r = problem(box, v);
      box.textContent = r[1];
      box.className = r[0] ? "meta id-check ok" : "error id-check";
      box.hidden = false;
      if (r[0]) { field.removeAttribute("aria-invalid"); } else { field.setAttribute("aria-invalid", "true"); }
    }
    field.setAttribute("aria-describedby", ((field.getAttribute("aria-describedby") || "") + " " + box.id).trim());
    field.addEventListener("input", function () { run(false); });
    field.addEventListener("blur", function () { run(true); });
  }
  function init() { document.querySelectorAll("[data-idcheck]").forEach(setup); }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
// A button with data-print prints the page (the receipt; its print style
// leaves the site around it out).
document.addEventListener("click", function (e) {
  var b = e.target.closest && e.target.closest("[data-print]");
  if (b) { e.preventDefault(); window.print(); }
});
