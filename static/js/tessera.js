// What the templates ask for with data- attributes: the Content-Security-Policy allows no
// inline scripts or event handlers (on...=), so behaviour lives here.
//   <form data-confirm="Question?">   asks before the form is sent;
//   <select data-autosubmit>          sends its form when another option is chosen.
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
