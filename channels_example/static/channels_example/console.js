/* The socket console: open any WebSocket path, send raw frames, list every frame. */
(function () {
  "use strict";
  var socket = null;
  var frames = document.getElementById("frames");
  var badge = document.getElementById("state");
  var opener = document.getElementById("open");
  var sender = document.getElementById("send");

  function log(kind, text) {
    var item = document.createElement("li");
    item.className = kind;
    var time = document.createElement("time");
    time.textContent = socketUi.timeOf(null);
    var who = document.createElement("b");
    who.textContent = kind === "sent" ? "sent" : "received";
    var body = document.createElement("span");
    body.textContent = text;
    item.append(time, who, body);
    frames.append(item);
    frames.scrollTop = frames.scrollHeight;
  }

  function connect(path) {
    if (socket) { socket.close(); }
    socket = new ReconnectingSocket(path, {
      onframe: function (frame, raw) { log(frame && frame.error ? "error" : "received", raw); },
      onstate: function (state, info) { socketUi.showState(badge, state, info); },
    });
  }

  opener.addEventListener("submit", function (event) {
    event.preventDefault();
    connect(this.path.value);
  });
  sender.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = this.text.value;
    if (socket && socket.send(text)) {
      log("sent", text);
      this.text.value = "";
    }
  });
  var asked = new URLSearchParams(location.search).get("path");
  if (asked && asked.charAt(0) === "/") {
    opener.path.value = asked;
    connect(asked);
  }
})();
