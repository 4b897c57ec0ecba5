// Console behaviour that needs JavaScript; every action also works without it.
(function () {
  "use strict";

  // Drag a card onto another column: go to that move's preview (the same page the
  // "Move…" button opens), so the message is always seen before it is sent.
  function setUpBoard(board) {
    var dragged = null;
    board.addEventListener("dragstart", function (event) {
      dragged = event.target.closest(".card-item");
      if (dragged) {
        dragged.classList.add("dragging");
        event.dataTransfer.effectAllowed = "move";
        event.dataTransfer.setData("text/plain", dragged.dataset.moveUrl);
      }
    });
    board.addEventListener("dragend", function () {
      if (dragged) dragged.classList.remove("dragging");
      board.querySelectorAll(".drop-target").forEach(function (el) { el.classList.remove("drop-target"); });
    });
    board.addEventListener("dragover", function (event) {
      var column = event.target.closest(".column");
      if (dragged && column && column.dataset.stage !== dragged.dataset.stage) {
        event.preventDefault();
        column.classList.add("drop-target");
      }
    });
    board.addEventListener("dragleave", function (event) {
      var column = event.target.closest(".column");
      if (column && !column.contains(event.relatedTarget)) column.classList.remove("drop-target");
    });
    board.addEventListener("drop", function (event) {
      var column = event.target.closest(".column");
      if (!dragged || !column || column.dataset.stage === dragged.dataset.stage) return;
      event.preventDefault();
      window.location.href = dragged.dataset.moveUrl + "?stage=" + encodeURIComponent(column.dataset.stage) +
        "&next=" + encodeURIComponent(window.location.pathname + window.location.search);
    });
  }

  function setUpBulk(form) {
    var count = document.getElementById("bulk-count");
    var all = document.getElementById("bulk-all");
    function update() {
      var ticked = document.querySelectorAll('input[name="ids"][form="bulk"]:checked').length;
      if (count) count.textContent = all && all.checked ? "" : (ticked ? ticked + " selected" : "");
    }
    document.addEventListener("change", function (event) {
      if (event.target.matches('input[name="ids"], #bulk-all')) update();
    });
    update();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var board = document.getElementById("board");
    if (board) setUpBoard(board);
    var bulk = document.getElementById("bulk");
    if (bulk) setUpBulk(bulk);
  });
})();
