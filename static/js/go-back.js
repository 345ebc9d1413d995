// "Go back" on an error page: the browser's own back keeps what was typed into the
// form; without JavaScript the link opens the page it came from, empty.
(function () {
  var link = document.querySelector("[data-go-back]");
  if (!link || window.history.length < 2) return;
  link.addEventListener("click", function (event) {
    event.preventDefault();
    window.history.back();
  });
})();
