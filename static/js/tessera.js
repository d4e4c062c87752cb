// What the templates ask for with data- attributes: the Content-Security-Policy allows no
// inline scripts or event handlers (on...=), so behaviour lives here.
//   <form data-confirm="Question?">   asks before the form is sent;
//   <select data-autosubmit>          sends its form when another option is chosen.
//   <div class="table-stack"><table>  on a phone each row is a block of "label: value" lines;
//                                     cells without a data-label get their column's heading.
// A table that scrolls sideways (.table-responsive) is made focusable, so it can be scrolled
// with the keyboard too.
(function () {
  "use strict";
  document.addEventListener(
    "submit",
    function (event) {
      const form = event.target.closest("form[data-confirm]");
      if (form && !window.confirm(form.dataset.confirm)) {
        event.preventDefault();
        event.stopImmediatePropagation();
      }
    },
    true
  );
  document.addEventListener("change", function (event) {
    const select = event.target;
    if (select.matches("select[data-autosubmit]") && select.form) {
      select.form.submit();
    }
  });

  // The stacked rows of tessera.css show each cell's data-label. django-tables2 tables carry
  // them already (templates/django_tables2/tessera.html); hand-written tables get them here
  // from their headings (a heading that is only for screen readers labels nothing).
  function labelCells(root) {
    root.querySelectorAll(".table-stack table").forEach(function (table) {
      const labels = [];
      table.querySelectorAll("thead tr:first-child > th").forEach(function (th) {
        const heading = th.cloneNode(true);
        heading.querySelectorAll(".visually-hidden").forEach(function (el) { el.remove(); });
        for (let n = 0; n < (th.colSpan || 1); n++) labels.push(heading.textContent.trim());
      });
      table.querySelectorAll("tbody > tr").forEach(function (row) {
        let column = 0;
        Array.from(row.cells).forEach(function (cell) {
          if (!cell.hasAttribute("data-label") && cell.colSpan === 1 && column < labels.length) {
            cell.setAttribute("data-label", labels[column]);
          }
          column += cell.colSpan || 1;
        });
      });
    });
  }
  labelCells(document);
  document.addEventListener("htmx:load", function (event) {
    labelCells(event.target.closest(".table-stack") || event.target);
  });
  function scrollableFocusable() {
    document.querySelectorAll(".table-responsive, .table-container").forEach(function (box) {
      if (box.scrollWidth > box.clientWidth && !box.hasAttribute("tabindex")) {
        box.setAttribute("tabindex", "0");
      }
    });
  }
  document.addEventListener("DOMContentLoaded", scrollableFocusable);
  document.addEventListener("htmx:afterSettle", scrollableFocusable);
  window.addEventListener("resize", scrollableFocusable);
})();
