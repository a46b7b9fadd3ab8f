/*
 * The terminal page: xterm.js on /terminal/<alias>/.
 *
 * Out: keystrokes as {"input": text}, the size as {"resize": [cols, rows]}
 * (on connect and whenever the window changes it). In: binary frames are the
 * shell's output, written to the terminal as raw bytes; text frames are JSON
 * status or error frames.
 *
 * The session outlives the socket: its id is kept in sessionStorage, so a
 * reload, or a dropped connection, reconnects with ?session=<id> and the
 * server sends what the shell printed meanwhile. A session that ended or
 * expired (unknown-session) is forgotten and a new one opened. Any other
 * 4000-4999 close, or 1000, is final: the page says why and stays closed.
 *
 * Keystrokes go out at most every 50 ms (typing faster is sent together),
 * which keeps a held-down key under daphne's per-socket frame rate; a long
 * paste goes out in pieces under its frame size limit.
 */
(function () {
  "use strict";

  var SEND_EVERY_MS = 50;
  // Under daphne's frame size limit (WS_MAX_FRAME; its default is channels_kit.daphne.Limits.max_frame).
  var MAX_FRAME_CHARS = 16384;
  var box = document.getElementById("terminal");
  var stateLabel = document.getElementById("state");
  var alias = box.dataset.alias;
  var storageKey = "terminal-session:" + alias;
  var term = new Terminal({cursorBlink: true, fontSize: 14, scrollback: 5000});
  var fit = new FitAddon.FitAddon();
  var ws = null;
  var attempts = 0;
  var final = false;
  var startOver = false;
  var pending = "";
  var lastSent = 0;
  var flushTimer = null;

  term.loadAddon(fit);
  term.open(box);
  fit.fit();

  function show(state, text) {
    stateLabel.dataset.state = state;
    stateLabel.textContent = text;
  }

  function send(frame) {
    if (ws && ws.readyState === WebSocket.OPEN) {
      ws.send(JSON.stringify(frame));
    }
  }

  function flush() {
    flushTimer = null;
    for (var start = 0; start < pending.length; start += MAX_FRAME_CHARS) {
      send({input: pending.slice(start, start + MAX_FRAME_CHARS)});
    }
    if (pending) {
      pending = "";
      lastSent = Date.now();
    }
  }

  function type(data) {
    pending += data;
    var wait = lastSent + SEND_EVERY_MS - Date.now();
    if (wait <= 0) {
      flush();
    } else if (!flushTimer) {
      flushTimer = setTimeout(flush, wait);
    }
  }

  function socketUrl() {
    var session = sessionStorage.getItem(storageKey);
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var query = session ? "?session=" + encodeURIComponent(session) : "";
    return scheme + location.host + "/terminal/" + encodeURIComponent(alias) + "/" + query;
  }

  function onFrame(frame) {
    if (frame.status === "connected") {
      sessionStorage.setItem(storageKey, frame.session);
      attempts = 0;
      show("open", (frame.reattached ? "reattached to " : "connected: ") + "session " + frame.session);
      send({resize: [term.cols, term.rows]});
      term.focus();
    } else if (frame.error === "unknown-session") {
      sessionStorage.removeItem(storageKey);
      startOver = true;
    } else if (frame.status === "ended" || frame.close) {
      final = true;
      sessionStorage.removeItem(storageKey);
      show("closed", frame.detail + (frame.close ? " (" + frame.close + ")" : ""));
    }
  }

  function connect() {
    show("connecting", sessionStorage.getItem(storageKey) ? "reattaching" : "connecting");
    ws = new WebSocket(socketUrl());
    ws.binaryType = "arraybuffer";
    ws.onmessage = function (event) {
      if (typeof event.data === "string") {
        onFrame(JSON.parse(event.data));
      } else {
        term.write(new Uint8Array(event.data));
      }
    };
    ws.onclose = function (event) {
      if (startOver) {
        startOver = false;
        connect();
        return;
      }
      if (final || event.code === 1000 || (event.code >= 4000 && event.code <= 4999)) {
        final = true;
        if (stateLabel.dataset.state !== "closed") {
          show("closed", "closed (" + event.code + ")");
        }
        return;
      }
      attempts += 1;
      var delay = Math.min(10000, 500 * Math.pow(2, attempts - 1)) * (0.5 + Math.random() / 2);
      show("reconnecting", "connection lost; reattaching in " + (delay / 1000).toFixed(1) + " s");
      setTimeout(connect, delay);
    };
  }

  term.onData(type);
  term.onResize(function (size) { send({resize: [size.cols, size.rows]}); });
  window.addEventListener("resize", function () { fit.fit(); });
  connect();
}());
