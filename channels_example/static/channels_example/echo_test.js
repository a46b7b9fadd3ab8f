/* The echo test page: deliberately the bare browser WebSocket API, no reconnecting. */
(function () {
  "use strict";
  var badge = document.getElementById("state");
  var replies = document.getElementById("replies");

  function show(state, text) {
    badge.setAttribute("data-state", state);
    badge.textContent = text || state;
  }

  function WebSocketTest() {
    if (!("WebSocket" in window)) {
      show("closed", "this browser has no WebSocket");
      return;
    }
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + location.host + "/echo/");
    var sent = false;
    show("connecting");
    socket.onopen = function () {
      if (sent) { return; }
      sent = true;
      show("open");
      socket.send("hello world");
    };
    socket.onmessage = function (event) {
      var item = document.createElement("li");
      item.className = "reply";
      item.textContent = event.data;
      replies.append(item);
    };
    socket.onclose = function (event) {
      show("closed", "closed (" + event.code + ")");
    };
    // A common guard: call onopen directly if the socket is already open.
    // A new socket is always CONNECTING in a browser, so this is a no-op
    // here, and "sent" keeps the two paths from sending twice.
    if (socket.readyState === WebSocket.OPEN) { socket.onopen(); }
  }

  document.getElementById("run").addEventListener("click", function (event) {
    event.preventDefault();
    WebSocketTest();
  });
})();
