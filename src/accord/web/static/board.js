// The pipeline board: drop a deal card on another stage to move it; the server checks the card's version,
// so a card someone else moved meanwhile is refused and goes back where it was.
document.addEventListener("DOMContentLoaded", function () {
  var board = document.querySelector(".board[data-draggable]");
  if (!board) return;
  var message = document.getElementById("board-message");
  var token = JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRF-Token"];
  board.querySelectorAll(".cards-in-stage").forEach(function (list) {
    Sortable.create(list, {
      group: "deals",
      animation: 120,
      onEnd: function (event) {
        if (event.from === event.to) return;
        var card = event.item, stage = event.to.dataset.stage;
        var body = new URLSearchParams({ to_stage: stage, version: card.dataset.version });
        fetch("/deals/" + card.dataset.deal + "/move", {
          method: "POST", body: body,
          headers: { "X-CSRF-Token": token, "HX-Request": "true" },
        }).then(function (answer) {
          return answer.text().then(function (text) {
            if (answer.ok) {
              card.dataset.version = text;
              message.textContent = card.querySelector("strong").textContent + " moved to " + stage + ".";
            } else {
              event.from.insertBefore(card, event.from.children[event.oldIndex] || null);
              var problem = new DOMParser().parseFromString(text, "text/html").body.textContent.trim();
              message.textContent = "Not moved: " + problem;
            }
          });
        });
      },
    });
  });
});
