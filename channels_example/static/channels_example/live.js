/*
 * Live data page: one socket on /live/, a WebsocketDemultiplexer on the
 * server. Frames in both directions are {"stream", "payload"}; the "values"
 * stream carries the LiveValue binding: out {"action": "create" | "update" |
 * "delete", "pk", "data": {"name", "value", "updated_at"}}, in the same shape;
 * and, first on every (re)connection, {"action": "snapshot", "values":
 * [{"pk", "data"}, ...]}: every value there is.
 *
 * A change made while the server read the snapshot can arrive before it. So
 * a row keeps its newest data (by updated_at), a snapshot row deleted on
 * this connection stays deleted, and rows the snapshot lacks are dropped
 * unless this connection has seen them change (they were deleted while the
 * page was disconnected).
 */
(function () {
  "use strict";

  var STREAM = "values";
  var rows = {};
  var changed = {};  // pk -> "deleted" or "saved", for changes seen on this connection
  var body = document.getElementById("values");
  var badge = document.getElementById("state");
  var form = document.getElementById("set");
  var errors = document.getElementById("live-error");

  function cell(row, index, text) {
    row.cells[index].textContent = text;
  }

  function remove(pk) {
    if (rows[pk]) {
      rows[pk].remove();
      delete rows[pk];
    }
  }

  function show(pk, data, label) {
    var row = rows[pk];
    if (row && row.dataset.updatedAt > data.updated_at) {
      return;  // older than what the page shows
    }
    if (!row) {
      row = rows[pk] = body.insertRow();
      row.insertCell();
      row.insertCell();
      row.insertCell();
    }
    row.dataset.updatedAt = data.updated_at;
    cell(row, 0, data.name);
    cell(row, 1, data.value);
    cell(row, 2, label);
  }

  function applySnapshot(values) {
    var inSnapshot = {};
    values.forEach(function (item) {
      inSnapshot[item.pk] = true;
      if (changed[item.pk] !== "deleted") {
        show(item.pk, item.data, "saved at " + socketUi.timeOf(item.data.updated_at));
      }
    });
    Object.keys(rows).forEach(function (pk) {
      if (!inSnapshot[pk] && !changed[pk]) {
        remove(pk);
      }
    });
  }

  function apply(payload) {
    if (payload.action === "snapshot") {
      applySnapshot(payload.values);
    } else if (payload.action === "delete") {
      changed[payload.pk] = "deleted";
      remove(payload.pk);
    } else {
      changed[payload.pk] = "saved";
      show(payload.pk, payload.data, payload.action + " at " + socketUi.timeOf(null));
    }
    var empty = body.querySelector("tr.empty");
    if (empty) {
      empty.hidden = Object.keys(rows).length > 0;
    }
  }

  function pkOf(name) {
    for (var pk in rows) {
      if (rows[pk].cells[0].textContent === name) {
        return pk;
      }
    }
    return null;
  }

  var socket = new ReconnectingSocket("/live/", {
    onframe: function (frame, raw) {
      if (frame && frame.stream === STREAM && frame.payload) {
        apply(frame.payload);
      } else if (frame && frame.error) {
        errors.textContent = frame.error + ": " + frame.detail;
      } else {
        errors.textContent = "unexpected frame: " + raw;
      }
    },
    onstate: function (state, info) {
      if (state === "connecting") {
        changed = {};  // a new connection: its snapshot comes first
      }
      socketUi.showState(badge, state, info);
    },
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    errors.textContent = "";  // an earlier refusal is not this save's
    var data = {name: form.elements.name.value, value: form.elements.value.value};
    var pk = pkOf(data.name);
    var payload = pk === null ? {action: "create", data: data} : {action: "update", pk: Number(pk), data: data};
    if (!socket.send({stream: STREAM, payload: payload})) {
      errors.textContent = "not connected";
    }
  });
})();
