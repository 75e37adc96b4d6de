// While card testing is going on, a new payment costs a small proof of work (ALTCHA): the
// widget (static/vendor/altcha, loaded before this module) solves the review page's challenge
// in a Web Worker of our own origin and puts the solution in the pay form. This registers the
// worker and the texts in the page's language, then starts the work at once.
const widget = document.querySelector("altcha-widget");
if (widget && globalThis.$altcha) {
  const worker = widget.dataset.worker;
  globalThis.$altcha.algorithms.set("PBKDF2/SHA-256", () => new Worker(worker));
  const language = document.documentElement.lang || "en";
  const texts = JSON.parse(widget.dataset.texts || "{}");
  globalThis.$altcha.i18n.set(language, { ...globalThis.$altcha.i18n.get("en"), ...texts });
  widget.configure({ language: language, hideLogo: true, hideFooter: true });
  widget.verify();
}
