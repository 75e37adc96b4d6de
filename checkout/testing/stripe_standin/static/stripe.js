/*
 * Stripe.js stand-in, served by the local Stripe stand-in at /v3/.
 *
 * Implements what a checkout calls (see the stand-in's README for the list and sources):
 * Stripe(publishableKey, {locale}); stripe.elements({clientSecret}) or, for a deferred
 * intent, stripe.elements({mode, amount, currency, paymentMethodTypes, setupFutureUsage})
 * (mode "payment", "subscription", or "setup" to save a card or account: no amount);
 * elements.create("payment", {defaultValues: {billingDetails}}), mount, on, submit;
 * stripe.createConfirmationToken({elements, params}); stripe.handleNextAction({clientSecret})
 * (a PaymentIntent's or a SetupIntent's);
 * stripe.confirmPayment({elements, clientSecret, confirmParams, redirect});
 * stripe.retrievePaymentIntent(clientSecret).
 *
 * As real Stripe.js does, 3-D Secure runs in the page: a modal dialog holding an iframe of
 * the stand-in's authentication page; redirect methods (iDEAL) leave for the bank's page.
 * The script needs no 'unsafe-inline' or 'unsafe-eval' on the checkout: no inline handlers,
 * no style attributes (styles are set through CSSOM, which a style-src policy allows), no eval.
 * Errors resolve as {error: {type, code, message, ...}}, as Stripe.js does.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  var API_BASE = script ? new URL(script.src).origin : window.location.origin;

  var FIELDS = {
    card: [
      ["number", "Card number", "cardnumber", "4242 4242 4242 4242"],
      ["expiry", "Expiry (MM / YY)", "exp-date", "12 / 34"],
      ["cvc", "CVC", "cvc", "123"]
    ],
    sepa_debit: [["name", "Full name", "name"], ["email", "Email", "email"], ["iban", "IBAN", "iban"]],
    bacs_debit: [["name", "Full name", "name"], ["email", "Email", "email"],
      ["sort_code", "Sort code", "sort_code"], ["account_number", "Account number", "account_number"]],
    au_becs_debit: [["name", "Full name", "name"], ["email", "Email", "email"],
      ["bsb_number", "BSB", "bsb_number"], ["account_number", "Account number", "account_number"]],
    acss_debit: [["name", "Full name", "name"], ["email", "Email", "email"],
      ["institution_number", "Institution number", "institution_number"],
      ["transit_number", "Transit number", "transit_number"],
      ["account_number", "Account number", "account_number"]],
    ideal: []
  };
  var LABELS = {card: "Card", sepa_debit: "SEPA Direct Debit", bacs_debit: "Bacs Direct Debit",
    au_becs_debit: "BECS Direct Debit", acss_debit: "Pre-authorized debit", ideal: "iDEAL"};
  var DEBITS = ["sepa_debit", "bacs_debit", "au_becs_debit", "acss_debit"];
  // Which currencies each type takes (null: any), for deferred intents without
  // paymentMethodTypes, as the stand-in's payment_methods.CURRENCIES.
  var CURRENCIES = {card: null, sepa_debit: ["eur"], bacs_debit: ["gbp"], au_becs_debit: ["aud"],
    acss_debit: ["cad", "usd"], ideal: ["eur"]};
  // The words of the 3-D Secure dialog, in the checkout's languages.
  var DIALOG_TEXT = {
    en: {title: "Confirm your payment", frame: "3-D Secure authentication", cancel: "Cancel"},
    de: {title: "Zahlung bestätigen", frame: "3-D-Secure-Authentifizierung", cancel: "Abbrechen"},
    nl: {title: "Bevestig je betaling", frame: "3-D Secure-verificatie", cancel: "Annuleren"},
    fr: {title: "Confirmez votre paiement", frame: "Authentification 3-D Secure",
      cancel: "Annuler"}
  };

  function encode(value, prefix, pairs) {
    if (value === null || value === undefined) { return pairs; }
    if (typeof value === "object") {
      Object.keys(value).forEach(function (key) {
        encode(value[key], prefix ? prefix + "[" + key + "]" : key, pairs);
      });
    } else {
      pairs.push(encodeURIComponent(prefix) + "=" + encodeURIComponent(String(value)));
    }
    return pairs;
  }

  function request(key, method, path, params) {
    var body = encode(params || {}, "", []).join("&");
    var url = API_BASE + path + (method === "GET" && body ? "?" + body : "");
    return fetch(url, {
      method: method,
      headers: {"Authorization": "Bearer " + key,
        "Content-Type": "application/x-www-form-urlencoded"},
      body: method === "GET" ? undefined : body
    }).then(function (response) {
      return response.json().then(function (json) { return {ok: response.ok, body: json}; });
    }, function (reason) {
      return {ok: false, body: {error: {type: "api_connection_error", message: String(reason)}}};
    });
  }

  function intentId(clientSecret) { return String(clientSecret).split("_secret_")[0]; }

  // Where an intent is read: a SetupIntent's secret starts with its seti_ id.
  function intentPath(clientSecret) {
    var id = intentId(clientSecret);
    return (id.indexOf("seti_") === 0 ? "/v1/setup_intents/" : "/v1/payment_intents/") + id;
  }

  function validationError(message) {
    return {error: {type: "validation_error", code: "incomplete", message: message}};
  }

  function integrationError(message) {
    return {error: {type: "invalid_request_error", message: message}};
  }

  function styled(element, styles) {
    Object.keys(styles).forEach(function (name) { element.style[name] = styles[name]; });
    return element;
  }

  /* --- the Payment Element ------------------------------------------------------------- */

  function PaymentElement(elements, options) {
    this._elements = elements;
    this._options = options || {};
    this._handlers = {};
    this._container = null;
    this._types = [];
    this._type = null;
  }

  PaymentElement.prototype.on = function (event, handler) {
    (this._handlers[event] = this._handlers[event] || []).push(handler);
    return this;
  };

  PaymentElement.prototype._emit = function (event, payload) {
    (this._handlers[event] || []).forEach(function (handler) { handler(payload || {}); });
  };

  PaymentElement.prototype.mount = function (target) {
    var element = this;
    var container = typeof target === "string" ? document.querySelector(target) : target;
    if (!container) { throw new Error("Stripe stand-in: mount target not found: " + target); }
    this._container = container;
    return this._elements._methodTypes().then(function (result) {
      if (!result.ok) {
        container.textContent = result.body.error.message;
        element._emit("loaderror", {error: result.body.error});
        return;
      }
      element._types = result.types;
      element._render();
      element._emit("ready", {elementType: "payment"});
    });
  };

  PaymentElement.prototype._render = function () {
    var element = this;
    var root = document.createElement("div");
    root.className = "standin-payment-element";
    var tabs = document.createElement("div");
    tabs.setAttribute("role", "radiogroup");
    this._types.forEach(function (type, index) {
      var label = document.createElement("label");
      var radio = document.createElement("input");
      radio.type = "radio";
      radio.name = "standin-payment-type";
      radio.value = type;
      radio.checked = index === 0;
      radio.addEventListener("change", function () { element._select(type); });
      label.appendChild(radio);
      label.appendChild(document.createTextNode(" " + (LABELS[type] || type)));
      tabs.appendChild(label);
    });
    root.appendChild(tabs);
    this._fields = document.createElement("div");
    root.appendChild(this._fields);
    this._container.innerHTML = "";
    this._container.appendChild(root);
    this._select(this._types[0]);
  };

  PaymentElement.prototype._defaults = function () {
    // defaultValues.billingDetails: "Initial customer information that will be displayed in
    // the Payment Element" (Stripe.js reference, elements.create("payment")).
    var values = (this._options.defaultValues || {}).billingDetails || {};
    return {name: values.name || "", email: values.email || ""};
  };

  PaymentElement.prototype._select = function (type) {
    var element = this;
    var defaults = this._defaults();
    this._type = type;
    this._elements._submitted = false;
    this._fields.innerHTML = "";
    (FIELDS[type] || []).forEach(function (field) {
      var label = document.createElement("label");
      label.textContent = field[1] + " ";
      var input = document.createElement("input");
      input.name = field[2];
      input.id = "standin-" + type + "-" + field[0];
      input.setAttribute("data-field", field[0]);
      if (field[3]) { input.placeholder = field[3]; }
      if (defaults[field[0]]) { input.value = defaults[field[0]]; }
      input.addEventListener("input", function () {
        element._elements._submitted = false;
        element._emit("change", {elementType: "payment", value: {type: type},
          complete: element._missing() === null, empty: false});
      });
      label.appendChild(input);
      element._fields.appendChild(label);
    });
    if (DEBITS.indexOf(type) >= 0) {
      var mandate = document.createElement("p");
      mandate.className = "standin-mandate";
      mandate.textContent = "By providing your payment information and confirming this " +
        "payment, you authorise the charity and Stripe to debit your account.";
      this._fields.appendChild(mandate);
    }
    this._emit("change", {elementType: "payment", value: {type: type}, complete: false,
      empty: true});
  };

  PaymentElement.prototype._values = function () {
    var values = {};
    Array.prototype.forEach.call(this._fields.querySelectorAll("input"), function (input) {
      values[input.getAttribute("data-field")] = input.value.trim();
    });
    return values;
  };

  PaymentElement.prototype._missing = function () {
    var values = this._values();
    var fields = FIELDS[this._type] || [];
    for (var i = 0; i < fields.length; i += 1) {
      if (!values[fields[i][0]]) { return fields[i][1]; }
    }
    return null;
  };

  PaymentElement.prototype._methodParams = function (billing) {
    var values = this._values();
    var params = {type: this._type, billing_details: Object.assign({}, billing || {})};
    if (this._type === "card") {
      var expiry = values.expiry.split("/").map(function (part) { return part.trim(); });
      params.card = {number: values.number.replace(/\s+/g, ""), exp_month: expiry[0],
        exp_year: expiry[1], cvc: values.cvc};
      return params;
    }
    var details = {};
    Object.keys(values).forEach(function (name) {
      if (name === "name" || name === "email") {
        params.billing_details[name] = params.billing_details[name] || values[name];
      } else {
        details[name] = values[name].replace(/\s+/g, "");
      }
    });
    if (this._type !== "ideal") { params[this._type] = details; }
    return params;
  };

  PaymentElement.prototype.unmount = function () {
    if (this._container) { this._container.innerHTML = ""; }
  };
  PaymentElement.prototype.destroy = PaymentElement.prototype.unmount;
  PaymentElement.prototype.update = function () {};
  PaymentElement.prototype.focus = function () {};

  /* --- Elements: with a client secret, or deferred (mode, amount, currency) ------------- */

  function checkDeferred(options) {
    if (options.clientSecret) { return; }
    if (["payment", "subscription", "setup"].indexOf(options.mode) < 0) {
      throw new Error("Stripe stand-in: elements() needs a clientSecret, or mode " +
        "\"payment\", \"subscription\" or \"setup\" (deferred intent).");
    }
    if ((options.mode !== "setup" && !(options.amount > 0)) ||
        !/^[a-z]{3}$/.test(String(options.currency))) {
      throw new Error("Stripe stand-in: a deferred intent needs a lower-case currency, and " +
        "an amount unless it sets up a payment method (mode \"setup\").");
    }
  }

  function Elements(stripe, options) {
    this._stripe = stripe;
    this._options = options || {};
    checkDeferred(this._options);
    this._payment = null;
    this._loaded = null;
    this._submitted = false;
  }

  Elements.prototype._methodTypes = function () {
    var options = this._options;
    if (!options.clientSecret) {
      var types = options.paymentMethodTypes || Object.keys(CURRENCIES).filter(function (type) {
        return CURRENCIES[type] === null || CURRENCIES[type].indexOf(options.currency) >= 0;
      });
      return Promise.resolve({ok: true, types: types});
    }
    if (!this._loaded) {
      this._loaded = request(this._stripe._key, "GET",
        "/v1/payment_intents/" + intentId(options.clientSecret),
        {client_secret: options.clientSecret}).then(function (result) {
        return result.ok ? {ok: true, types: result.body.payment_method_types} : result;
      });
    }
    return this._loaded;
  };

  Elements.prototype.create = function (type, options) {
    if (type !== "payment") {
      throw new Error("Stripe stand-in: only the Payment Element is implemented, not " + type);
    }
    this._payment = new PaymentElement(this, options);
    return this._payment;
  };

  Elements.prototype.getElement = function (type) {
    return type === "payment" ? this._payment : null;
  };

  Elements.prototype.update = function (options) {
    Object.assign(this._options, options || {});
  };

  Elements.prototype.submit = function () {
    var payment = this._payment;
    var missing = payment && payment._type ? payment._missing() : "payment details";
    this._submitted = !missing;
    return Promise.resolve(missing ? validationError("Your " + missing + " is incomplete.") :
      {selectedPaymentMethod: payment._type});
  };

  /* --- the 3-D Secure dialog ------------------------------------------------------------ */

  function dialogText(stripe) {
    var locale = String(stripe._options.locale || navigator.language || "en").slice(0, 2);
    return DIALOG_TEXT[locale] || DIALOG_TEXT.en;
  }

  // Show the authentication page in a modal dialog; resolve once the donor finished it
  // (the page tells us by postMessage) or cancelled the dialog (which fails it).
  function challenge(stripe, url) {
    var text = dialogText(stripe);
    var opener = document.activeElement;
    var frameUrl = new URL(url);
    frameUrl.searchParams.set("frame", "1");
    frameUrl.searchParams.set("origin", window.location.origin);
    var overlay = styled(document.createElement("div"), {position: "fixed", top: "0",
      left: "0", right: "0", bottom: "0", zIndex: "2147483647", display: "flex",
      alignItems: "center", justifyContent: "center", background: "rgba(0, 0, 0, 0.5)"});
    overlay.className = "standin-3ds-overlay";
    var dialog = styled(document.createElement("div"), {background: "#fff", color: "#111",
      padding: "1rem", borderRadius: "0.5rem", width: "min(30rem, calc(100% - 2rem))",
      maxHeight: "calc(100% - 2rem)", overflow: "auto", boxSizing: "border-box"});
    dialog.setAttribute("role", "dialog");
    dialog.setAttribute("aria-modal", "true");
    dialog.setAttribute("aria-labelledby", "standin-3ds-title");
    dialog.tabIndex = -1;
    var title = styled(document.createElement("h2"), {fontSize: "1.25rem", margin: "0 0 0.5rem"});
    title.id = "standin-3ds-title";
    title.textContent = text.title;
    var frame = styled(document.createElement("iframe"), {width: "100%", height: "18rem",
      border: "1px solid #ccc", display: "block"});
    frame.title = text.frame;
    frame.src = frameUrl.toString();
    var cancel = styled(document.createElement("button"), {marginTop: "0.75rem"});
    cancel.type = "button";
    cancel.textContent = text.cancel;
    dialog.appendChild(title);
    dialog.appendChild(frame);
    dialog.appendChild(cancel);
    overlay.appendChild(dialog);
    var others = Array.prototype.filter.call(document.body.children, function (child) {
      return !child.hasAttribute("inert");
    });
    others.forEach(function (child) { child.setAttribute("inert", ""); });
    document.body.appendChild(overlay);
    dialog.focus();
    return new Promise(function (resolve) {
      var done = false;
      function finish() {
        if (done) { return; }
        done = true;
        window.removeEventListener("message", onMessage);
        overlay.remove();
        others.forEach(function (child) { child.removeAttribute("inert"); });
        if (opener && opener.focus && document.contains(opener)) { opener.focus(); }
        resolve();
      }
      function onMessage(event) {
        var data = event.data || {};
        if (event.origin === API_BASE && event.source === frame.contentWindow &&
            data.standin === "authentication_finished") {
          finish();
        }
      }
      function abandon() {
        // Closing Stripe's dialog fails the authentication: tell the authentication page.
        fetch(frameUrl.toString(), {method: "POST", body: new URLSearchParams({
          action: "fail", client_secret: frameUrl.searchParams.get("client_secret") || "",
          frame: "1", origin: window.location.origin})}).then(finish, finish);
      }
      window.addEventListener("message", onMessage);
      cancel.addEventListener("click", abandon);
      dialog.addEventListener("keydown", function (event) {
        if (event.key === "Escape") { abandon(); }
      });
    });
  }

  /* --- Stripe ----------------------------------------------------------------------------- */

  function Stripe(key, options) {
    if (!(this instanceof Stripe)) { return new Stripe(key, options); }
    if (!/^pk_(test|live)_/.test(String(key))) {
      throw new Error("Stripe stand-in: Stripe() needs a publishable key (pk_test_...)");
    }
    this._key = key;
    this._options = options || {};
  }

  Stripe.prototype.elements = function (options) { return new Elements(this, options); };

  Stripe.prototype._retrieve = function (clientSecret) {
    return request(this._key, "GET", intentPath(clientSecret), {client_secret: clientSecret});
  };

  Stripe.prototype.retrievePaymentIntent = function (clientSecret) {
    return this._retrieve(clientSecret).then(function (result) {
      return result.ok ? {paymentIntent: result.body} : {error: result.body.error};
    });
  };

  function withQuery(url, intent) {
    var target = new URL(url, window.location.href);
    var status = intent.status === "succeeded" || intent.status === "processing" ?
      intent.status : "failed";
    target.searchParams.set("payment_intent", intent.id);
    target.searchParams.set("payment_intent_client_secret", intent.client_secret);
    target.searchParams.set("redirect_status", status);
    return target.toString();
  }

  function navigate(url) {
    window.location.assign(url);
    return new Promise(function () {});
  }

  // What Stripe.js resolves with: {paymentIntent} or, for a SetupIntent, {setupIntent}.
  function outcomeOf(intent) {
    return intent.object === "setup_intent" ? {setupIntent: intent} : {paymentIntent: intent};
  }

  // Complete the intent's next action: 3-D Secure in the dialog, then the intent as it
  // ended (or the authentication error); a redirect method leaves the page for the bank.
  Stripe.prototype._nextAction = function (intent) {
    var stripe = this;
    var action = intent.next_action;
    if (intent.status !== "requires_action" || !action) {
      return Promise.resolve(outcomeOf(intent));
    }
    if (action.type === "redirect_to_url") { return navigate(action.redirect_to_url.url); }
    return challenge(stripe, action.use_stripe_sdk.stripe_js).then(function () {
      return stripe._retrieve(intent.client_secret);
    }).then(function (result) {
      if (!result.ok) { return {error: result.body.error}; }
      var after = result.body;
      var failure = after.last_payment_error || after.last_setup_error;
      if (after.status === "requires_payment_method" && failure) {
        var key = after.object === "setup_intent" ? "setup_intent" : "payment_intent";
        var error = Object.assign({}, failure);
        error[key] = after;
        return {error: error};
      }
      return outcomeOf(after);
    });
  };

  Stripe.prototype.handleNextAction = function (args) {
    var stripe = this;
    var secret = (args || {}).clientSecret;
    if (!secret) {
      return Promise.resolve(integrationError("stripe.handleNextAction(): clientSecret is " +
        "required."));
    }
    return this._retrieve(secret).then(function (result) {
      return result.ok ? stripe._nextAction(result.body) : {error: result.body.error};
    });
  };

  Stripe.prototype.createConfirmationToken = function (args) {
    var elements = (args || {}).elements;
    var params = (args || {}).params || {};
    var element = elements && elements._payment;
    if (!element || !element._type) {
      return Promise.resolve(validationError("The Payment Element is not mounted."));
    }
    if (!elements._submitted) {
      return Promise.resolve(integrationError("elements.submit() must be called before " +
        "stripe.createConfirmationToken()."));
    }
    var billing = (params.payment_method_data || {}).billing_details;
    var body = {payment_method_data: element._methodParams(billing),
      return_url: params.return_url, shipping: params.shipping,
      setup_future_usage: elements._options.setupFutureUsage};
    return request(this._key, "POST", "/v1/confirmation_tokens", body).then(function (result) {
      return result.ok ? {confirmationToken: result.body} : {error: result.body.error};
    });
  };

  Stripe.prototype.confirmPayment = function (args) {
    var stripe = this;
    var elements = args.elements;
    var confirmParams = args.confirmParams || {};
    var element = elements && elements._payment;
    if (!element || !element._type) {
      return Promise.resolve(validationError("The Payment Element is not mounted."));
    }
    var missing = element._missing();
    if (missing) { return Promise.resolve(validationError("Your " + missing + " is incomplete.")); }
    if (!confirmParams.return_url && args.redirect !== "if_required") {
      return Promise.resolve(integrationError(
        "stripe.confirmPayment(): confirmParams.return_url is required."));
    }
    var secret = args.clientSecret || elements._options.clientSecret;
    var billing = (confirmParams.payment_method_data || {}).billing_details;
    var created = element._type === "ideal" ? Promise.resolve(null) :
      request(stripe._key, "POST", "/v1/payment_methods", element._methodParams(billing));
    return created.then(function (method) {
      if (method && !method.ok) { return {error: method.body.error}; }
      // use_stripe_sdk: Stripe.js handles 3-D Secure itself, in the page.
      var params = {client_secret: secret, return_url: confirmParams.return_url,
        use_stripe_sdk: true};
      if (method) {
        params.payment_method = method.body.id;
      } else {
        params.payment_method_data = {type: element._type};
      }
      if (DEBITS.indexOf(element._type) >= 0) {
        params.mandate_data = {customer_acceptance: {type: "online",
          online: {user_agent: navigator.userAgent}}};
      }
      return request(stripe._key, "POST", "/v1/payment_intents/" + intentId(secret) +
        "/confirm", params).then(function (result) {
        return stripe._afterConfirm(result, args.redirect, confirmParams.return_url);
      });
    });
  };

  Stripe.prototype._afterConfirm = function (result, redirect, returnUrl) {
    if (!result.ok) { return {error: result.body.error}; }
    return this._nextAction(result.body).then(function (outcome) {
      if (outcome.error || redirect === "if_required") { return outcome; }
      return navigate(withQuery(returnUrl, outcome.paymentIntent));
    });
  };

  window.Stripe = Stripe;
}());
