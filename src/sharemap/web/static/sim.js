// sharemap simulation page: poll the run's progress; reload when it has finished (works without JS via refresh).
(function () {
  "use strict";
  var el = document.getElementById("job-state");
  if (!el) { return; }
  var id = el.getAttribute("data-job");
  var bar = document.getElementById("progress");
  function poll() {
    fetch("/api/sim/jobs/" + encodeURIComponent(id))
      .then(function (r) { return r.json(); })
      .then(function (job) {
        bar.value = job.progress; el.textContent = job.state;
        if (job.state === "done" || job.state === "failed") { window.location.reload(); }
        else { setTimeout(poll, 400); }
      })
      .catch(function () { setTimeout(poll, 1000); });
  }
  poll();
})();
