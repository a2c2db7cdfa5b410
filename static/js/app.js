// Small progressive enhancements; every page works without this file.
(function () {
  // Tell the user when the live channel drops and comes back; on reconnect, re-sync
  // (the channel layer delivers at most once, so missed pushes are re-read from the server).
  document.addEventListener("htmx:wsClose", function () {
    var el = document.getElementById("live-status");
    if (el) { el.textContent = "Live updates paused — reconnecting…"; el.classList.add("show"); }
  });
  document.addEventListener("htmx:wsOpen", function (evt) {
    var el = document.getElementById("live-status");
    if (el && el.classList.contains("show")) {
      el.textContent = ""; el.classList.remove("show");
      document.body.dispatchEvent(new CustomEvent("live-resync"));
    }
  });
})();
