// The QR page's copy button, where script runs and the browser lends its
// clipboard: it copies the key without the spaces between its groups, and
// then says so. Without either, the button stays hidden.
(function () {
  var button = document.getElementById("copy-secret");
  var secret = document.getElementById("secret");
  if (!button || !secret || !navigator.clipboard) {
    return;
  }
  button.hidden = false;
  button.addEventListener("click", function () {
    navigator.clipboard
      .writeText(secret.textContent.replace(/\s+/g, ""))
      .then(function () {
        button.textContent = button.getAttribute("data-copied");
      });
  });
})();
