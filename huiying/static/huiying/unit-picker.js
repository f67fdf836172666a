/* The unit picker (huiying/orgs/widgets.py): a search box over the grouped <select>.
   The native select stays in the form and carries the value, so the server sees exactly what a
   page without this script would send. Typing filters by name, short name and group (崇川 shows
   the 崇川区 group); arrows move, Enter picks, Escape closes; options are thumb-sized on phones. */
(function () {
  "use strict";

  var seq = 0;

  function norm(s) {
    return String(s || "").replace(/\u3000/g, " ").trim().toLowerCase();
  }

  function indentOf(text) {
    var m = /^\u3000*/.exec(text || "");
    return m ? m[0].length : 0;
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }

  function enhance(root) {
    if (root.getAttribute("data-enhanced")) { return; }
    var select = root.querySelector("select");
    if (!select) { return; }
    root.setAttribute("data-enhanced", "1");
    var multiple = select.multiple;
    var required = select.required;
    var id = select.id || "unit-picker-" + (++seq);
    var listId = id + "-list";
    var t = root.dataset;

    // The field's <label for> now names the search box; the select keeps the value, unseen.
    select.id = id + "-native";
    select.required = false; // a hidden control cannot show the browser's bubble; the server checks
    select.hidden = true;
    select.tabIndex = -1;
    var hint = root.querySelector(".unit-picker-nojs");
    if (hint) { hint.hidden = true; }

    var chips = multiple ? el("div", "up-chips") : null;
    var input = el("input", "up-input");
    input.type = "search";
    input.id = id;
    input.autocomplete = "off";
    input.placeholder = t.placeholder || "";
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listId);
    input.setAttribute("enterkeyhint", "search");
    input.disabled = select.disabled; // a field the page shows but does not let change
    if (!document.querySelector("label[for='" + id + "']")) {
      input.setAttribute("aria-label", t.searchLabel || "");
    }
    ["aria-describedby", "aria-invalid"].forEach(function (a) {
      if (select.hasAttribute(a)) { input.setAttribute(a, select.getAttribute(a)); }
    });
    var list = el("div", "up-list");
    list.id = listId;
    list.hidden = true;
    list.setAttribute("role", "listbox");
    if (multiple) { list.setAttribute("aria-multiselectable", "true"); }
    var noMatch = el("div", "up-empty", t.noMatch || "");
    noMatch.hidden = true;

    // One entry per option: its row in the list and what a search is matched against.
    var items = [];
    var groups = [];
    function addOption(option, container, groupLabel) {
      if (option.value === "" && (multiple || required)) { return; }
      var text = option.text.replace(/^\u3000+/, "");
      var row = el("div", "up-option", text);
      row.id = listId + "-" + items.length;
      row.setAttribute("role", "option");
      row.setAttribute("data-indent", String(Math.min(indentOf(option.text), 3)));
      if (option.value === "") { row.classList.add("up-none"); }
      container.appendChild(row);
      var item = {
        row: row,
        option: option,
        label: text,
        hay: norm([groupLabel, text, option.getAttribute("data-short")].join(" ")),
      };
      row.addEventListener("mousedown", function (ev) { ev.preventDefault(); });
      row.addEventListener("click", function () { choose(item); });
      items.push(item);
      return item;
    }
    Array.prototype.forEach.call(select.children, function (child, gi) {
      if (child.tagName === "OPTGROUP") {
        var box = el("div", "up-group");
        box.setAttribute("role", "group");
        var head = el("div", "up-group-label", child.label);
        head.id = listId + "-g" + gi;
        box.setAttribute("aria-labelledby", head.id);
        box.appendChild(head);
        var members = [];
        Array.prototype.forEach.call(child.children, function (o) {
          var it = addOption(o, box, child.label);
          if (it) { members.push(it); }
        });
        groups.push({ box: box, members: members });
        list.appendChild(box);
      } else if (child.tagName === "OPTION") {
        var it = addOption(child, list, "");
        if (it) { groups.push({ box: null, members: [it] }); }
      }
    });
    list.appendChild(noMatch);

    if (chips) { root.insertBefore(chips, select); }
    root.insertBefore(input, select);
    root.insertBefore(list, select);
    root.classList.add("is-enhanced");

    var active = -1;
    function visible() { return items.filter(function (it) { return !it.row.hidden; }); }

    function setActive(index) {
      var shown = visible();
      items.forEach(function (it) { it.row.classList.remove("active"); });
      if (!shown.length) { active = -1; input.removeAttribute("aria-activedescendant"); return; }
      active = Math.max(0, Math.min(index, shown.length - 1));
      var row = shown[active].row;
      row.classList.add("active");
      input.setAttribute("aria-activedescendant", row.id);
      if (row.scrollIntoView) { row.scrollIntoView({ block: "nearest" }); }
    }

    function filter(query) {
      var terms = norm(query).split(/\s+/).filter(Boolean);
      items.forEach(function (it) {
        it.row.hidden = !terms.every(function (term) { return it.hay.indexOf(term) !== -1; });
      });
      groups.forEach(function (g) {
        if (g.box) { g.box.hidden = !g.members.some(function (it) { return !it.row.hidden; }); }
      });
      noMatch.hidden = visible().length > 0;
      setActive(0);
    }

    function sync() {
      items.forEach(function (it) {
        it.row.setAttribute("aria-selected", it.option.selected && it.option.value !== "" ? "true" : "false");
      });
      if (multiple) {
        chips.textContent = "";
        items.forEach(function (it) {
          if (!it.option.selected) { return; }
          var chip = el("span", "up-chip", it.label);
          var x = el("button", "up-chip-x", "×");
          x.type = "button";
          x.setAttribute("aria-label", (t.remove || "") + " " + it.label);
          x.addEventListener("click", function () { toggle(it, false); input.focus(); });
          chip.appendChild(x);
          chips.appendChild(chip);
        });
        chips.hidden = !chips.children.length;
      } else if (!isOpen()) {
        var chosen = items.filter(function (it) { return it.option.selected && it.option.value !== ""; })[0];
        input.value = chosen ? chosen.label : "";
      }
    }

    function isOpen() { return !list.hidden; }

    function open() {
      if (isOpen()) { return; }
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      root.classList.add("is-open");
    }

    function close() {
      if (!isOpen()) { return; }
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      root.classList.remove("is-open");
      if (multiple) {
        input.value = "";
      } else if (!required && input.value.trim() === "" && select.value !== "") {
        select.value = ""; // an optional unit emptied by hand means "none" (全部, 全市)
        changed();
      }
      sync();
    }

    function changed() {
      select.dispatchEvent(new Event("change", { bubbles: true }));
    }

    function toggle(item, on) {
      item.option.selected = on;
      sync();
      changed();
    }

    function choose(item) {
      if (multiple) {
        toggle(item, !item.option.selected);
        return;
      }
      item.option.selected = true;
      close();
      sync();
      changed();
    }

    input.addEventListener("focus", function () {
      filter("");
      open();
      var selectedIndex = visible().findIndex(function (it) { return it.option.selected && it.option.value !== ""; });
      setActive(selectedIndex < 0 ? 0 : selectedIndex);
      if (!multiple) { input.select(); }
    });
    input.addEventListener("click", function () { open(); });
    input.addEventListener("input", function () {
      open();
      filter(input.value);
    });
    input.addEventListener("keydown", function (ev) {
      var key = ev.key;
      if (key === "ArrowDown" || key === "ArrowUp") {
        ev.preventDefault();
        if (!isOpen()) { open(); filter(multiple ? input.value : ""); return; }
        setActive(active + (key === "ArrowDown" ? 1 : -1));
      } else if (key === "Home" && isOpen() && ev.ctrlKey) {
        ev.preventDefault(); setActive(0);
      } else if (key === "End" && isOpen() && ev.ctrlKey) {
        ev.preventDefault(); setActive(visible().length - 1);
      } else if (key === "Enter") {
        if (!isOpen()) { return; } // a closed picker lets Enter submit the form as usual
        ev.preventDefault();
        var shown = visible();
        if (active >= 0 && shown[active]) { choose(shown[active]); }
      } else if (key === "Escape") {
        if (isOpen()) { ev.preventDefault(); close(); }
      } else if (key === "Tab") {
        close();
      } else if (key === "Backspace" && multiple && input.value === "") {
        var last = items.filter(function (it) { return it.option.selected; }).pop();
        if (last) { toggle(last, false); }
      }
    });
    root.addEventListener("focusout", function (ev) {
      if (!ev.relatedTarget || !root.contains(ev.relatedTarget)) { close(); }
    });
    select.addEventListener("change", function (ev) { if (ev.isTrusted) { sync(); } });
    window.addEventListener("pageshow", sync); // back/forward restores the select's value
    sync();
  }

  function scan(node) {
    var scope = node && node.querySelectorAll ? node : document;
    if (scope.matches && scope.matches("[data-unit-picker]")) { enhance(scope); }
    scope.querySelectorAll("[data-unit-picker]").forEach(enhance);
  }

  document.addEventListener("DOMContentLoaded", function () { scan(document); });
  // Action panels (reassign, relief) arrive by htmx after the page loaded.
  document.addEventListener("htmx:load", function (ev) { scan(ev.target); });
})();
