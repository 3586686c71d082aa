// Staff desk: highlight a field's box on the invoice page while its row is hovered or focused.
// Everything works without this script; the links use #anchors and CSS :target.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("tr.field[data-box]").forEach(function (row) {
    var box = document.getElementById(row.getAttribute("data-box"));
    if (!box) { return; }
    var on = function () { box.classList.add("active"); row.classList.add("active"); };
    var off = function () { box.classList.remove("active"); row.classList.remove("active"); };
    row.addEventListener("mouseenter", on);
    row.addEventListener("mouseleave", off);
    row.addEventListener("focusin", on);
    row.addEventListener("focusout", off);
  });
});
