/*
 * The sequence diagram of channel-layer events: lanes for the browser, each
 * daphne, Redis and each worker, and one or two hops per event. Drawn by the
 * live inspector (inspector.js) and by the trace replay (trace_replay.js)
 * from the same events, so a replayed trace looks as it did live.
 */
(function () {
  "use strict";

  var SEQUENCE_HOPS = 300;
  var LANE_WIDTH = 190;
  var ROW_HEIGHT = 24;
  // The width of one character of the 12 px monospace hop labels (site.css), a little over.
  var CHAR_WIDTH = 8;
  var HEAD_HEIGHT = 30;
  var SVG = "http://www.w3.org/2000/svg";
  // What the browser did, for each channel daphne sends its doings on.
  var FROM_BROWSER = {
    "websocket.connect": "connect", "websocket.receive": "frame",
    "websocket.disconnect": "closed", "http.request": "request"
  };

  /*
   * Lanes: browser, each daphne, Redis, each worker (numbered in order of
   * appearance), then any other process (a shell or command that pushed).
   * Every event becomes one or two hops: daphne's sends start at the
   * browser, its receives end there. */

  function socketOf(channel) {
    var bang = (channel || "").indexOf("!");
    return bang === -1 ? channel : "socket …" + channel.slice(-6);
  }

  function lanesFor(visible) {
    var lanes = ["browser"];
    var daphnes = [];
    var workers = [];
    var others = [];
    visible.forEach(function (event) {
      var list = event.role === "daphne" ? daphnes : event.role === "worker" ? workers
        : event.role === "inspector" ? null : others;
      if (list && list.indexOf(event.pid) === -1) {
        list.push(event.pid);
      }
    });
    var index = {};
    function add(name, key) {
      index[key] = lanes.length;
      lanes.push(name);
    }
    index.browser = 0;
    if (!daphnes.length) {
      daphnes.push("-");
    }
    daphnes.forEach(function (pid, i) {
      add(daphnes.length > 1 ? "daphne " + (i + 1) : "daphne", "daphne " + pid);
    });
    add("Redis", "redis");
    if (!workers.length) {
      workers.push("-");
    }
    workers.forEach(function (pid, i) { add("worker " + (i + 1), "worker " + pid); });
    others.forEach(function (pid) { add("process " + pid, "process " + pid); });
    return {names: lanes, index: index};
  }

  function summary(content) {
    if (!content) {
      return "";
    }
    if (content.accept && content.text === undefined) {
      return "accept";
    }
    if (content.close !== undefined && content.text === undefined) {
      return "close " + content.close;
    }
    if (content.text !== undefined) {
      var text = String(content.text);
      return text.length > 40 ? text.slice(0, 40) + "…" : text;
    }
    if (content.path !== undefined) {
      return content.path;
    }
    if (content.status !== undefined) {
      return "response " + content.status;
    }
    if (content.content !== undefined) {
      return "response body";
    }
    return Object.keys(content).join(", ") || "(empty)";  // never an arrow without a label
  }

  function hopsOf(event, lanes) {
    var me = lanes.index[event.role + " " + event.pid];
    var redis = lanes.index.redis;
    var content = event.content;
    var channel = event.channel || "";
    if (event.role === "inspector") {
      return event.op === "dropped" ? [{note: event.count + " events dropped"}] : [];
    }
    if (event.role === "daphne" && event.op === "send") {
      var hops = [];
      var fromBrowser = FROM_BROWSER[channel];
      if (fromBrowser) {
        hops.push({from: 0, to: me, label: fromBrowser + " " + summary(content), kind: "browser"});
      }
      hops.push({from: me, to: redis, label: "send " + channel, kind: "send"});
      return hops;
    }
    if (event.role === "daphne" && event.op === "receive") {
      return [{from: redis, to: me, label: "receive " + socketOf(channel), kind: "receive"},
        {from: me, to: 0, label: summary(content), kind: "browser"}];
    }
    if (event.op === "receive") {
      var took = "receive " + socketOf(channel);
      if (event.consumer) {
        took += " → " + event.consumer + " (" + event.ms.toFixed(1) + " ms)";
      }
      return [{from: redis, to: me, label: took, kind: "receive"}];
    }
    if (event.op === "group_send") {
      return [{from: me, to: redis, kind: "group",
        label: "group_send " + event.group + " (" + event.members + " member" + (event.members === 1 ? "" : "s") + ")"}];
    }
    if (event.op === "group_add" || event.op === "group_discard") {
      return [{from: me, to: redis, label: event.op + " " + event.group + " " + socketOf(channel), kind: "group"}];
    }
    var label = event.op + " " + socketOf(channel) + (event.op === "send" ? " " + summary(content) : "");
    return [{from: me, to: redis, label: label, kind: event.group ? "member" : event.op}];
  }

  function element(name, attributes, text) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attributes).forEach(function (key) { node.setAttribute(key, attributes[key]); });
    if (text !== undefined) {
      node.textContent = text;
    }
    return node;
  }

  function laneX(index) {
    return LANE_WIDTH / 2 + index * LANE_WIDTH;
  }

  /* Draw ``visible`` (events in time order) into ``svg``. Options: ``current``,
   * an event whose hops get the class "current"; ``follow``, keep the newest
   * hops in view unless the reader scrolled back. */
  function draw(svg, visible, options) {
    options = options || {};
    var lanes = lanesFor(visible);
    var hops = [];
    visible.forEach(function (event) {
      hopsOf(event, lanes).forEach(function (hop) {
        hop.event = event;
        hops.push(hop);
      });
    });
    hops = hops.slice(-SEQUENCE_HOPS);
    var width = (lanes.names.length + 1) * LANE_WIDTH;  // room for the last lane's labels
    hops.forEach(function (hop) {
      if (hop.label) {  // a long label widens the picture (the box scrolls) instead of being cut
        width = Math.max(width, laneX(Math.min(hop.from, hop.to)) + 12 + hop.label.length * CHAR_WIDTH);
      }
    });
    var height = HEAD_HEIGHT + (hops.length + 1) * ROW_HEIGHT;
    var picture = document.createDocumentFragment();
    picture.appendChild(element("defs", {})).appendChild(element("marker", {
      id: "arrow", viewBox: "0 0 10 10", refX: "9", refY: "5", markerWidth: "7", markerHeight: "7",
      orient: "auto-start-reverse"
    })).appendChild(element("path", {d: "M0,0 L10,5 L0,10 z", fill: "context-stroke"}));
    lanes.names.forEach(function (name, index) {
      var head = element("g", {"class": "lane-head", "data-lane": name});
      head.appendChild(element("rect", {x: laneX(index) - 60, y: 2, width: 120, height: 22, rx: 4}));
      head.appendChild(element("text", {x: laneX(index), y: 17, "text-anchor": "middle"}, name));
      picture.appendChild(element("line", {"class": "lane-line", x1: laneX(index), y1: 24,
        x2: laneX(index), y2: height}));
      picture.appendChild(head);
    });
    hops.forEach(function (hop, row) {
      var y = HEAD_HEIGHT + (row + 1) * ROW_HEIGHT;
      if (hop.note) {
        var note = element("g", {"class": "note"});
        note.appendChild(element("text", {x: 8, y: y}, hop.note));
        picture.appendChild(note);
        return;
      }
      var group = element("g", {"class": "hop " + hop.kind + (hop.event === options.current ? " current" : ""),
        "data-op": hop.event.op});
      var left = Math.min(hop.from, hop.to);
      var x1 = laneX(hop.from);
      var x2 = laneX(hop.to);
      group.appendChild(element("title", {}, JSON.stringify(hop.event)));
      group.appendChild(element("line", {x1: x1, y1: y, x2: x2 + (x2 > x1 ? -4 : 4), y2: y,
        "marker-end": "url(#arrow)"}));
      group.appendChild(element("text", {x: laneX(left) + 6, y: y - 4}, hop.label));
      picture.appendChild(group);
    });
    svg.setAttribute("width", width);
    svg.setAttribute("height", height);
    svg.setAttribute("viewBox", "0 0 " + width + " " + height);
    var box = svg.parentNode;
    var atBottom = box.scrollTop + box.clientHeight >= box.scrollHeight - ROW_HEIGHT;
    svg.replaceChildren(picture);
    if (options.follow && atBottom) {
      box.scrollTop = box.scrollHeight;  // follow the newest hops unless scrolled back
    }
  }

  window.SequenceDiagram = {draw: draw};
})();
