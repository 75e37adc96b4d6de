// The pay step: mount Stripe's Payment Element and confirm. Stripe.js comes from the URL in
// the configuration (Stripe's own in production, the local stand-in in the demo and tests).
(function () {
  "use strict";
  var form = document.getElementById("payment-form");
  if (!form || typeof Stripe !== "function") { return; }
  var data = form.dataset;
  var messages = JSON.parse(data.messages);
  var stripe = Stripe(data.publishableKey, { locale: data.locale });
  var elements = stripe.elements({ clientSecret: data.clientSecret, locale: data.locale });
  var element = elements.create("payment");
  element.mount("#payment-element");
  var errorBox = document.getElementById("payment-error");
  var button = form.querySelector("button[type=submit]");

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    button.disabled = true;
    errorBox.textContent = "";
    stripe.confirmPayment({ elements: elements, confirmParams: { return_url: data.returnUrl } })
      .then(function (result) {
        // Reached only when the payment failed at once; otherwise the browser has left.
        var error = result && result.error;
        var code = error && (error.decline_code || error.code);
        errorBox.textContent = messages[code] || messages["default"];
        errorBox.focus();
        button.disabled = false;
      });
  });
})();
