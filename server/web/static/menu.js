// The menu on a phone: folded behind one button, so the page starts on the first screen.
// Loaded in <head>: it marks the page at once (no flash of the open menu). Without this
// script the button stays hidden and the menu is shown as a row (timbra.css).
(function () {
  document.documentElement.classList.add("js");
  document.addEventListener("DOMContentLoaded", function () {
    var button = document.getElementById("menu-button"), menu = document.getElementById("menu");
    if (!button || !menu) { return; }
    function show(open) {
      button.setAttribute("aria-expanded", open ? "true" : "false");
      menu.classList.toggle("open", open);
    }
    button.addEventListener("click", function () {
      show(button.getAttribute("aria-expanded") !== "true");
    });
    menu.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && button.getAttribute("aria-expanded") === "true") {
        show(false); button.focus();
      }
    });
    show(false);
  });
})();
