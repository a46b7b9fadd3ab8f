/*
 * Page script for the chat-like demos (global chat, rooms, letters,
 * notifications, JWT): one ReconnectingSocket, a message list, an input that
 * sends on Enter, and the connection-state badge.
 *
 * startFeed(root, path, format) wires the elements inside ``root``
 * (#state, #messages, form#send). ``format`` is the frame format:
 *   "json":  in {"text"}, out {"user", "text", "ts", ...} or {"error", "detail"}
 *   "plain": in and out plain text, out as "[user] text" (the global chat)
 * A root with a data-path attribute starts by itself on page load; one
 * with data-catch-up shows the room's latest messages on load and catches
 * up on every reconnect (ReconnectingSocket's catchUp). One with
 * data-presence asks the socket who is there (?presence) and keeps the
 * #present list and #guests count, with a line in the feed for each person
 * who joins or leaves.
 *
 * A line longer than the server's frame limit (data-max-frame on <body>,
 * from settings) is not sent: daphne would close the socket with 4501 and
 * the page would need a reload. The line stays in the box, with the reason.
 */
(function (global) {
  "use strict";

  function startFeed(root, path, format) {
    var list = root.querySelector("#messages");
    var form = root.querySelector("#send");
    var input = form.elements.text;
    var button = form.querySelector("button");
    var badge = root.querySelector("#state");
    var plain = format === "plain";
    var maxFrame = Number(document.body.getAttribute("data-max-frame")) || 0;

    function add(kind, user, text, ts) {
      var item = document.createElement("li");
      item.className = kind;
      var time = document.createElement("time");
      time.textContent = socketUi.timeOf(ts);
      if (ts) {
        time.setAttribute("datetime", ts);
      }
      var who = document.createElement("b");
      who.className = "user";
      who.textContent = user;
      var body = document.createElement("span");
      body.className = "text";
      body.textContent = text;
      item.append(time, who, body);
      list.append(item);
      list.scrollTop = list.scrollHeight;
    }

    // Back to this page once signed in, where the socket then connects.
    function loginLink() {
      var link = document.createElement("a");
      link.href = document.body.getAttribute("data-login-url") +
        "?next=" + encodeURIComponent(location.pathname);
      link.textContent = "Log in";
      return link;
    }

    var presence = root.hasAttribute("data-presence") ? watchPresence(root, add) : null;

    function onframe(frame, raw) {
      if (presence && presence.takes(frame)) {
        presence.receive(frame);
      } else if (plain) {
        var match = /^\[([^\]]*)\] ([\s\S]*)$/.exec(raw);
        add("message", match ? match[1] : "?", match ? match[2] : raw, null);
      } else if (frame === null) {
        add("error", "server", "unreadable frame: " + raw, null);
      } else if (frame.error === "login-required") {
        add("error", frame.error, "This page is for signed-in users. ", null);
        list.lastChild.querySelector(".text").append(loginLink());
      } else if (frame.error) {
        add("error", frame.error, frame.detail || "", null);
      } else {
        add("message", frame.user || "?", frame.text || "", frame.ts);
      }
    }

    // Outages leave a mark in the list. On a room page the lines said
    // meanwhile follow the "reconnected" mark (caught up, with their own
    // times); elsewhere the gap stays a gap: they were not received.
    var lost = false;
    function onstate(state, info) {
      socketUi.showState(badge, state, info);
      if (presence && state === "connecting") {
        presence.reconnecting();
      }
      // Input and button together: a Send that can do nothing is not offered.
      input.disabled = button.disabled = state !== "open";
      if (state === "reconnecting" && !lost) {
        lost = true;
        add("system", "", "connection lost (" + info.code + "); reconnecting", null);
      } else if (state === "open" && lost) {
        lost = false;
        add("system", "", "reconnected", null);
      }
      if (state === "open") {
        input.focus();
      }
    }

    function onmissed() {
      add("system", "", "the room's history no longer reaches back to your last message: " +
          "some messages may be missing", null);
    }

    if (presence) {
      path += (path.indexOf("?") === -1 ? "?" : "&") + "presence";
    }
    var socket = new ReconnectingSocket(path, {
      onframe: onframe, onstate: onstate, onmissed: onmissed,
      catchUp: root.hasAttribute("data-catch-up"),
    });

    /* The frame as it goes on the wire. JavaScript counts UTF-16 units,
     * never fewer than the characters daphne counts, so a line that passes
     * here is never refused there. */
    function tooLong(frame) {
      return maxFrame > 0 && frame.length > maxFrame;
    }

    function submit(event) {
      event.preventDefault();
      var text = input.value.trim();
      var frame = plain ? text : JSON.stringify({text: text});
      if (!text) {
        return;
      }
      if (tooLong(frame)) {
        add("error", "not sent", "this line is " + frame.length + " characters as a frame; " +
            "the server takes at most " + maxFrame + ". Shorten it and send again.", null);
        return;
      }
      if (socket.send(frame)) {
        input.value = "";
      }
    }
    form.addEventListener("submit", submit);

    return {
      socket: socket,
      stop: function () {
        form.removeEventListener("submit", submit);
        socket.close();
      },
    };
  }

  /*
   * Who is here, from channels_kit.presence's frames: one {"present",
   * "guests", "seq"} after each connect, then {"joined"}, {"left"} and
   * {"guests"}, each with the seq of its change. Frames from different
   * workers can arrive swapped, so a change older than what is known of its
   * name (or of the guest count) is ignored; changes that come before this
   * connection's "present" wait for it.
   */
  function watchPresence(root, add) {
    var list = root.querySelector("#present");
    var guestsBadge = root.querySelector("#guests");
    var names = {};      // name -> {here, seq}: the newest change applied
    var floor = null;    // the seq of this connection's "present"; null until it comes
    var guests = {count: 0, seq: -1};
    var early = [];

    function render() {
      var here = Object.keys(names).filter(function (name) { return names[name].here; }).sort();
      list.replaceChildren.apply(list, here.map(function (name) {
        var item = document.createElement("li");
        item.textContent = name;
        return item;
      }));
      guestsBadge.textContent = guests.count === 0 ? "" :
        guests.count === 1 ? "1 guest" : guests.count + " guests";
    }

    function change(frame) {
      if (!("joined" in frame || "left" in frame)) {
        if (frame.seq > guests.seq) {
          guests = {count: frame.guests, seq: frame.seq};
        }
        return;
      }
      var joined = "joined" in frame;
      var name = joined ? frame.joined : frame.left;
      var known = names[name] ? names[name].seq : floor;
      if (frame.seq <= known) {
        return;
      }
      var was = Boolean(names[name] && names[name].here);
      names[name] = {here: joined, seq: frame.seq};
      if (was !== joined) {
        add("presence", name, joined ? "joined the room" : "left the room", null);
      }
    }

    return {
      takes: function (frame) {
        return Boolean(frame) && !frame.error &&
          ("present" in frame || "joined" in frame || "left" in frame || "guests" in frame);
      },
      receive: function (frame) {
        if ("present" in frame) {
          floor = frame.seq;
          names = {};
          frame.present.forEach(function (name) { names[name] = {here: true, seq: frame.seq}; });
          guests = {count: frame.guests, seq: frame.seq};
          early.splice(0).forEach(change);
        } else if (floor === null) {
          early.push(frame);
        } else {
          change(frame);
        }
        render();
      },
      reconnecting: function () {
        floor = null;
        early = [];
      },
    };
  }

  global.startFeed = startFeed;
  var root = document.getElementById("feed");
  if (root && root.getAttribute("data-path")) {
    startFeed(root, root.getAttribute("data-path"), root.getAttribute("data-format"));
  }
})(window);
