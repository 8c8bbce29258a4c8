// Coalition web UI: small behaviours on top of server-rendered pages.
// - htmx requests carry the session's CSRF token;
// - tables marked .sortable sort by a column (buttons, so the keyboard works);
// - charts marked .zoomable zoom along time with the wheel or +/- keys; double-click or 0 resets.
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  document.addEventListener("htmx:configRequest", function (event) {
    var token = csrfToken();
    if (token) {
      event.detail.headers["X-CSRF-Token"] = token;
    }
  });

  function cellValue(row, index) {
    var cell = row.cells[index];
    if (!cell) {
      return "";
    }
    return cell.textContent.trim();
  }

  function compare(a, b) {
    var na = parseFloat(a.replace(/,/g, ""));
    var nb = parseFloat(b.replace(/,/g, ""));
    if (!isNaN(na) && !isNaN(nb) && /^[-\d.,]+%?$/.test(a) && /^[-\d.,]+%?$/.test(b)) {
      return na - nb;
    }
    return a.localeCompare(b);
  }

  function makeSortable(table) {
    var head = table.tHead;
    var body = table.tBodies[0];
    if (!head || !body) {
      return;
    }
    Array.prototype.forEach.call(head.rows[0].cells, function (th, index) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      button.textContent = th.textContent;
      th.textContent = "";
      th.appendChild(button);
      button.addEventListener("click", function () {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(head.rows[0].cells, function (other) {
          other.removeAttribute("aria-sort");
        });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (r1, r2) {
          var c = compare(cellValue(r1, index), cellValue(r2, index));
          return ascending ? c : -c;
        });
        rows.forEach(function (r) {
          body.appendChild(r);
        });
      });
    });
  }

  function makeZoomable(svg) {
    var original = svg.getAttribute("viewBox").split(" ").map(Number);
    var view = original.slice();
    svg.setAttribute("tabindex", "0");
    function apply() {
      svg.setAttribute("viewBox", view.join(" "));
    }
    function zoom(factor, centreFraction) {
      var width = Math.min(original[2], Math.max(original[2] / 20, view[2] * factor));
      var centre = view[0] + view[2] * centreFraction;
      var x = Math.max(original[0], Math.min(centre - width * centreFraction, original[0] + original[2] - width));
      view = [x, original[1], width, original[3]];
      apply();
    }
    svg.addEventListener("wheel", function (event) {
      event.preventDefault();
      var box = svg.getBoundingClientRect();
      var fraction = box.width > 0 ? (event.clientX - box.left) / box.width : 0.5;
      zoom(event.deltaY < 0 ? 0.8 : 1.25, fraction);
    }, { passive: false });
    svg.addEventListener("dblclick", function () {
      view = original.slice();
      apply();
    });
    svg.addEventListener("keydown", function (event) {
      if (event.key === "+" || event.key === "=") {
        zoom(0.8, 0.5);
      } else if (event.key === "-") {
        zoom(1.25, 0.5);
      } else if (event.key === "0") {
        view = original.slice();
        apply();
      } else if (event.key === "ArrowLeft" || event.key === "ArrowRight") {
        var step = view[2] * 0.2 * (event.key === "ArrowLeft" ? -1 : 1);
        view[0] = Math.max(original[0], Math.min(view[0] + step, original[0] + original[2] - view[2]));
        apply();
      } else {
        return;
      }
      event.preventDefault();
    });
  }

  function init() {
    document.querySelectorAll("table.sortable").forEach(makeSortable);
    document.querySelectorAll("svg.zoomable").forEach(makeZoomable);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
