// The print button of a printed notice; the browser's own Print (Ctrl+P)
// does the same without JavaScript.
document.addEventListener("DOMContentLoaded", function () {
  var b = document.getElementById("print-now");
  if (b) { b.addEventListener("click", function () { window.print(); }); }
});
