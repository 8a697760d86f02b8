/* map.html's own script: draws the layers given in #bm-data (built by pipeline/webmap.py) with Leaflet. */
(function () {
  "use strict";
  var D = JSON.parse(document.getElementById("bm-data").textContent);
  var map = L.map("bm-map", {zoomSnap: 0.25, maxZoom: D.max_zoom});
  map.fitBounds(L.latLngBounds(D.bounds));
  var fitZoom = map.getZoom();
  L.control.scale({metric: true, imperial: false, maxWidth: 180}).addTo(map);
  if (D.attribution) { map.attributionControl.addAttribution(D.attribution); }

  var state = {map: map, layers: {}, ready: false};
  var overlays = [];
  D.layers.forEach(function (ly) {
    var pane = "bm_" + ly.name;
    map.createPane(pane).style.zIndex = String(400 + ly.order);
    var labels = 0, spots = [];
    var group = L.geoJSON(ly.features, {
      pane: pane,
      style: function (f) { return ly.styles[f.style].path; },
      pointToLayer: function (f, latlng) { return L.circleMarker(latlng, {pane: pane}); },
      onEachFeature: function (f, layer) {
        layer.bindPopup(f.popup, {maxWidth: 440});
        if (f.label !== undefined) {
          var s = ly.styles[f.style].label;
          var cls = "bm-label bm-l-" + ly.name + "-" + f.style + (s.on === "insets" ? " bm-detail" : "");
          var options = {permanent: true, direction: s.direction, offset: s.offset, className: cls,
            interactive: false};
          if (f.label_at) {      // a polygon's label: where the PNG puts it, not at the polygon's centre
            spots.push(L.tooltip(options).setLatLng(f.label_at).setContent(document.createTextNode(f.label)));
          } else {
            layer.bindTooltip(document.createTextNode(f.label), options);
          }
          labels += 1;
        }
      }
    }).addTo(map);
    spots.forEach(function (t) { group.addLayer(t); });
    state.layers[ly.name] = {features: ly.features.length, drawn: 0, labels: labels, group: group};
    overlays.push([ly.control, group]);
  });

  var offline = L.layerGroup().addTo(map);
  var base = {};
  base[D.offline_base_map] = offline;
  base[D.online.name] = L.tileLayer(D.online.url, {attribution: D.online.attribution, maxZoom: D.max_zoom});
  var control = L.control.layers(base, null, {collapsed: false, sortLayers: false});
  overlays.slice().reverse().forEach(function (o) { control.addOverlay(o[1], o[0]); });   // top layer first
  control.addTo(map);
  document.getElementById("bm-layers").appendChild(control.getContainer());

  function onZoom() {
    map.getContainer().classList.toggle("bm-zoomed", map.getZoom() >= fitZoom + D.detail_zoom_steps);
  }
  map.on("zoomend", onZoom);
  onZoom();

  Object.keys(state.layers).forEach(function (name) {
    state.layers[name].drawn = document.querySelectorAll(".leaflet-bm_" + name + "-pane path").length;
  });
  state.ready = true;
  window.borderMap = state;
}());
