// Small progressive enhancements; every page works without this file.
(function () {
  // Times on the pages are shown on the reader's clock: the server reads the browser's
  // time zone from this cookie (accounts/middleware.py). Set on every page, so a change
  // of zone (travel) shows from the next request on.
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    // IANA names ("America/Sao_Paulo") need no escaping in a cookie, and Django does
    // not unescape one.
    if (zone && (" " + document.cookie + ";").indexOf(" tz=" + zone + ";") === -1) {
      document.cookie = "tz=" + zone + "; path=/; max-age=31536000; samesite=lax";
    }
  } catch (e) { /* no Intl: times stay in UTC */ }
  // Tell the user when the live channel drops and comes back; on reconnect, re-sync
  // (the channel layer delivers at most once, so missed pushes are re-read from the server).
  document.addEventListener("htmx:wsClose", function () {
    var el = document.getElementById("live-status");
    if (el) { el.textContent = "Live updates paused — reconnecting…"; el.classList.add("show"); }
  });
  // A message that waits for the person (a lost claim race) stays until they dismiss it or
  // do something else: live frames and the re-fetches they trigger (data-live-sync) leave it.
  document.addEventListener("click", function (evt) {
    var button = evt.target.closest && evt.target.closest("[data-dismiss]");
    var box = button && button.closest(".flash");
    if (box) { box.remove(); }
  });
  document.addEventListener("htmx:beforeRequest", function (evt) {
    if (evt.detail.elt.hasAttribute("data-live-sync")) { return; }
    document.querySelectorAll("[data-until-next-action]").forEach(function (el) { el.innerHTML = ""; });
  });
  // The workspace's disposition: only the field the chosen outcome asks for (the won value,
  // the lost reason) shows; without this file both show and the server asks for the right one.
  document.addEventListener("change", function (evt) {
    if (evt.target.name === "disposition") { dispositionFields(evt.target); }
  });
  function dispositionFields(select) {
    select.form.querySelectorAll("[data-disposition-field]").forEach(function (el) {
      el.hidden = el.getAttribute("data-disposition-field") !== select.value;
    });
  }
  function dispositionsIn(root) {
    if (root.querySelectorAll) { root.querySelectorAll("select[name=disposition]").forEach(dispositionFields); }
  }
  document.addEventListener("DOMContentLoaded", function () { dispositionsIn(document); });
  document.addEventListener("htmx:load", function (evt) { dispositionsIn(evt.detail.elt); });
  // A request the server refused (a lead no longer yours: 404) or failed: htmx swaps
  // nothing, so say so instead of leaving the click unanswered.
  document.addEventListener("htmx:responseError", function (evt) {
    var box = document.getElementById("toasts");
    var text = evt.detail.xhr.status >= 500
      ? "Something went wrong on our side; reload the page and try again. "
      : "This page is out of date (the lead may have moved); reload it to see it as it is now. ";
    // Once: a page's parts failing together (the lead gone) say it one time.
    if (!box || box.querySelector('[data-error-toast="' + evt.detail.xhr.status + '"]')) { return; }
    var note = document.createElement("div");
    note.className = "flash flash-warning";
    note.setAttribute("role", "alert");
    note.setAttribute("data-error-toast", evt.detail.xhr.status);
    note.textContent = text;
    var close = document.createElement("button");
    close.type = "button"; close.className = "link-button"; close.textContent = "×";
    close.setAttribute("data-dismiss", ""); close.setAttribute("aria-label", "Dismiss");
    note.appendChild(close);
    box.appendChild(note);
  });
  // Presence: a rep is offered live leads only while one of their pages beats
  // (routing/live/presence.py, every HEARTBEAT_SECONDS; two missed beats = offline).
  var heartbeat = null;
  document.addEventListener("htmx:wsOpen", function (evt) {
    var socket = evt.detail.socketWrapper;
    clearInterval(heartbeat);
    heartbeat = setInterval(function () { socket.send("heartbeat"); }, 15000);
  });
  document.addEventListener("htmx:wsClose", function () { clearInterval(heartbeat); });
  document.addEventListener("htmx:wsOpen", function (evt) {
    var el = document.getElementById("live-status");
    if (el && el.classList.contains("show")) {
      el.textContent = ""; el.classList.remove("show");
      document.body.dispatchEvent(new CustomEvent("live-resync"));
    }
  });
  // A live frame asks the page to re-read parts of itself: it appends
  // <span data-live-event="name"> (routing/desk/notify.py live_signal), and the parts that
  // listen (hx-trigger="name from:body") re-fetch from the server, which scopes them.
  function found(el, selector) {
    if (el.matches && el.matches(selector)) { return [el]; }
    return el.querySelectorAll ? Array.prototype.slice.call(el.querySelectorAll(selector)) : [];
  }
  document.addEventListener("htmx:load", function (evt) {
    var el = evt.detail.elt;
    // <template data-live-replace="id"> (leadroute/shared/live.py live_replace): its
    // contents take the element's place if the page still has it; else it is dropped.
    found(el, "template[data-live-replace]").forEach(function (t) {
      var target = document.getElementById(t.getAttribute("data-live-replace"));
      t.remove();
      // htmx's own swap: the old element is cleaned up, the new one processed and loaded.
      if (target) { htmx.swap(target, t.innerHTML, { swapStyle: "outerHTML" }); }
    });
    found(el, "[data-live-event]").forEach(function (s) {
      var name = s.getAttribute("data-live-event");
      s.remove();
      document.body.dispatchEvent(new CustomEvent(name));
    });
  });
})();
