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
  // A live re-read replaces the whole queue: keep the manager's half-made bulk choice (the
  // ticked leads still waiting, the chosen reps and pool, the panel left open), so a lead
  // arriving while they pick does not undo their picking.
  var kept = null;
  document.addEventListener("htmx:beforeSwap", function (evt) {
    var queue = document.getElementById("desk-queue");
    if (!queue || evt.detail.target !== queue) { kept = null; return; }
    var panel = queue.querySelector("details.desk-bulk");
    kept = {
      open: !!(panel && panel.open),
      chosen: Array.prototype.map.call(
        queue.querySelectorAll("input[name=leads]:checked, #desk-bulk option:checked"),
        function (el) { return (el.tagName === "OPTION" ? el.parentNode.name : el.name) + "=" + el.value; }
      )
    };
  });
  document.addEventListener("htmx:afterSwap", function () {
    var queue = document.getElementById("desk-queue");
    if (!kept || !queue) { return; }
    var chosen = kept.chosen, panel = queue.querySelector("details.desk-bulk");
    queue.querySelectorAll("input[name=leads]").forEach(function (box) {
      box.checked = chosen.indexOf("leads=" + box.value) >= 0;
    });
    queue.querySelectorAll("#desk-bulk select").forEach(function (select) {
      if (!chosen.some(function (c) { return c.indexOf(select.name + "=") === 0; })) { return; }
      Array.prototype.forEach.call(select.options, function (option) {
        option.selected = chosen.indexOf(select.name + "=" + option.value) >= 0;
      });
    });
    if (panel && kept.open) { panel.open = true; }
    kept = null;
  });
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
