/*
 * The browser side of every demo page: a WebSocket that comes back by itself.
 *
 * It is the plain browser WebSocket API (onopen / onmessage / onclose /
 * onerror, readyState) plus the policy this project's servers expect:
 *
 * - A 4000-4999 close is the server saying no on purpose (bad room name,
 *   login required, bad token). Trying again would get the same answer, so
 *   the socket stays closed and shows why. The consumers send a JSON frame
 *   {"error", "detail", "close"} just before such a close (daphne 1.4 sends
 *   close codes without a reason text), and that detail becomes the reason
 *   shown. If the close frame itself is lost (a reset reported as 1006), the
 *   frame's "close" code stands in for it: the refusal is still final.
 * - A normal close (1000) is final too: the server finished on purpose.
 * - Any other close (daphne restarted: 1006, going away: 1001, Redis away
 *   longer than daphne holds frames: 1012 "service restart" or 1013 "try
 *   again later", each after a JSON frame saying so) is an
 *   outage: reconnect after an exponentially growing delay with jitter, so a
 *   restarted server is not hit by every browser at the same instant.
 *   Reconnecting to the same path is what rejoins a room: the connect
 *   consumer adds the new reply channel to the room's Group again.
 * - A daphne that stops for a deploy says so first ("service-restart" with
 *   "retry_ms"), then reads on briefly and closes with 1012. On the notice
 *   the socket stops sending (what it sent before is delivered) but keeps
 *   reading until the close, so nothing sent to it meanwhile is missed; on
 *   1012 it reconnects at once, after a random delay under "retry_ms" (250
 *   ms without one), and only a retry that fails backs off.
 *
 * Catch-up (option catchUp, for endpoints that keep a history, such as
 * channels_kit.history's rooms): every connect asks ?since=<the newest id
 * seen>, and the server first answers with one {"history": [...],
 * "complete"} frame. Messages that arrive live before it wait, so the page
 * shows history, then live, in order; a message that comes both ways (it
 * was sent between the server joining the group and reading the history)
 * is shown once. "complete": false (the gap was older than the server
 * keeps) is reported to onmissed().
 *
 * States, reported to onstate(state, info): "connecting", "open",
 * "reconnecting" (info.seconds until the next try), "closed" (info.code,
 * info.reason, and info.error: the refusal's error name, if a frame gave one).
 */
(function (global) {
  "use strict";

  function socketUrl(path) {
    var scheme = global.location.protocol === "https:" ? "wss://" : "ws://";
    return scheme + global.location.host + path;
  }

  function isPolicyClose(code) {
    return code >= 4000 && code <= 4999;
  }

  /* Whether message id a ("<ms>-<seq>") is newer than b ("" is older than any). */
  function idAfter(a, b) {
    if (!b) {
      return true;
    }
    var x = a.split("-").map(Number);
    var y = b.split("-").map(Number);
    return x[0] > y[0] || (x[0] === y[0] && x[1] > y[1]);
  }

  // Ids remembered for dropping a second copy; the older half goes past this.
  var SEEN_KEPT = 2000;

  function ReconnectingSocket(path, options) {
    options = options || {};
    this.path = path;
    this.url = socketUrl(path);
    this.catchUp = Boolean(options.catchUp);
    this.onmissed = options.onmissed || function () {};
    this.lastId = "";   // the newest message id shown: what a reconnect asks after
    this.seen = {};     // ids shown, so a message that comes twice is shown once
    this.seenCount = 0; // how many ids ``seen`` holds (counted, not listed, on every message)
    this.held = null;   // live messages that came before this connection's history
    this.baseDelay = options.baseDelay || 500;
    this.maxDelay = options.maxDelay || 10000;
    this.onframe = options.onframe || function () {};
    this.onstate = options.onstate || function () {};
    this.attempts = 0;
    this.lastError = null;
    this.stopped = false;
    this.timer = null;
    this.connect();
  }

  ReconnectingSocket.prototype.connect = function () {
    var self = this;
    this.lastError = null;
    this.restarting = false;
    this.onstate("connecting", {attempt: this.attempts + 1});
    var url = this.url;
    if (this.catchUp) {
      url += (this.path.indexOf("?") === -1 ? "?" : "&") + "since=" + encodeURIComponent(this.lastId);
      this.held = [];
    }
    var ws = this.ws = new global.WebSocket(url);
    ws.onopen = function () {
      self.attempts = 0;
      self.onstate("open", {});
    };
    ws.onmessage = function (event) {
      var frame = parseFrame(event.data);
      if (frame && frame.error) {
        self.lastError = frame;
        self.restarting = self.restarting || frame.error === "service-restart";
      }
      self.receive(frame, event.data);
    };
    // An error event carries no detail in browsers and is always followed by
    // close, which is where the decision is made.
    ws.onerror = function () {};
    ws.onclose = function (event) {
      self.closed(event.code, event.reason);
    };
  };

  ReconnectingSocket.prototype.receive = function (frame, raw) {
    var self = this;
    if (!this.catchUp) {
      this.onframe(frame, raw);
    } else if (frame && Array.isArray(frame.history)) {
      frame.history.forEach(function (message) { self.show(message, JSON.stringify(message)); });
      if (frame.complete === false) {
        this.onmissed();
      }
      var held = this.held || [];
      this.held = null;
      held.forEach(function (item) { self.show(item[0], item[1]); });
    } else if (this.held && frame && frame.id) {
      this.held.push([frame, raw]);
    } else {
      this.show(frame, raw);
    }
  };

  ReconnectingSocket.prototype.show = function (frame, raw) {
    if (frame && typeof frame.id === "string") {
      if (this.seen[frame.id]) {
        return;
      }
      this.remember(frame.id);
    }
    this.onframe(frame, raw);
  };

  ReconnectingSocket.prototype.remember = function (id) {
    this.seen[id] = true;
    this.seenCount += 1;
    if (idAfter(id, this.lastId)) {
      this.lastId = id;
    }
    if (this.seenCount > SEEN_KEPT) {
      var ids = Object.keys(this.seen);
      ids.sort(function (a, b) { return idAfter(a, b) ? 1 : -1; });
      ids.slice(0, ids.length / 2).forEach(function (old) { delete this.seen[old]; }, this);
      this.seenCount = ids.length - Math.floor(ids.length / 2);
    }
  };

  ReconnectingSocket.prototype.closed = function (code, reason) {
    if (this.lastError && this.lastError.close && !isPolicyClose(code)) {
      code = this.lastError.close;
    }
    var error = this.lastError ? this.lastError.error : "";
    if (!reason && this.lastError) {
      reason = this.lastError.error + ": " + this.lastError.detail;
    }
    if (this.stopped || code === 1000 || isPolicyClose(code)) {
      this.onstate("closed", {code: code, reason: reason || "", error: error});
      return;
    }
    this.scheduleReconnect(code);
  };

  /* Exponential backoff, capped, with "equal jitter": half the delay fixed,
   * half random, so retries spread out but never come too early. */
  ReconnectingSocket.prototype.nextDelay = function () {
    var ceiling = Math.min(this.maxDelay, this.baseDelay * Math.pow(2, this.attempts));
    this.attempts += 1;
    return ceiling / 2 + Math.random() * ceiling / 2;
  };

  /* A server restarting (1012) has another one ready: the first retry goes
   * at once, spread over the notice's retry_ms so the daphnes left are not
   * all hit at one instant. */
  ReconnectingSocket.prototype.firstDelay = function (code) {
    if (code !== 1012 || this.attempts > 0) {
      return this.nextDelay();
    }
    this.attempts += 1;
    var spread = this.lastError && this.lastError.retry_ms >= 0 ? this.lastError.retry_ms : 250;
    return Math.random() * spread;
  };

  ReconnectingSocket.prototype.scheduleReconnect = function (code) {
    var self = this;
    var due = Date.now() + this.firstDelay(code);
    function tick() {
      var left = due - Date.now();
      if (self.stopped) {
        return;
      }
      if (left <= 0) {
        self.connect();
        return;
      }
      self.onstate("reconnecting", {code: code, seconds: Math.ceil(left / 1000)});
      self.timer = global.setTimeout(tick, Math.min(left, 1000));
    }
    tick();
  };

  /* Send a frame if the socket is open; returns whether it was sent. Frames
   * are not queued while reconnecting: a chat line typed during an outage
   * would arrive late and out of context. Nor are they sent to a server that
   * announced its restart: it may close before reading them. */
  ReconnectingSocket.prototype.send = function (data) {
    if (!this.ws || this.ws.readyState !== global.WebSocket.OPEN || this.restarting) {
      return false;
    }
    this.ws.send(typeof data === "string" ? data : JSON.stringify(data));
    return true;
  };

  /* Close for good. The state is reported now, not from the close event,
   * so a page that replaces this socket with a new one never sees the old
   * one's late "closed" overwrite the new one's state. */
  ReconnectingSocket.prototype.close = function () {
    this.stopped = true;
    global.clearTimeout(this.timer);
    if (this.ws) {
      this.ws.onclose = null;
      this.ws.close(1000);
    }
    this.onstate("closed", {code: 1000, reason: "closed by this page"});
  };

  function parseFrame(data) {
    if (typeof data !== "string") {
      return null;
    }
    try {
      var value = JSON.parse(data);
      return value !== null && typeof value === "object" ? value : null;
    } catch (e) {
      return null;
    }
  }

  /* Render a state into a badge element: its text and a data-state
   * attribute the stylesheet (and the browser tests) key on. */
  function showState(badge, state, info) {
    var text = state;
    if (state === "reconnecting") {
      text = "reconnecting in " + info.seconds + " s (" + info.code + ")";
    } else if (state === "closed") {
      // The badge names the refusal; its sentence is the tooltip (pages show it in full).
      var why = info.error || info.reason;
      text = "closed (" + info.code + (why ? ": " + why : "") + ")";
    }
    badge.textContent = text;
    badge.title = state === "closed" ? info.reason : "";
    badge.setAttribute("data-state", state);
  }

  function timeOf(ts) {
    var when = ts ? new Date(ts) : new Date();
    return isNaN(when.getTime()) ? String(ts) : when.toLocaleTimeString();
  }

  global.ReconnectingSocket = ReconnectingSocket;
  global.socketUi = {showState: showState, timeOf: timeOf, socketUrl: socketUrl};
})(window);
