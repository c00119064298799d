/* Warehouse tablet helpers: steppers, the per-item minutes timer, camera barcode scanning,
   and letting htmx swap in the 400/409 panels (they carry the "not saved" message). */
(function () {
  "use strict";

  var MAX_MINUTES = 480;

  function round1(n) { return Math.round(n * 10) / 10; }

  /* − / + buttons next to a number input (quantity, minutes). */
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-step]");
    if (!button || button.disabled) return;
    var input = button.parentElement.querySelector("input[type=number]");
    if (!input || input.disabled) return;
    var step = parseFloat(button.getAttribute("data-step"));
    var min = input.min === "" ? -Infinity : parseFloat(input.min);
    var max = input.max === "" ? Infinity : parseFloat(input.max);
    var value = parseFloat(input.value || "0") + step;
    input.value = String(round1(Math.min(max, Math.max(min, value))));
    if (input.hasAttribute("data-minutes")) timerRebase(input.closest("[data-item-panel]"), input);
    input.dispatchEvent(new Event("change", { bubbles: true }));
  });

  /* Minutes are timed from when the item panel was first opened; the origin lives in
     sessionStorage so a save (which re-renders the panel) does not restart the clock. */
  function timerKey(panel) { return "wh-timer-" + panel.getAttribute("data-inspection"); }

  function timerStart(panel) {
    if (!panel || !panel.open || !panel.querySelector("fieldset:not([disabled]) [data-minutes]")) return;
    var key = timerKey(panel);
    var origin = parseInt(sessionStorage.getItem(key) || "0", 10);
    if (!origin) {
      var saved = parseFloat(panel.getAttribute("data-saved-minutes") || "0");
      origin = Date.now() - saved * 60000;
      sessionStorage.setItem(key, String(origin));
    }
    var started = panel.querySelector("[data-started-at]");
    if (started && !started.value) started.value = new Date(origin).toISOString();
    timerTick(panel);
  }

  function timerRebase(panel, input) {
    if (!panel) return;
    var origin = Date.now() - parseFloat(input.value || "0") * 60000;
    sessionStorage.setItem(timerKey(panel), String(origin));
  }

  function timerTick(panel) {
    var input = panel.querySelector("[data-minutes]");
    var origin = parseInt(sessionStorage.getItem(timerKey(panel)) || "0", 10);
    if (!input || !origin || input.disabled || document.activeElement === input) return;
    var minutes = Math.min(MAX_MINUTES, Math.max(0, (Date.now() - origin) / 60000));
    input.value = String(round1(minutes));
  }

  function panelsInit(root) {
    root.querySelectorAll("[data-item-panel]").forEach(function (panel) {
      if (panel.dataset.timerBound) return;
      panel.dataset.timerBound = "1";
      panel.addEventListener("toggle", function () { timerStart(panel); });
      timerStart(panel);
    });
  }

  setInterval(function () {
    document.querySelectorAll("[data-item-panel][open]").forEach(timerTick);
  }, 5000);

  /* Photos go up with the save: say how many are chosen, so the grader knows they are in. */
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("[data-item-panel] input[type=file]")) return;
    var count = input.closest("[data-item-panel]").querySelector("[data-photo-count]");
    var n = input.files ? input.files.length : 0;
    if (count && n) count.textContent = n + (n === 1 ? " photo" : " photos") + " chosen — saved with the item";
  });

  /* Just before a save is sent, bring the minutes up to the second. */
  document.addEventListener("submit", function (event) {
    var panel = event.target.closest("[data-item-panel]");
    if (panel) timerTick(panel);
  }, true);
  document.addEventListener("htmx:configRequest", function (event) {
    var panel = event.target.closest && event.target.closest("[data-item-panel]");
    if (panel) {
      timerTick(panel);
      var input = panel.querySelector("[data-minutes]");
      if (input) event.detail.parameters["minutes_spent"] = input.value;
    }
  });

  /* A conflict (409), a refused input (400) or a save refused to this grader (403: e.g. an
     item waiting for its blind QC check) comes back as the re-rendered panel with the reason
     on it: show it rather than dropping the response. */
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if (status === 409 || status === 400 || status === 403) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
  document.addEventListener("htmx:load", function (event) { panelsInit(event.target); });

  /* After an item is saved on the grading page, fold it (its grade shows on the summary)
     and open the next item still to grade, so a grader goes through a return by taps only. */
  document.addEventListener("htmx:afterSettle", function (event) {
    var xhr = event.detail.xhr;
    var target = event.detail.target;
    if (!xhr || xhr.status !== 200 || !target || !/^line-\d+$/.test(target.id || "")) return;
    if (!document.getElementById("complete-bar")) return; // the blind QC page has one item
    var saved = document.getElementById(target.id);
    if (!saved || !saved.classList.contains("is-graded")) return;
    var next = document.querySelector("[data-item-panel]:not(.is-graded)");
    if (!next) {
      var bar = document.getElementById("complete-bar");
      if (bar) bar.scrollIntoView({ block: "end", behavior: "smooth" });
      return;
    }
    saved.open = false;
    next.open = true;
    next.scrollIntoView({ block: "start", behavior: "smooth" });
    var summary = next.querySelector("summary");
    if (summary) summary.focus({ preventScroll: true }); // keyboard and screen readers follow
  });

  /* Camera scanning where the browser has BarcodeDetector (Chrome on Android, …). */
  function cameraInit() {
    var button = document.querySelector("[data-camera-scan]");
    if (!button || !("BarcodeDetector" in window) || !navigator.mediaDevices) return;
    var form = button.closest("form");
    var box = form.querySelector("[data-camera]");
    var video = form.querySelector("[data-camera-video]");
    var status = form.querySelector("[data-camera-status]");
    var input = form.querySelector("input[name=code]");
    var stream = null;
    var timer = null;
    button.hidden = false;

    function stop() {
      if (timer) clearInterval(timer);
      timer = null;
      if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
      stream = null;
      box.hidden = true;
    }

    button.addEventListener("click", function () {
      var detector;
      try {
        detector = new window.BarcodeDetector();
      } catch (e) {
        status.textContent = "This browser cannot read barcodes.";
        return;
      }
      navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (s) {
        stream = s;
        video.srcObject = s;
        box.hidden = false;
        return video.play();
      }).then(function () {
        timer = setInterval(function () {
          detector.detect(video).then(function (codes) {
            if (!codes.length) return;
            input.value = codes[0].rawValue;
            stop();
            form.submit();
          }).catch(function () {});
        }, 250);
      }).catch(function () {
        status.textContent = "The camera is not available. Type or use the hand scanner.";
        box.hidden = false;
      });
    });
    form.querySelector("[data-camera-stop]").addEventListener("click", stop);
  }

  document.addEventListener("DOMContentLoaded", function () {
    // after a failed scan the code stays in the box, selected, so the next scan replaces it
    var scan = document.querySelector(".scan-input");
    if (scan && scan.value) scan.select();
    panelsInit(document);
    cameraInit();
  });
})();
