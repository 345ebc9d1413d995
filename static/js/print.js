// Show the "print" buttons (marked data-print) and let them open the print dialog.
// Progressive enhancement: without JavaScript the buttons stay hidden and the page
// says to use the browser's Print command.
(function () {
  var buttons = document.querySelectorAll("[data-print]");
  for (var i = 0; i < buttons.length; i++) {
    buttons[i].hidden = false;
    buttons[i].addEventListener("click", function () { window.print(); });
  }
})();
