// The recovery codes page's buttons, where script runs: "Kopiëren" copies
// the codes one a line (where the browser lends its clipboard) and says
// so, "Afdrukken" opens the print dialog. Without script they stay hidden.
(function () {
  var list = document.getElementById("recovery-codes");
  var copy = document.getElementById("copy-codes");
  var print = document.getElementById("print-codes");
  if (!list) {
    return;
  }
  if (copy && navigator.clipboard) {
    copy.hidden = false;
    copy.addEventListener("click", function () {
      var codes = Array.prototype.map.call(list.querySelectorAll("code"), function (code) {
        return code.textContent;
      });
      navigator.clipboard.writeText(codes.join("\n")).then(function () {
        copy.textContent = copy.getAttribute("data-copied");
      });
    });
  }
  if (print && window.print) {
    print.hidden = false;
    print.addEventListener("click", function () {
      window.print();
    });
  }
})();
