// sharemap home map: recolour counties for the date chosen on the slider (the page works without this),
// and keep the view in the address (date, layer) so that a reload or a shared link shows the same map.
(function () {
  "use strict";
  var slider = document.getElementById("date-slider");
  var svg = document.getElementById("map");
  if (!slider || !svg) { return; }
  var dates = JSON.parse(slider.getAttribute("data-dates") || "[]");
  var out = document.getElementById("date-out");
  var input = document.getElementById("date-input");
  var form = document.getElementById("map-form");
  var layerSelect = document.getElementById("layer-select");
  var layer = svg.getAttribute("data-layer") || "agreements";
  var prefix = layer === "sharing" ? "s-" : "m-";
  var paths = svg.querySelectorAll(".counties path");
  var byFips = {};
  for (var i = 0; i < paths.length; i++) { byFips[paths[i].getAttribute("data-fips")] = paths[i]; }
  var timer = null, seq = 0;
  function text(id, value) {
    var el = document.getElementById(id);
    if (el) { el.textContent = value; }
  }
  function recolour(data) {
    for (var f in byFips) { byFips[f].removeAttribute("class"); }
    var n = 0;
    for (var fips in data.counties) {
      var p = byFips[fips];
      if (p) { p.setAttribute("class", prefix + data.counties[fips]); n++; }
    }
    svg.setAttribute("data-date", data.date);
    svg.setAttribute("data-coloured", String(n));
    return n;
  }
  function applyAgreements(data) {
    var n = layer === "agreements" ? recolour(data) : (data.counties_coloured || 0);
    text("list-date", data.list_date || "—");
    text("coloured-count", String(n));
    text("agreement-count", data.agreements === null ? "—" : String(data.agreements));
  }
  function applySharing(data) {
    recolour(data);
    text("layer-as-of", data.as_of || "—");
    text("layer-with-data", String(data.counties_with_data));
    text("layer-coloured", String(data.counties_coloured));
  }
  function getJson(url, then, mine) {
    fetch(url).then(function (r) { return r.json(); }).then(function (data) { if (mine === seq) { then(data); } });
  }
  // the address says what the page shows: ?date=...&layer=... (replaceState: no new history entry)
  function remember(date) {
    var params = new URLSearchParams(window.location.search);
    params.set("date", date);
    params.delete("lang");  // the language is kept in a cookie; a link keeps the default
    if (layer === "agreements") { params.delete("layer"); } else { params.set("layer", layer); }
    window.history.replaceState(null, "", window.location.pathname + "?" + params.toString() + window.location.hash);
  }
  function load(date) {
    var mine = ++seq;
    var q = "date=" + encodeURIComponent(date);
    getJson("/api/map?" + q, applyAgreements, mine);
    if (layer === "sharing") { getJson("/api/map?" + q + "&layer=sharing", applySharing, mine); }
    var lang = document.documentElement.getAttribute("lang") || "en";
    fetch("/fragments/freshness?" + q + "&lang=" + encodeURIComponent(lang))
      .then(function (r) { return r.text(); })
      .then(function (html) { if (mine === seq) { document.getElementById("freshness").innerHTML = html; } });
  }
  slider.addEventListener("input", function () {
    var d = dates[Number(slider.value)];
    out.textContent = d; input.value = d; slider.setAttribute("aria-valuetext", d);
    remember(d);
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(function () { load(d); }, 120);
  });
  if (layerSelect && form) {
    layerSelect.addEventListener("change", function () { form.submit(); });
  }
  svg.addEventListener("click", function (ev) {
    var t = ev.target;
    if (t && t.getAttribute && t.getAttribute("data-fips")) {
      window.location.href = "/county/" + t.getAttribute("data-fips") + "?date=" + encodeURIComponent(input.value);
    }
  });
  svg.setAttribute("data-coloured", String(svg.querySelectorAll(".counties path[class]").length));
  svg.setAttribute("data-ready", "1");
})();
