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


  // Keyboard shortcuts on the board (documented in the "?" dialog). Single keys act only
  // when nobody is typing in a field, and can be turned off (WCAG 2.1.4); arrow keys act
  // only while focus is inside the board, so they never take over the page's scrolling.
  var SHORTCUTS_OFF = "heardback.shortcuts.off";

  function shortcutsOff() {
    try { return window.localStorage.getItem(SHORTCUTS_OFF) === "1"; } catch (e) { return false; }
  }

  function setUpShortcuts(board) {
    var dialog = document.getElementById("shortcuts");
    var opener = document.getElementById("shortcuts-open");
    var toggle = document.getElementById("shortcuts-off");
    var lastFocus = null;
    if (opener) opener.hidden = false;
    if (toggle) {
      toggle.checked = shortcutsOff();
      toggle.addEventListener("change", function () {
        try { window.localStorage.setItem(SHORTCUTS_OFF, toggle.checked ? "1" : "0"); } catch (e) { /* private mode */ }
      });
    }
    function openHelp() {
      if (!dialog || dialog.open) return;
      lastFocus = document.activeElement;
      dialog.showModal();
    }
    if (opener) opener.addEventListener("click", openHelp);
    if (dialog) dialog.addEventListener("close", function () {
      if (lastFocus && document.contains(lastFocus)) lastFocus.focus();
    });

    function columns() { return Array.prototype.slice.call(board.querySelectorAll(".column")); }
    function cardsOf(column) { return Array.prototype.slice.call(column.querySelectorAll(".card-item")); }
    function current() {
      var active = document.activeElement;
      return active && board.contains(active) ? active.closest(".card-item") : null;
    }
    function focusCard(card) {
      if (!card) return false;
      card.focus();
      card.scrollIntoView({ block: "nearest", inline: "nearest" });
      return true;
    }
    function firstCard() {
      var all = board.querySelectorAll(".card-item");
      return all.length ? all[0] : null;
    }
    function step(card, delta) {
      if (!card) return focusCard(firstCard());
      var list = cardsOf(card.closest(".column"));
      var index = list.indexOf(card) + delta;
      return focusCard(list[Math.max(0, Math.min(list.length - 1, index))]);
    }
    function across(card, delta) {
      if (!card) return focusCard(firstCard());
      var cols = columns();
      var from = cols.indexOf(card.closest(".column"));
      var row = cardsOf(cols[from]).indexOf(card);
      for (var i = from + delta; i >= 0 && i < cols.length; i += delta) {
        var list = cardsOf(cols[i]);
        if (list.length) return focusCard(list[Math.min(row, list.length - 1)]);
      }
      return true;  // nothing further that way: stay put
    }
    function go(url) { window.location.href = url; }
    function here() { return window.location.pathname + window.location.search; }

    document.addEventListener("keydown", function (event) {
      if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
      var target = event.target;
      if (target.closest && target.closest("input, select, textarea, [contenteditable], dialog")) return;
      var key = event.key;
      if (key === "?") { event.preventDefault(); openHelp(); return; }
      if (shortcutsOff() && key.length === 1) return;
      var card = current();
      var inBoard = board.contains(document.activeElement);
      var handled = false;
      if (key === "j" || (key === "ArrowDown" && inBoard)) handled = step(card, 1);
      else if (key === "k" || (key === "ArrowUp" && inBoard)) handled = step(card, -1);
      else if (key === "l" || (key === "ArrowRight" && inBoard)) handled = across(card, 1);
      else if (key === "h" || (key === "ArrowLeft" && inBoard)) handled = across(card, -1);
      else if (key === "/") {
        var search = document.getElementById("board-q");
        if (search) { search.focus(); handled = true; }
      } else if (card && (key === "o" || (key === "Enter" && target === card))) {
        go(card.querySelector("a.who").href); handled = true;
      } else if (card && key === "m") {
        var select = card.querySelector("form.move select");
        if (select) {
          go(card.dataset.moveUrl + "?stage=" + encodeURIComponent(select.value) + "&next=" + encodeURIComponent(here()));
          handled = true;
        }
      } else if (card && key === "d") {
        go(card.dataset.declineUrl); handled = true;
      } else if (card && key === "x") {
        var box = card.querySelector('input[name="ids"]');
        if (box) {
          box.checked = !box.checked;
          box.dispatchEvent(new Event("change", { bubbles: true }));
          handled = true;
        }
      }
      if (handled) event.preventDefault();
    });
  }

  // The decline form: the number of days to hold it means nothing with "Send now", so it is
  // shown only while holding is chosen (without JavaScript it stays, with its help text).
  function setUpDeclineTiming(form) {
    var delay = form.querySelector('[name="delay"]');
    var wrapper = delay && delay.closest(".field");
    if (!wrapper) return;
    function sync() {
      var now = form.querySelector('input[name="when"][value="now"]');
      wrapper.hidden = Boolean(now && now.checked);
    }
    form.addEventListener("change", sync);
    sync();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var declineForm = document.getElementById("decline-form");
    if (declineForm) setUpDeclineTiming(declineForm);
    var board = document.getElementById("board");
    if (board) { setUpBoard(board); setUpShortcuts(board); }
    var bulk = document.getElementById("bulk");
    if (bulk) setUpBulk(bulk);
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
  });
})();
