// The pay step. Stripe's Payment Element collects the payment details and turns them into a
// ConfirmationToken; our server confirms the payment with it (POST data-action), after its
// card-testing limits. The page never holds a client secret unless the donor must act
// (3-D Secure in the page, a bank's page), and then only for that one step.
// Stripe.js comes from the URL in the configuration (Stripe's own in production, the local
// stand-in in the demo and tests).
(function () {
  "use strict";
  var form = document.getElementById("payment-form");
  if (!form || typeof Stripe !== "function") { return; }
  var data = form.dataset;
  var options = JSON.parse(data.options);
  var stripe = Stripe(data.publishableKey, { locale: data.locale });
  var elements = stripe.elements({
    mode: options.mode, amount: options.amount, currency: options.currency,
    paymentMethodTypes: options.paymentMethodTypes, locale: data.locale
  });
  // The donor typed their name and email on the details step: never ask again (WCAG 3.3.7).
  var element = elements.create("payment", {
    defaultValues: { billingDetails: options.billingDetails }
  });
  element.mount("#payment-element");
  var errorBox = document.getElementById("payment-error");
  var button = form.querySelector("button[type=submit]");
  var restart = document.getElementById("restart-form");

  function show(message, stopped) {
    errorBox.textContent = message || data.defaultError;
    errorBox.focus();
    if (restart) { restart.hidden = false; }
    button.disabled = Boolean(stopped);
    if (stopped) { element.unmount(); }
  }

  function ask(body) {
    return fetch(form.action, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": data.csrfToken },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return { outcome: "unavailable" }; });
    }, function () { return { outcome: "unavailable" }; });
  }

  function follow(answer) {
    if (answer.outcome === "done") { window.location.assign(answer.redirect); return null; }
    if (answer.outcome === "action") {
      return stripe.handleNextAction({ clientSecret: answer.client_secret })
        .then(function () { return ask({ after_action: true }); })
        .then(follow);
    }
    show(answer.message, answer.outcome === "stopped");
    return null;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    button.disabled = true;
    errorBox.textContent = "";
    elements.submit().then(function (checked) {
      if (checked.error) { return checked; }
      return stripe.createConfirmationToken({
        elements: elements, params: { return_url: data.returnUrl }
      });
    }).then(function (result) {
      if (result.error) {
        // Stripe.js says what is missing or wrong, in the donor's language.
        errorBox.textContent = result.error.message || data.defaultError;
        errorBox.focus();
        button.disabled = false;
        return null;
      }
      return ask({ confirmation_token: result.confirmationToken.id }).then(follow);
    });
  });
})();
