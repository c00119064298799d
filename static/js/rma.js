// Return form helpers (the page works without them).
(function () {
  // In a warranty claim only defect reasons apply: disable the others (CSS hides them where
  // it can; a disabled option also works in native phone pickers).
  function syncReasons(form) {
    var warranty = form.querySelector("input[name=kind][value=warranty]:checked") !== null;
    form.querySelectorAll("select.reason").forEach(function (select) {
      select.querySelectorAll("option[value]:not([value=''])").forEach(function (option) {
        option.disabled = warranty && !option.hasAttribute("data-defect");
      });
      if (select.selectedOptions[0] && select.selectedOptions[0].disabled) select.value = "";
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("return-form");
    if (!form) return;
    syncReasons(form);
    form.addEventListener("change", function (event) {
      if (event.target.name === "kind") syncReasons(form);
    });
    // The live quote leaves the photos out (hx-params) so they upload once, at submit;
    // it still says how many are chosen, so the preview knows a photo is there.
    form.addEventListener("htmx:configRequest", function (event) {
      form.querySelectorAll("input[type=file]").forEach(function (input) {
        event.detail.parameters[input.name + "_count"] = String(input.files.length);
      });
    });
  });
})();
