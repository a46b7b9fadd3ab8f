/*
 * Trace replay: a saved inspector trace, one event per step. The page
 * carries the trace (redacted on the server) as JSON; nothing here opens a
 * socket. Each step shows its event, the note saying what it illustrates
 * and where the docs explain it, and the sequence diagram up to that step
 * with the step's own hops highlighted. Keys: arrows step, Home and End jump.
 */
(function () {
  "use strict";

  var steps = JSON.parse(document.getElementById("trace").textContent);
  var at = 0;
  var svg = document.getElementById("sequence");
  var buttons = {
    first: document.getElementById("first"), prev: document.getElementById("prev"),
    next: document.getElementById("next"), last: document.getElementById("last")
  };

  function text(id, value) {
    document.getElementById(id).textContent = value;
  }

  function whereOf(step) {
    var where = step.channel || "";
    if (step.group) {
      where = where ? where + " (group " + step.group + ")" : "group " + step.group;
    }
    return where;
  }

  function showDoc(note) {
    var link = document.getElementById("step-doc-link");
    var path = document.getElementById("step-doc");
    link.hidden = !note.href;
    path.hidden = Boolean(note.href);
    if (note.href) {
      link.href = note.href;
      link.textContent = note.heading;
    } else {
      path.textContent = note.doc + " (" + note.heading + ")";
    }
  }

  function show(index) {
    at = Math.max(0, Math.min(steps.length - 1, index));
    buttons.first.disabled = buttons.prev.disabled = at === 0;
    buttons.next.disabled = buttons.last.disabled = at >= steps.length - 1;
    if (!steps.length) {
      buttons.first.disabled = buttons.prev.disabled = true;
      return;
    }
    var step = steps[at];
    text("position", "step " + (at + 1) + " of " + steps.length);
    text("step-op", step.op);
    text("step-where", whereOf(step));
    text("step-note", step.note.note);
    showDoc(step.note);
    text("step-process", step.role + " " + step.pid);
    text("step-consumer", step.consumer ? step.consumer + (step.ms === undefined ? "" : " (" + step.ms.toFixed(1) + " ms)") : "-");
    text("step-content", step.content === undefined ? "" : JSON.stringify(step.content, null, 1));
    document.getElementById("step").setAttribute("data-op", step.op);
    window.SequenceDiagram.draw(svg, steps.slice(0, at + 1), {current: step});
    var current = svg.querySelector("g.hop.current");
    if (current) {
      current.scrollIntoView({block: "nearest", inline: "nearest"});
    }
  }

  buttons.first.addEventListener("click", function () { show(0); });
  buttons.prev.addEventListener("click", function () { show(at - 1); });
  buttons.next.addEventListener("click", function () { show(at + 1); });
  buttons.last.addEventListener("click", function () { show(steps.length - 1); });
  document.addEventListener("keydown", function (event) {
    var moves = {ArrowRight: at + 1, ArrowLeft: at - 1,
      Home: 0, End: steps.length - 1};
    if (event.key in moves && !event.altKey && !event.ctrlKey && !event.metaKey) {
      event.preventDefault();
      show(moves[event.key]);
    }
  });
  show(0);
})();
