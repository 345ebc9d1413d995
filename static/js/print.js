// A "Print" button (data-print) without an inline onclick, which the
// Content-Security-Policy refuses. Without JavaScript, the page says to use
// the browser's own Print command.
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () {
      window.print();
    });
  });
})();
