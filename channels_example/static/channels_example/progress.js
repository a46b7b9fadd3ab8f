/* The progress page: one request, many frames, drawn as a progress bar. */
(function () {
  "use strict";
  var bar = document.getElementById("bar");
  var text = document.getElementById("progress-text");
  var badge = document.getElementById("state");
  var socket = new ReconnectingSocket("/progress/", {
    onframe: function (frame, raw) {
      if (frame && frame.done) {
        bar.value = bar.max;
        text.textContent = "Done.";
      } else if (frame && frame.of) {
        bar.max = frame.of;
        bar.value = frame.step;
        text.textContent = "Step " + frame.step + " of " + frame.of;
      } else if (frame && frame.error) {
        text.textContent = frame.error + ": " + frame.detail;
      } else {
        text.textContent = "unexpected frame: " + raw;
      }
    },
    onstate: function (state, info) { socketUi.showState(badge, state, info); },
  });
  document.getElementById("start").addEventListener("submit", function (event) {
    event.preventDefault();
    bar.value = 0;
    text.textContent = "Started.";
    if (!socket.send({steps: Number(this.steps.value)})) {
      text.textContent = "not connected";
    }
  });
})();
