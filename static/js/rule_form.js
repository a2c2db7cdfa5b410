/* The routing rule form shows only the fields that apply to the chosen action, method,
   target and fallback, and the chosen method's one-line explanation. Which fields those
   are is the server's mapping (routing/rules/fields_used.py), rendered as JSON beside the
   form: this only looks it up. Without JavaScript every field shows, and the server
   ignores the ones that do not apply. */
(function () {
  "use strict";

  function fieldOf(row) {
    for (const name of row.classList) {
      if (name.startsWith("field-")) return name.slice("field-".length);
    }
    return null;
  }

  function setUp() {
    const script = document.getElementById("rule-form-layouts");
    const form = document.getElementById("routingrule_form");
    if (!script || !form) return;
    const data = JSON.parse(script.textContent);
    const governed = new Set(data.layouts.flat());
    const selects = data.choices.map((name) => document.getElementById("id_" + name));
    const rows = Array.from(form.querySelectorAll("fieldset .form-row")).filter((row) =>
      governed.has(fieldOf(row))
    );

    function apply() {
      const key = selects.map((select) => (select ? select.value : "")).join("|");
      const layout = data.layouts[data.by_choice[key]];
      const used = new Set(layout || governed); // an unknown value: show everything
      for (const row of rows) row.hidden = !used.has(fieldOf(row));
      for (const fieldset of form.querySelectorAll("fieldset.module")) {
        const own = fieldset.querySelectorAll(".form-row");
        fieldset.hidden = own.length > 0 && Array.from(own).every((row) => row.hidden);
      }
      const method = document.getElementById("id_method");
      for (const line of form.querySelectorAll(".method-explained li")) {
        line.hidden = method !== null && line.dataset.method !== method.value;
      }
    }

    for (const select of selects) {
      if (select) select.addEventListener("change", apply);
    }
    apply();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
