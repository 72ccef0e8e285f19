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
