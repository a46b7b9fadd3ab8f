/*
 * The room picker (index and the bad-room page): go to /chat/<room>/ on
 * submit. The browser checks the pattern first and refuses to submit a bad
 * name; the "invalid" event then shows the rule beside the field, so the
 * reason stays on the page after the browser's bubble has gone.
 */
(function () {
  "use strict";
  var form = document.getElementById("room-form");
  if (!form) {
    return;
  }
  var input = form.elements.room;
  var reason = document.getElementById("room-error");

  input.addEventListener("invalid", function () {
    reason.hidden = false;
  });
  input.addEventListener("input", function () {
    if (input.validity.valid) {
      reason.hidden = true;
    }
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    location.href = "/chat/" + encodeURIComponent(input.value) + "/";
  });
})();
