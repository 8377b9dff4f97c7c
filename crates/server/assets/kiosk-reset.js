// A kiosk's plain page starts over by itself once it has been left alone
// for the idle time and the warning's (each key, touch or typing starts
// the time again), unless the app has taken the page over: the app keeps
// that time itself, with its warning. Without script, a <noscript> refresh
// does the same.
(function () {
  var script = document.currentScript;
  var seconds = Number(script.getAttribute("data-seconds"));
  var target = script.getAttribute("data-url");
  var timer;
  function arm() {
    clearTimeout(timer);
    timer = setTimeout(function () {
      if (document.getElementById("plain")) {
        location.replace(target);
      }
    }, seconds * 1000);
  }
  ["keydown", "pointerdown", "input"].forEach(function (name) {
    addEventListener(name, arm, true);
  });
  arm();
})();
