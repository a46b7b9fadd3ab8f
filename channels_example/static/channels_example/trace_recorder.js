/*
 * Recording a trace from the inspector page. Record keeps every event the
 * page receives from then on (whatever the filters show, paused or not)
 * until Stop; Save sends them with a name to /inspector/traces/, which
 * redacts them again and saves them for the replay page. The same trace
 * as `manage.py recordtrace` makes, limited to what this page received.
 */
(function () {
  "use strict";

  var MAX_EVENTS = 5000;  // the most the server saves in one trace

  function TraceRecorder() {
    var button = document.getElementById("record");
    var form = document.getElementById("save-trace");
    var count = document.getElementById("recorded-count");
    var result = document.getElementById("save-result");
    var recording = null;
    var kept = [];
    var lost = 0;

    function show() {
      button.setAttribute("aria-pressed", String(recording !== null));
      button.textContent = recording ? "Stop recording (" + recording.length + ")" : "Record";
    }

    button.addEventListener("click", function () {
      if (recording) {
        kept = recording;
        recording = null;
        count.textContent = kept.length + " events recorded";
        form.hidden = false;
      } else {
        recording = [];
        lost = 0;
        form.hidden = true;
        result.replaceChildren();
      }
      show();
    });

    form.addEventListener("submit", function (e) {
      e.preventDefault();
      result.textContent = "saving…";
      fetch(form.action, {
        method: "POST", credentials: "same-origin",
        headers: {"Content-Type": "application/json", "X-CSRFToken": form.csrfmiddlewaretoken.value},
        body: JSON.stringify({name: form.elements.name.value.trim(), events: kept, lost: lost})
      }).then(function (response) {
        // A refusal that is not the view's (a login page, a CSRF page) is no JSON: say its status.
        return response.json().catch(function () { return {error: "HTTP " + response.status}; })
          .then(function (answer) { return {ok: response.ok, answer: answer}; });
      }).then(function (reply) {
        if (!reply.ok) {
          result.textContent = "not saved: " + (reply.answer.detail || reply.answer.error);
          return;
        }
        var link = document.createElement("a");
        link.href = reply.answer.url;
        link.textContent = "saved: replay " + reply.answer.name;
        result.replaceChildren(link);
      }).catch(function () {
        result.textContent = "not saved: the server did not answer";
      });
    });

    show();
    return {
      take: function (event) {
        if (!recording) {
          return;
        }
        if (event.role === "inspector") {
          lost += event.op === "dropped" ? event.count : 0;
        } else if (recording.length < MAX_EVENTS) {
          recording.push(event);
        } else {
          lost += 1;
        }
        show();
      }
    };
  }

  window.TraceRecorder = TraceRecorder;
})();
