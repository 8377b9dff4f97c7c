// A kiosk, where script runs: once the page has been left alone for the
// idle time (the shorter one on the signed-in page, html[data-signed-in]),
// a warning with a countdown and "Ik ben er nog" / "I'm still here", in
// the page's language; without an answer the browser goes to the reset
// address, which ends the session on the server and starts over in Dutch.
// Each key, touch or typing starts the time again. While the warning
// shows, a key, click or tap only answers it: the page behind gets nothing
// of it (Enter must not send the form the focus returns to), and it is as
// it was once the warning is gone. An untouched page without a session is
// left alone. It serves the plain pages and the app
// alike; without script, a <noscript> refresh does the reset.
(function () {
  var script = document.currentScript;
  var idle = Number(script.getAttribute("data-idle"));
  var signedInIdle = Number(script.getAttribute("data-signed-in-idle"));
  var warning = Number(script.getAttribute("data-warning"));
  var target = script.getAttribute("data-url");
  var touched = script.hasAttribute("data-session");
  var seconds = 0;
  var shown = null;
  var focused = null;
  // The server holds a kiosk's session to the same idle time: someone
  // still at work here says so to it too, at most every ten seconds.
  var told = 0;

  function tellTheServer() {
    var now = Date.now();
    if (now - told >= 10000) {
      told = now;
      fetch("/api/v1/session", { credentials: "same-origin", cache: "no-store" }).catch(
        function () {}
      );
    }
  }

  function hide() {
    if (shown) {
      shown.remove();
      shown = null;
      if (focused && focused.isConnected && focused.focus) {
        focused.focus();
      }
    }
  }

  function show(left) {
    if (!shown) {
      var html = document.documentElement;
      var template =
        document.getElementById("kiosk-warning-" + html.lang) ||
        document.getElementById("kiosk-warning-nl");
      shown = template.content.firstElementChild.cloneNode(true);
      document.body.appendChild(shown);
      focused = document.activeElement;
      shown.querySelector("#kiosk-still-here").focus();
    }
    var text = shown.querySelector("#kiosk-warning-text");
    text.textContent = text.getAttribute("data-text").replace("{seconds}", left);
  }

  function still() {
    seconds = 0;
    touched = true;
    hide();
    tellTheServer();
  }

  // The events of one answer: the last of a key's or a click's ends the
  // warning, after everything the browser would do with the others.
  var answering = ["keydown", "keypress", "pointerdown", "mousedown", "pointerup", "mouseup",
    "touchstart", "touchend"];
  var answered = ["keyup", "click"];

  function activity(event) {
    if (!shown) {
      still();
      return;
    }
    event.preventDefault();
    event.stopImmediatePropagation();
    if (answered.indexOf(event.type) >= 0) {
      still();
    }
  }

  answering.concat(answered).forEach(function (name) {
    addEventListener(name, activity, { capture: true, passive: false });
  });
  addEventListener("input", still, true);

  var ticking = setInterval(function () {
    if (!touched) {
      return;
    }
    seconds += 1;
    var signedIn = document.documentElement.hasAttribute("data-signed-in");
    var limit = signedIn ? signedInIdle : idle;
    if (seconds >= limit + warning) {
      clearInterval(ticking);
      location.replace(target);
    } else if (seconds >= limit) {
      show(limit + warning - seconds);
    } else {
      hide();
    }
  }, 1000);
})();
