// A kiosk's plain page, where script runs: once it has been left alone for
// the idle time, the same warning as the app's, with a countdown and
// "Ik ben er nog"; without an answer the page starts over. Each key, touch
// or typing starts the time again. Once the app has taken the page over it
// keeps that time itself, and this stands aside. Without script, a
// <noscript> refresh starts the page over after the same time.
(function () {
  var script = document.currentScript;
  var idle = Number(script.getAttribute("data-idle"));
  var warning = Number(script.getAttribute("data-warning"));
  var target = script.getAttribute("data-url");
  var timer;
  var ticker;
  var focused;

  function plain() {
    return document.getElementById("plain");
  }

  function startOver() {
    clearInterval(ticker);
    if (plain()) {
      location.replace(target);
    }
  }

  function hide() {
    var shown = document.getElementById("kiosk-warning");
    if (shown) {
      shown.remove();
      if (focused && focused.focus) {
        focused.focus();
      }
    }
  }

  function warn() {
    var template = document.getElementById("kiosk-warning-template");
    if (!plain() || !template) {
      return startOver();
    }
    var left = warning;
    var box = template.content.firstElementChild.cloneNode(true);
    var text = box.querySelector("#kiosk-warning-text");
    var pattern = text.getAttribute("data-text");
    var button = box.querySelector("#kiosk-still-here");
    button.addEventListener("click", arm);
    template.parentNode.insertBefore(box, template);
    focused = document.activeElement;
    button.focus();
    ticker = setInterval(function () {
      left -= 1;
      if (left <= 0) {
        startOver();
      } else {
        text.textContent = pattern.replace("{seconds}", left);
      }
    }, 1000);
  }

  function arm() {
    clearTimeout(timer);
    clearInterval(ticker);
    hide();
    timer = setTimeout(warn, idle * 1000);
  }

  ["keydown", "pointerdown", "input"].forEach(function (name) {
    addEventListener(name, arm, true);
  });
  arm();
})();
