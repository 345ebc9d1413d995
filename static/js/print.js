// Show the "print" buttons (marked data-print) and let them open the print dialog; the
// hint to use the browser's Print command (data-print-hint) is then not needed.
// Progressive enhancement: without JavaScript the buttons stay hidden and the hint shows.
(function () {
  var buttons = document.querySelectorAll("[data-print]");
  if (!buttons.length || !window.print) return;
  for (var i = 0; i < buttons.length; i++) {
    buttons[i].hidden = false;
    buttons[i].addEventListener("click", function () { window.print(); });
  }
  var hints = document.querySelectorAll("[data-print-hint]");
  for (var j = 0; j < hints.length; j++) hints[j].hidden = true;
})();
