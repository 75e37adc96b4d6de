// The test checkout's page script for tests/browser/test_standin_stripejs.py, served as a file
// because the page's Content-Security-Policy allows no inline script. #config's data
// attributes choose the flow: "secret" (confirmPayment with the intent's client secret) or
// "token" (deferred Elements, a ConfirmationToken, the server confirms, handleNextAction).
(function () {
  "use strict";
  var config = document.getElementById("config").dataset;
  var stripe = Stripe(config.pk);
  var form = document.getElementById("pay-form");
  var statusBox = document.getElementById("status");
  var errorBox = document.getElementById("error");
  var returnUrl = window.location.origin + "/done";

  function fail(error) {
    errorBox.textContent = error.message;
    errorBox.dataset.code = error.code || "";
    errorBox.dataset.intent = error.payment_intent ? error.payment_intent.id : "";
  }

  function post(path, body) {
    return fetch(path, {method: "POST", headers: {"Content-Type": "application/json"},
      body: JSON.stringify(body)}).then(function (response) { return response.json(); });
  }

  function mounted(elements, options) {
    var payment = elements.create("payment", options);
    payment.on("ready", function () { document.body.dataset.ready = "yes"; });
    payment.mount("#payment-element");
  }

  function payWithClientSecret() {
    var elements = stripe.elements({clientSecret: config.secret});
    mounted(elements);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      stripe.confirmPayment({elements: elements, confirmParams: {return_url: returnUrl}})
        .then(function (result) { if (result.error) { fail(result.error); } });
    });
  }

  async function confirmOnServer(elements) {
    var submitted = await elements.submit();
    if (submitted.error) { return fail(submitted.error); }
    var created = await stripe.createConfirmationToken({elements: elements,
      params: {return_url: returnUrl}});
    if (created.error) { return fail(created.error); }
    var answer = await post("/confirm", {confirmation_token: created.confirmationToken.id,
      types: config.types, confirmation: config.confirmation || "automatic"});
    if (answer.error) { return fail(answer.error); }
    if (answer.status === "requires_action") {
      var handled = await stripe.handleNextAction({clientSecret: answer.client_secret});
      if (handled.error) { return fail(handled.error); }
      statusBox.dataset.afterAction = handled.paymentIntent.status;
      answer = handled.paymentIntent;
      if (answer.status === "requires_confirmation") {
        answer = await post("/confirm-again", {payment_intent: answer.id});
        if (answer.error) { return fail(answer.error); }
      }
    }
    statusBox.textContent = answer.status;
  }

  function payWithToken() {
    var elements = stripe.elements({mode: "payment", amount: 2500, currency: "eur",
      paymentMethodTypes: config.types.split(",")});
    mounted(elements, {defaultValues: {billingDetails: {name: config.name,
      email: config.email}}});
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      errorBox.textContent = "";
      confirmOnServer(elements);
    });
  }

  if (config.flow === "secret") { payWithClientSecret(); } else { payWithToken(); }
}());
