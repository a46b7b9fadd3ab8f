/* The index page: the room form opens /chat/<room>/. */
document.getElementById("room-form").addEventListener("submit", function (event) {
  event.preventDefault();
  location.href = "/chat/" + encodeURIComponent(this.room.value) + "/";
});
