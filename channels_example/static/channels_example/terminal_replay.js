/*
 * Replays an asciicast v2 recording in xterm.js: the header line sets the
 * size, then each [seconds, "o", text] is written and each
 * [seconds, "r", "COLSxROWS"] resizes, at the recorded pace (pauses longer
 * than MAX_PAUSE_S are shortened), times the chosen speed.
 */
(function () {
  "use strict";

  var MAX_PAUSE_S = 2;
  var box = document.getElementById("player");
  var stateLabel = document.getElementById("state");
  var speed = document.getElementById("speed");
  var term = null;
  var events = [];
  var header = null;
  var next = 0;
  var timer = null;

  function show(state, text) {
    stateLabel.dataset.state = state;
    stateLabel.textContent = text;
  }

  function apply(event) {
    if (event[1] === "o") {
      term.write(event[2]);
    } else if (event[1] === "r") {
      var size = event[2].split("x");
      term.resize(parseInt(size[0], 10), parseInt(size[1], 10));
    }
  }

  function step() {
    if (next >= events.length) {
      show("closed", "finished");
      return;
    }
    var event = events[next];
    apply(event);
    next += 1;
    if (next < events.length) {
      var pause = Math.min(events[next][0] - event[0], MAX_PAUSE_S);
      timer = setTimeout(step, 1000 * pause / parseFloat(speed.value));
    } else {
      show("closed", "finished");
    }
  }

  function start() {
    clearTimeout(timer);
    term.reset();
    term.resize(header.width, header.height);
    next = 0;
    show("open", "playing " + header.title);
    step();
  }

  function load(text) {
    var lines = text.split("\n").filter(function (line) { return line.trim(); }).map(JSON.parse);
    header = lines[0];
    events = lines.slice(1);
    term = new Terminal({cols: header.width, rows: header.height, fontSize: 14});
    term.open(box);
    start();
  }

  document.getElementById("restart").addEventListener("click", function () {
    if (header) { start(); }
  });
  fetch(box.dataset.cast, {credentials: "same-origin"})
    .then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.text();
    })
    .then(load)
    .catch(function (error) { show("closed", "cannot load the recording: " + error.message); });
}());
