/*
 * Inspector page: the events of /inspector/ as a table and as a sequence
 * diagram. One frame per channel-layer event: {"ts", "role", "pid", "op",
 * "channel", "group"?, "members"?, "content"?, "consumer"?, "ms"?}; the relay
 * adds its own ("role": "inspector"): "attached" once, and "dropped" with a
 * "count" when events were lost on the way.
 *
 * Both views draw the same kept events, filtered by reply channel, channel
 * and group. Pause keeps receiving but holds new events back until resumed;
 * Clear forgets everything shown. Drawing is batched to one per animation
 * frame, so a busy split does not redraw the page for every event. The
 * sequence diagram is sequence.js's, shared with the trace replay page;
 * Record and Save are trace_recorder.js's.
 */
(function () {
  "use strict";

  var KEEP = 2000;  // events kept for filtering
  var TABLE_ROWS = 500;

  var events = [];
  var held = [];
  var paused = false;
  var dropped = 0;
  var drawPending = false;
  var form = document.getElementById("controls");
  var body = document.getElementById("events");
  var svg = document.getElementById("sequence");
  var badge = document.getElementById("state");
  var relay = document.getElementById("relay");
  var droppedBadge = document.getElementById("dropped");
  var counts = document.getElementById("counts");
  var pauseButton = document.getElementById("pause");
  var recorder = window.TraceRecorder();

  /* --- Receiving --- */

  function onEvent(event) {
    recorder.take(event);
    if (event.role === "inspector") {
      if (event.op === "attached") {
        relay.textContent = "relay attached";
        relay.setAttribute("data-attached", "yes");
        return;
      }
      if (event.op === "dropped") {
        dropped += event.count;
        droppedBadge.textContent = dropped + " events dropped (the inspector fell behind)";
        droppedBadge.setAttribute("data-count", String(dropped));
      }
    }
    if (paused) {
      held.push(event);
    } else {
      keep(event);
    }
    scheduleDraw();
  }

  /* Kept in time order: a worker's receive arrives after what its consumer
   * did (it waits to name the consumer and its run time), and processes
   * ship their events independently. */
  function keep(event) {
    var at = events.length;
    while (at > 0 && events[at - 1].ts > event.ts) {
      at -= 1;
    }
    events.splice(at, 0, event);
    if (events.length > KEEP) {
      events.splice(0, events.length - KEEP);
    }
  }

  /* --- Filters, pause, clear --- */

  function contains(value, part) {
    return !part || (typeof value === "string" && value.indexOf(part) !== -1);
  }

  function replyChannelOf(event) {
    var content = event.content || {};
    return content.reply_channel || event.channel;
  }

  function shown(event) {
    var socket = form.socket.value.trim();
    var channel = form.channel.value.trim();
    var group = form.group.value.trim();
    if (socket && !(contains(replyChannelOf(event), socket) || contains(event.channel, socket))) {
      return false;
    }
    return contains(event.channel, channel) && contains(event.group, group);
  }

  form.addEventListener("input", scheduleDraw);
  form.addEventListener("submit", function (e) { e.preventDefault(); });
  pauseButton.addEventListener("click", function () {
    paused = !paused;
    pauseButton.setAttribute("aria-pressed", String(paused));
    pauseButton.textContent = paused ? "Resume" : "Pause";
    if (!paused) {
      held.forEach(keep);
      held = [];
    }
    scheduleDraw();
  });
  document.getElementById("clear").addEventListener("click", function () {
    events = [];
    held = [];
    scheduleDraw();
  });

  function scheduleDraw() {
    if (!drawPending) {
      drawPending = true;
      window.requestAnimationFrame(draw);
    }
  }

  function draw() {
    drawPending = false;
    var visible = events.filter(shown);
    drawTable(visible.slice(-TABLE_ROWS));
    window.SequenceDiagram.draw(svg, visible, {follow: true});
    counts.textContent = visible.length + " of " + events.length + " events" +
      (held.length ? ", " + held.length + " held while paused" : "");
  }

  /* --- Table --- */

  function clock(ts) {
    var when = new Date(ts * 1000);
    return when.toLocaleTimeString([], {hour12: false}) + "." +
      String(when.getMilliseconds()).padStart(3, "0");
  }

  function processOf(event) {
    return event.role + " " + event.pid;
  }

  function cellsOf(event) {
    var where = event.channel || "";
    if (event.group) {
      where = where ? where + " (" + event.group + ")" : event.group;
    }
    var content = event.content === undefined ? (event.count !== undefined ? "count " + event.count : "")
      : JSON.stringify(event.content);
    return [clock(event.ts), processOf(event), event.op, where,
      event.members === undefined ? "" : String(event.members), event.consumer || "",
      event.ms === undefined ? "" : event.ms.toFixed(2), content];
  }

  function drawTable(visible) {
    var rows = document.createDocumentFragment();
    visible.slice().reverse().forEach(function (event) {
      var row = document.createElement("tr");
      row.setAttribute("data-op", event.op);
      cellsOf(event).forEach(function (text, index) {
        var cell = row.insertCell();
        cell.textContent = text;
        if (index === 7) {
          cell.className = "content";
        }
      });
      rows.appendChild(row);
    });
    body.replaceChildren(rows);
  }

  /* --- The socket --- */

  new window.ReconnectingSocket("/inspector/", {
    onframe: function (frame) {
      if (frame && frame.op) {
        onEvent(frame);
      }
    },
    onstate: function (state, info) {
      window.socketUi.showState(badge, state, info);
      if (state !== "open") {
        relay.textContent = state === "closed" ? "" : "waiting for the relay";
        relay.setAttribute("data-attached", "no");
      }
    }
  });
  draw();
})();
