// Live offer cards (routing/offers): the countdown, the keys, the re-sync on every
// (re)connect, and opt-in alerts. The cards arrive and leave by htmx out-of-band swaps
// over the page's socket; every decision (open, taken, expired) is the server's.
(function () {
  var box = document.getElementById("live-offers");
  if (!box) { return; }
  var ALERTS_KEY = "leadroute.offerAlerts";
  // A card whose closing frame was lost (the channel layer delivers at most once) leaves
  // on its own this long after its zero; the next re-sync would drop it anyway.
  var EXPIRED_GRACE_MS = 15000;
  var ANSWER_MS = 8000;  // how long "Someone else took it" stays to be read
  var deadlines = new WeakMap();  // card → performance.now() at its zero

  function cards() { return box.querySelectorAll("[data-offer]"); }

  // Counted on the page's monotonic clock from the time left when the server drew the
  // card, so a browser clock that is off does not move the deadline.
  function started(card) {
    if (!deadlines.has(card)) {
      deadlines.set(card, performance.now() + Number(card.dataset.remainingMs || 0));
    }
    return deadlines.get(card);
  }

  function tick() {
    var now = performance.now();
    cards().forEach(function (card) {
      var left = started(card) - now;
      var text = card.querySelector("[data-countdown]");
      var bar = card.querySelector("[data-countdown-bar]");
      if (left > 0) {
        text.textContent = Math.ceil(left / 1000) + " s";
        bar.style.width = Math.min(100, left / (Number(card.dataset.seconds || 1) * 10)) + "%";
        card.classList.toggle("offer-urgent", left < 10000);
        return;
      }
      if (!card.classList.contains("offer-expired")) {
        card.classList.add("offer-expired");
        text.textContent = "Expired";
        bar.style.width = "0";
        card.querySelectorAll("button, input").forEach(function (el) { el.disabled = true; });
      }
      if (left < -EXPIRED_GRACE_MS) { card.remove(); }
    });
    box.querySelectorAll("[data-offer-answer]").forEach(function (answer) {
      var shown = Number(answer.dataset.shownAt || 0);
      if (!shown) { answer.dataset.shownAt = String(now); } else if (now - shown > ANSWER_MS) { answer.remove(); }
    });
  }
  setInterval(tick, 250);

  // Keys on a focused card: Enter accepts, Escape declines (with the reason typed, if any).
  // When the answered card leaves, focus moves to its neighbour, so the next key answers
  // the next offer.
  var focusNext = null;
  box.addEventListener("keydown", function (evt) {
    var card = evt.target.closest && evt.target.closest("[data-offer]");
    if (!card || card.classList.contains("offer-expired")) { return; }
    var form = null;
    if (evt.key === "Enter" && evt.target === card) { form = card.querySelector("form.offer-accept"); }
    if (evt.key === "Escape") { form = card.querySelector("form.offer-decline"); }
    if (!form) { return; }
    evt.preventDefault();
    var all = Array.prototype.slice.call(cards()), at = all.indexOf(card);
    focusNext = all[at + 1] || all[at - 1] || null;
    form.requestSubmit();
  });

  // The channel layer delivers at most once: on every (re)connect, read the offers still
  // open for this rep from the server. Cards that were here before the request and are not
  // in its answer have closed meanwhile; cards that arrived over the socket during the
  // request stay; a card already here keeps its element and takes the server's time left.
  function resync() {
    var before = Array.prototype.slice.call(cards());
    fetch(box.dataset.resyncUrl, { headers: { "HX-Request": "true" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
      .then(function (html) {
        var parsed = document.createElement("template");
        parsed.innerHTML = html;
        var fresh = {};
        parsed.content.querySelectorAll("[data-offer]").forEach(function (card) { fresh[card.id] = card; });
        before.forEach(function (card) { if (!fresh[card.id]) { card.remove(); } });
        Object.keys(fresh).forEach(function (id) {
          var here = document.getElementById(id);
          if (here) {
            here.dataset.remainingMs = fresh[id].dataset.remainingMs;
            deadlines.delete(here);
          } else {
            fresh[id].dataset.resynced = "1";  // not news: no alert
            box.appendChild(fresh[id]);
            htmx.process(fresh[id]);
          }
        });
      })
      .catch(function () { /* the next reconnect tries again */ });
  }
  document.addEventListener("htmx:wsOpen", resync);

  // Opt-in alerts (off by default, remembered in this browser): a short tone, and a
  // desktop notification while the tab is hidden. The notification says only what the
  // card's title says, which is what the rule's mode lets the rep see.
  function alertsOn() {
    try { return localStorage.getItem(ALERTS_KEY) === "on"; } catch (e) { return false; }
  }
  function showAlertsSetting() {
    box.querySelectorAll("[data-offer-alerts]").forEach(function (button) {
      button.hidden = false;
      button.setAttribute("aria-pressed", alertsOn() ? "true" : "false");
      button.textContent = alertsOn() ? "Sound & notifications: on" : "Sound & notifications: off";
    });
  }
  box.addEventListener("click", function (evt) {
    var button = evt.target.closest && evt.target.closest("[data-offer-alerts]");
    if (!button) { return; }
    try {
      if (alertsOn()) { localStorage.removeItem(ALERTS_KEY); } else { localStorage.setItem(ALERTS_KEY, "on"); }
    } catch (e) { return; }
    if (alertsOn() && "Notification" in window && Notification.permission === "default") {
      Notification.requestPermission();
    }
    showAlertsSetting();
  });
  function tone() {
    try {
      var audio = new (window.AudioContext || window.webkitAudioContext)();
      var osc = audio.createOscillator(), gain = audio.createGain();
      osc.frequency.value = 880; gain.gain.value = 0.08;
      osc.connect(gain); gain.connect(audio.destination);
      osc.start(); osc.stop(audio.currentTime + 0.18);
      setTimeout(function () { audio.close(); }, 500);
    } catch (e) { /* no audio: the card is still there */ }
  }
  function announce(card) {
    if (!alertsOn()) { return; }
    tone();
    if (document.hidden && "Notification" in window && Notification.permission === "granted") {
      var title = card.querySelector(".offer-title");
      var note = new Notification("New live offer", { body: title ? title.textContent : "", tag: card.id });
      note.onclick = function () { window.focus(); card.focus(); note.close(); };
    }
  }
  new MutationObserver(function (changes) {
    if (focusNext && !box.contains(document.activeElement) && focusNext.isConnected) {
      focusNext.focus();
      focusNext = null;
    }
    changes.forEach(function (change) {
      change.addedNodes.forEach(function (node) {
        if (node.nodeType !== 1 || !node.hasAttribute("data-offer")) { return; }
        // The offer's frame can land after a re-sync already drew its card: keep one.
        if (Array.prototype.some.call(cards(), function (card) { return card !== node && card.id === node.id; })) {
          node.remove();
          return;
        }
        started(node);
        if (!node.dataset.resynced) { announce(node); }
      });
    });
    showAlertsSetting();
  }).observe(box, { childList: true });
})();
