// Read the page's main content aloud. Progressive enhancement: the button
// stays hidden where the browser cannot speak, and nothing depends on it.
(function () {
  var button = document.getElementById("read-aloud");
  if (!button || !("speechSynthesis" in window)) return;
  button.hidden = false;
  button.addEventListener("click", function () {
    if (window.speechSynthesis.speaking) { window.speechSynthesis.cancel(); return; }
    var main = document.getElementById("main");
    var utterance = new SpeechSynthesisUtterance(main ? main.innerText : document.body.innerText);
    utterance.lang = document.documentElement.lang || "zh-CN";
    utterance.rate = 0.9;
    window.speechSynthesis.speak(utterance);
  });
})();
