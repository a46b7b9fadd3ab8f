/*
 * Live data page: one socket on /live/, a WebsocketDemultiplexer on the
 * server. Frames in both directions are {"stream", "payload"}; the "values"
 * stream carries the LiveValue binding: out {"action": "create" | "update" |
 * "delete", "pk", "data": {"name", "value"}}, in the same shape.
 */
(function () {
  "use strict";

  var STREAM = "values";
  var rows = {};
  var body = document.getElementById("values");
  var badge = document.getElementById("state");
  var form = document.getElementById("set");
  var errors = document.getElementById("live-error");

  function cell(row, index, text) {
    row.cells[index].textContent = text;
  }

  function apply(payload) {
    var row = rows[payload.pk];
    var empty = body.querySelector("tr.empty");
    if (payload.action === "delete") {
      if (row) {
        row.remove();
        delete rows[payload.pk];
      }
      return;
    }
    if (!row) {
      row = rows[payload.pk] = body.insertRow();
      row.insertCell();
      row.insertCell();
      row.insertCell();
    }
    if (empty) {
      empty.remove();
    }
    cell(row, 0, payload.data.name);
    cell(row, 1, payload.data.value);
    cell(row, 2, payload.action + " at " + socketUi.timeOf(null));
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
      socketUi.showState(badge, state, info);
    },
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var data = {name: form.elements.name.value, value: form.elements.value.value};
    var pk = pkOf(data.name);
    var payload = pk === null ? {action: "create", data: data} : {action: "update", pk: Number(pk), data: data};
    if (!socket.send({stream: STREAM, payload: payload})) {
      errors.textContent = "not connected";
    }
  });
})();
