/*
 * JWT page: the token endpoints keep django-rest-framework-jwt's paths and
 * shapes (POST /api-token-auth/ {username, password} -> {token};
 * POST /api-token-refresh/ {token} -> {token}); the room socket takes the
 * token as ?token= because browsers cannot set headers on a WebSocket.
 *
 * The token is an editable field: "Get token" fills it in, and a person can
 * also paste one obtained elsewhere (curl, another tab), or a broken one to
 * see how the server refuses it. Refresh and Join use whatever it holds.
 */
(function () {
  "use strict";

  var feed = null;
  var status = document.getElementById("token-status");
  var field = document.getElementById("token");
  var refresh = document.getElementById("refresh");
  var join = document.getElementById("join");
  var joinButton = join.querySelector("button");

  function expiry(jwt) {
    try {
      var payload = JSON.parse(atob(jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
      return payload.exp ? new Date(payload.exp * 1000).toLocaleTimeString() : "never";
    } catch (e) {
      return "unknown";
    }
  }

  /* drf-jwt's 400 bodies: {"non_field_errors": [...]} or {"<field>": [...]}. */
  function problem(data) {
    var parts = [];
    for (var key in data) {
      parts.push((key === "non_field_errors" ? "" : key + ": ") + [].concat(data[key]).join(" "));
    }
    return parts.join("; ") || "no details";
  }

  function post(path, body) {
    return fetch(path, {
      method: "POST",
      headers: {"Content-Type": "application/json", "Accept": "application/json"},
      body: JSON.stringify(body),
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok || !data.token) {
          throw new Error(path + " answered " + response.status + ": " + problem(data));
        }
        return data.token;
      });
    });
  }

  function token() {
    return field.value.trim();
  }

  /* The buttons that need a token follow the field, typed or filled in. */
  function tokenChanged() {
    var present = token() !== "";
    refresh.disabled = !present;
    joinButton.disabled = !present;
    // The expiry is read from the token's payload, unverified: only the
    // server can say whether the token is good, and it does on Join.
    status.textContent = present ? "Token expires at " + expiry(token()) + " (unverified)." : "";
  }

  function use(newToken) {
    field.value = newToken;
    tokenChanged();
    status.textContent = "Token valid until " + expiry(newToken) + ".";
  }

  function failed(error) {
    status.textContent = error.message;
  }

  field.addEventListener("input", tokenChanged);

  document.getElementById("token-form").addEventListener("submit", function (event) {
    event.preventDefault();
    post("/api-token-auth/", {username: this.username.value, password: this.password.value})
      .then(use, failed);
  });

  refresh.addEventListener("click", function () {
    post("/api-token-refresh/", {token: token()}).then(use, failed);
  });

  join.addEventListener("submit", function (event) {
    event.preventDefault();
    if (feed) {
      feed.stop();
    }
    var room = encodeURIComponent(join.elements.room.value);
    feed = startFeed(document.getElementById("feed"),
                     "/chat/" + room + "/?token=" + encodeURIComponent(token()), "json");
  });

  tokenChanged();
})();
