// sharemap home map: recolour counties for the date chosen on the slider (the page works without this).
(function () {
  "use strict";
  var slider = document.getElementById("date-slider");
  var svg = document.getElementById("map");
  if (!slider || !svg) { return; }
  var dates = JSON.parse(slider.getAttribute("data-dates") || "[]");
  var out = document.getElementById("date-out");
  var input = document.getElementById("date-input");
  var paths = svg.querySelectorAll(".counties path");
  var byFips = {};
  for (var i = 0; i < paths.length; i++) { byFips[paths[i].getAttribute("data-fips")] = paths[i]; }
  var timer = null, seq = 0;
  function apply(data) {
    for (var f in byFips) { byFips[f].removeAttribute("class"); }
    var n = 0;
    for (var fips in data.counties) {
      var p = byFips[fips];
      if (p) { p.setAttribute("class", "m-" + data.counties[fips]); n++; }
    }
    document.getElementById("list-date").textContent = data.list_date || "—";
    document.getElementById("coloured-count").textContent = String(n);
    document.getElementById("agreement-count").textContent = data.agreements === null ? "—" : String(data.agreements);
    svg.setAttribute("data-date", data.date);
    svg.setAttribute("data-coloured", String(n));
  }
  function load(date) {
    var mine = ++seq;
    fetch("/api/map?date=" + encodeURIComponent(date))
      .then(function (r) { return r.json(); })
      .then(function (data) { if (mine === seq) { apply(data); } });
    var lang = document.documentElement.getAttribute("lang") || "en";
    fetch("/fragments/freshness?date=" + encodeURIComponent(date) + "&lang=" + encodeURIComponent(lang))
      .then(function (r) { return r.text(); })
      .then(function (html) { if (mine === seq) { document.getElementById("freshness").innerHTML = html; } });
  }
  slider.addEventListener("input", function () {
    var d = dates[Number(slider.value)];
    out.textContent = d; input.value = d; slider.setAttribute("aria-valuetext", d);
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(function () { load(d); }, 120);
  });
  svg.addEventListener("click", function (ev) {
    var t = ev.target;
    if (t && t.getAttribute && t.getAttribute("data-fips")) {
      window.location.href = "/county/" + t.getAttribute("data-fips") + "?date=" + encodeURIComponent(input.value);
    }
  });
  svg.setAttribute("data-coloured", String(svg.querySelectorAll(".counties path[class]").length));
  svg.setAttribute("data-ready", "1");
})();
