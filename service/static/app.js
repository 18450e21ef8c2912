// offduty pages: post a form with fetch and swap in the page it redirects to.
// Without this file every form still works: it posts and the server redirects back.
(function () {
  "use strict";
  function swap(html, url) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var main = doc.getElementById("main"), clock = doc.getElementById("clock");
    if (!main) { window.location.assign(url); return; }
    document.getElementById("main").replaceWith(main);
    if (clock && document.getElementById("clock")) document.getElementById("clock").replaceWith(clock);
    if (doc.title) document.title = doc.title;
    if (url && url !== window.location.href) window.history.replaceState(null, "", url);
    var flash = main.querySelector(".flash");
    if (flash) { flash.setAttribute("tabindex", "-1"); flash.focus({ preventScroll: false }); }
  }
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || form.hasAttribute("data-plain")) return;
    if ((form.getAttribute("method") || "get").toLowerCase() !== "post") return;
    if (!window.fetch || !window.DOMParser) return;
    event.preventDefault();
    var buttons = form.querySelectorAll("button");
    buttons.forEach(function (b) { b.disabled = true; });
    var body = new URLSearchParams(new FormData(form));
    fetch(form.action, { method: "POST", body: body, credentials: "same-origin", redirect: "follow",
                         headers: { "X-Requested-With": "fetch" } })
      .then(function (response) {
        if (response.redirected && new URL(response.url).pathname === "/login") {
          window.location.assign(response.url); return null;
        }
        return response.text().then(function (html) { swap(html, response.url); });
      })
      .catch(function () { form.submit(); })  // the network failed: fall back to a plain post
      .finally(function () { buttons.forEach(function (b) { b.disabled = false; }); });
  });
})();
