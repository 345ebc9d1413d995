// The card payment page: Stripe.js collects the card into a SetupIntent
// (confirmCardSetup), then the browser goes to the "done" address, where the
// server asks Stripe itself whether the card is in. Error texts come from the
// page (translated), never Stripe's English. No pop-ups.
(function () {
  "use strict";
  var form = document.getElementById("pay-form");
  if (!form || typeof Stripe !== "function") return;
  var data = form.dataset;
  var button = document.getElementById("pay-button");
  var status = document.getElementById("pay-status");
  var errorBox = document.getElementById("pay-error");
  var stripe = Stripe(data.publishableKey);
  var card = stripe.elements().create("card");
  var box = document.getElementById("card-element");
  card.mount(box);
  // localstripe's fake element is plain inputs named only by a placeholder: give them labels
  // (the real element lives in Stripe's frame and labels itself).
  box.querySelectorAll("input[placeholder]").forEach(function (input) {
    var label = data["label" + input.getAttribute("placeholder").replace(/^./, function (c) {
      return c.toUpperCase();
    })];
    if (label) input.setAttribute("aria-label", label);
    input.setAttribute("autocomplete", "off");
    input.setAttribute("inputmode", "numeric");
  });
  document.getElementById("pay-needs-script").hidden = true;
  button.disabled = false;

  function messageFor(error) {
    var code = (error && error.code) || "";
    if (code === "card_declined" || code === "insufficient_funds" || code === "expired_card") {
      return data.msgDeclined;
    }
    if (/number|cvc|expiry|invalid/.test(code)) return data.msgDetails;
    return data.msgFailed;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    button.disabled = true;
    errorBox.textContent = "";
    status.textContent = data.msgWait;
    stripe
      .confirmCardSetup(data.clientSecret, { payment_method: { card: card } })
      .then(function (result) {
        if (result.error) {
          status.textContent = "";
          errorBox.textContent = messageFor(result.error);
          button.disabled = false;
          return;
        }
        window.location.assign(data.doneUrl);
      })
      .catch(function () {
        status.textContent = "";
        errorBox.textContent = data.msgFailed;
        button.disabled = false;
      });
  });
})();
