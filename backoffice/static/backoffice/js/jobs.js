// Live progress of jobs: polls the status endpoint while any shown job is active.
// The pages work without this script (the user reloads them).
(function () {
  "use strict";
  var script = document.currentScript;
  var statusUrl = script.getAttribute("data-status-url");
  var reloadOnFinish = script.getAttribute("data-reload-on-finish") === "1";
  var delay = 2000;

  function activeIds() {
    var ids = [];
    document.querySelectorAll("[data-job-id][data-job-active='1']").forEach(function (el) {
      ids.push(el.getAttribute("data-job-id"));
    });
    return ids;
  }

  function render(id, run) {
    document.querySelectorAll("[data-job-id='" + id + "']").forEach(function (el) {
      var bar = el.querySelector("progress");
      var text = el.querySelector(".datamed-progress__text");
      var stage = el.querySelector(".datamed-progress__stage");
      if (run.percent !== null) {
        bar.value = run.percent;
        text.textContent = run.percent + " %" + (run.total ? " (" + run.done + " / " + run.total + ")" : "");
      } else {
        bar.removeAttribute("value");
      }
      stage.textContent = run.stage;
      el.setAttribute("data-job-active", run.active ? "1" : "0");
    });
    document.querySelectorAll("[data-job-status='" + id + "'] .datamed-status").forEach(function (el) {
      el.textContent = run.status_label;
      el.className = "datamed-status datamed-status--" + run.status;
    });
  }

  function poll() {
    var ids = activeIds();
    if (!ids.length) { window.setTimeout(poll, delay * 2); return; }
    fetch(statusUrl + "?ids=" + ids.join(","), { credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        var finished = false;
        Object.keys(data.runs).forEach(function (id) {
          render(id, data.runs[id]);
          if (!data.runs[id].active) { finished = true; }
        });
        if (finished && reloadOnFinish) { window.location.reload(); return; }
        window.setTimeout(poll, delay);
      })
      .catch(function () { window.setTimeout(poll, delay * 3); });
  }
  window.setTimeout(poll, delay);
})();
