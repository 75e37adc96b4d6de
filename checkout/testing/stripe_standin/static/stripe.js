/*
 * Stripe.js stand-in, served by the local Stripe stand-in at /v3/.
 *
 * Implements what the checkout's pay page calls: Stripe(publishableKey),
 * stripe.elements({clientSecret}), elements.create("payment"), element.mount(target),
 * element.on(event, handler), elements.submit(), stripe.confirmPayment({elements,
 * confirmParams: {return_url, payment_method_data}, redirect}) and
 * stripe.retrievePaymentIntent(clientSecret). The Payment Element renders plain inputs for
 * the intent's payment method types (no iframe), creates the PaymentMethod with the
 * publishable key, confirms the intent through the stand-in's API, then follows
 * next_action or redirects to return_url with Stripe's query parameters. Errors resolve as
 * {error: {type, code, message, ...}}, as Stripe.js does.
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

  function validationError(message) {
    return {error: {type: "validation_error", code: "incomplete", message: message}};
  }

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
    return this._elements._intent().then(function (result) {
      if (!result.ok) {
        container.textContent = result.body.error.message;
        element._emit("loaderror", {error: result.body.error});
        return;
      }
      element._types = result.body.payment_method_types;
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

  PaymentElement.prototype._select = function (type) {
    var element = this;
    this._type = type;
    this._fields.innerHTML = "";
    (FIELDS[type] || []).forEach(function (field) {
      var label = document.createElement("label");
      label.textContent = field[1] + " ";
      var input = document.createElement("input");
      input.name = field[2];
      input.id = "standin-" + type + "-" + field[0];
      input.setAttribute("data-field", field[0]);
      if (field[3]) { input.placeholder = field[3]; }
      input.addEventListener("input", function () {
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
    params[this._type] = details;
    return params;
  };

  PaymentElement.prototype.unmount = function () {
    if (this._container) { this._container.innerHTML = ""; }
  };
  PaymentElement.prototype.destroy = PaymentElement.prototype.unmount;
  PaymentElement.prototype.update = function () {};
  PaymentElement.prototype.focus = function () {};

  function Elements(stripe, options) {
    this._stripe = stripe;
    this._options = options || {};
    this._payment = null;
    this._loaded = null;
  }

  Elements.prototype._intent = function () {
    var secret = this._options.clientSecret;
    if (!this._loaded) {
      this._loaded = request(this._stripe._key, "GET",
        "/v1/payment_intents/" + intentId(secret), {client_secret: secret});
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
    var missing = this._payment ? this._payment._missing() : "payment details";
    return Promise.resolve(missing ? validationError("Your " + missing + " is incomplete.") : {});
  };

  function Stripe(key, options) {
    if (!(this instanceof Stripe)) { return new Stripe(key, options); }
    if (!/^pk_(test|live)_/.test(String(key))) {
      throw new Error("Stripe stand-in: Stripe() needs a publishable key (pk_test_...)");
    }
    this._key = key;
    this._options = options || {};
  }

  Stripe.prototype.elements = function (options) { return new Elements(this, options); };

  Stripe.prototype.retrievePaymentIntent = function (clientSecret) {
    return request(this._key, "GET", "/v1/payment_intents/" + intentId(clientSecret),
      {client_secret: clientSecret}).then(function (result) {
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
      return Promise.resolve({error: {type: "invalid_request_error",
        message: "stripe.confirmPayment(): confirmParams.return_url is required."}});
    }
    var secret = elements._options.clientSecret;
    var billing = (confirmParams.payment_method_data || {}).billing_details;
    var created = element._type === "ideal" ? Promise.resolve(null) :
      request(stripe._key, "POST", "/v1/payment_methods", element._methodParams(billing));
    return created.then(function (method) {
      if (method && !method.ok) { return {error: method.body.error}; }
      var params = {client_secret: secret, return_url: confirmParams.return_url};
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
    var intent = result.body;
    if (intent.status === "requires_action" && intent.next_action) {
      var action = intent.next_action;
      var url = action.redirect_to_url ? action.redirect_to_url.url :
        action.use_stripe_sdk.stripe_js;
      window.location.assign(url);
      return new Promise(function () {});
    }
    if (redirect === "if_required") { return {paymentIntent: intent}; }
    window.location.assign(withQuery(returnUrl, intent));
    return new Promise(function () {});
  };

  window.Stripe = Stripe;
}());
