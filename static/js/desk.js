// The desk's keyboard: j/k move through the queue, 1–9 assign the n-th suggestion,
// p sends to the chosen pool, s skips. Each key clicks a button or link the page shows
// (data-key), so the keyboard does exactly what a click does, checks included.
(function () {
  function rows() { return Array.prototype.slice.call(document.querySelectorAll("#desk-queue [data-desk-lead]")); }
  function currentId() {
    var el = document.querySelector("#desk-main [data-lead]");
    return el ? el.getAttribute("data-lead") : null;
  }
  function markCurrent() {
    var id = currentId();
    rows().forEach(function (a) {
      a.closest("li").classList.toggle("current", a.getAttribute("data-desk-lead") === id);
    });
  }
  document.addEventListener("htmx:afterSettle", markCurrent);
  // A key can land while a live re-read is swapping the queue in: make sure htmx has wired
  // the element (idempotent), so the click is htmx's request, never a full page load.
  function press(el) {
    if (window.htmx) { window.htmx.process(el.closest("form") || el); }
    el.click();
  }
  document.addEventListener("keydown", function (evt) {
    if (evt.ctrlKey || evt.metaKey || evt.altKey) { return; }
    var t = evt.target;
    if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) { return; }
    var key = evt.key;
    if (key === "j" || key === "k") {
      var list = rows(), id = currentId(), at = -1;
      list.forEach(function (a, i) { if (a.getAttribute("data-desk-lead") === id) { at = i; } });
      var next = list[key === "j" ? at + 1 : Math.max(at - 1, 0)];
      if (next) { evt.preventDefault(); press(next); }
      return;
    }
    var target = document.querySelector('#desk-main [data-key="' + key + '"]');
    if (target) { evt.preventDefault(); press(target); }
  });
})();
