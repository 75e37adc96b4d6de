// Passkeys for the staff console: the browser half of WebAuthn. The server makes the options
// and checks the answers (checkout/staff/passkeys.py); this file only carries them between
// the server and navigator.credentials, turning base64url text into bytes and back.
// Loaded as a file (no inline script), so the site's Content-Security-Policy needs no
// 'unsafe-inline'. Without WebAuthn the buttons stay hidden and codes still work.
"use strict";

(function () {
  function toBytes(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) { base64 += "="; }
    var binary = atob(base64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) { bytes[i] = binary.charCodeAt(i); }
    return bytes.buffer;
  }

  function toText(buffer) {
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i++) { binary += String.fromCharCode(bytes[i]); }
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function withBytes(options) {
    options.challenge = toBytes(options.challenge);
    if (options.user) { options.user.id = toBytes(options.user.id); }
    ["excludeCredentials", "allowCredentials"].forEach(function (name) {
      (options[name] || []).forEach(function (credential) { credential.id = toBytes(credential.id); });
    });
    return options;
  }

  function answer(credential) {
    var response = credential.response;
    var json = {
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      clientExtensionResults: credential.getClientExtensionResults(),
      response: { clientDataJSON: toText(response.clientDataJSON) }
    };
    if (response.attestationObject) {
      json.response.attestationObject = toText(response.attestationObject);
      json.response.transports = response.getTransports ? response.getTransports() : [];
    } else {
      json.response.authenticatorData = toText(response.authenticatorData);
      json.response.signature = toText(response.signature);
      if (response.userHandle) { json.response.userHandle = toText(response.userHandle); }
    }
    if (credential.authenticatorAttachment) {
      json.authenticatorAttachment = credential.authenticatorAttachment;
    }
    return json;
  }

  function post(url, body) {
    var token = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token },
      body: body === undefined ? "{}" : JSON.stringify(body)
    }).then(function (reply) {
      return reply.json().then(function (data) {
        if (!reply.ok) { throw new Error(data.error || ""); }
        return data;
      });
    });
  }

  function run(box) {
    var error = box.querySelector("[data-passkey-error]");
    var register = box.getAttribute("data-passkey") === "register";
    error.textContent = "";
    post(box.getAttribute("data-options-url"))
      .then(function (options) {
        var publicKey = withBytes(options);
        return register
          ? navigator.credentials.create({ publicKey: publicKey })
          : navigator.credentials.get({ publicKey: publicKey });
      })
      .then(function (credential) { return post(box.getAttribute("data-answer-url"), answer(credential)); })
      .then(function (data) { window.location.assign(data.redirect); })
      .catch(function (problem) {
        error.textContent = (problem && problem.message) || box.getAttribute("data-failed-text");
        if (problem && problem.name) { error.textContent = box.getAttribute("data-failed-text"); }
      });
  }

  if (!window.PublicKeyCredential || !navigator.credentials) { return; }
  document.querySelectorAll("[data-passkey]").forEach(function (box) {
    box.hidden = false;
    box.querySelector("button").addEventListener("click", function () { run(box); });
  });
})();
