// The map page: local boundary data, requirement regions shaded by plan coverage, contingents
// as APP-6 symbols (milsymbol). No tile server: everything comes from this server.
(function () {
  "use strict";

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin" }).then(function (response) {
      if (!response.ok) {
        throw new Error(url + ": " + response.status);
      }
      return response.json();
    });
  }

  function shade(coverage) {
    if (coverage === undefined) {
      return "#d9dde3";
    }
    if (coverage >= 95) {
      return "#2e7d32";
    }
    if (coverage >= 75) {
      return "#9ccc65";
    }
    if (coverage >= 50) {
      return "#ffca28";
    }
    return "#e53935";
  }

  function text(value) {
    return document.createTextNode(String(value));
  }

  function init() {
    var element = document.getElementById("map");
    if (!element || typeof L === "undefined") {
      return;
    }
    var map = L.map(element, { zoomSnap: 0.25, attributionControl: false, preferCanvas: false });
    map.setView([48.5, 31.5], 5);
    Promise.all([
      getJSON("/assets/geo/europe.geojson"),
      getJSON("/assets/geo/ukraine-oblasts.geojson"),
      getJSON("/assets/geo/regions.geojson"),
      getJSON(element.getAttribute("data-src"))
    ]).then(function (parts) {
      var europe = parts[0], oblasts = parts[1], regions = parts[2], data = parts[3];
      var coverage = {};
      data.regions.forEach(function (r) {
        coverage[r.code] = r;
      });
      L.geoJSON(europe, {
        style: function () {
          return { color: "#9aa3ad", weight: 1, fillColor: "#f4f5f7", fillOpacity: 1 };
        }
      }).addTo(map);
      var centres = {};
      function regionLayer(collection) {
        return L.geoJSON(collection, {
          style: function (feature) {
            var r = coverage[feature.properties.code];
            return {
              color: "#4a5560",
              weight: r ? 1.5 : 0.5,
              fillColor: shade(r ? r.coverage : undefined),
              fillOpacity: r ? 0.6 : 0.15
            };
          },
          onEachFeature: function (feature, layer) {
            var code = feature.properties.code;
            centres[code] = layer.getBounds().getCenter();
            var r = coverage[code];
            var label = feature.properties.name + " (" + code + ")";
            if (r) {
              label += ": " + r.coverage + "% covered";
            }
            layer.bindTooltip(label);
          }
        }).addTo(map);
      }
      var ukraine = regionLayer(oblasts);
      regionLayer(regions);
      map.fitBounds(ukraine.getBounds().pad(0.15));

      // One symbol per capability in each region: the units of every contributing nation
      // added up, the nations named in its label and tooltip.
      var byRegion = {};
      var grouped = {};
      data.contingents.forEach(function (c) {
        (byRegion[c.region] = byRegion[c.region] || []).push(c);
        var key = c.region + "|" + c.capability;
        var g = grouped[key];
        if (!g) {
          g = grouped[key] = { region: c.region, capability: c.capability, sidc: c.sidc, units: 0, parts: [] };
        }
        g.units += c.units;
        g.parts.push(c);
      });
      var symbolsByRegion = {};
      Object.keys(grouped).sort().forEach(function (key) {
        var g = grouped[key];
        (symbolsByRegion[g.region] = symbolsByRegion[g.region] || []).push(g);
      });
      Object.keys(symbolsByRegion).forEach(function (code) {
        var centre = centres[code];
        if (!centre) {
          return;
        }
        var groups = symbolsByRegion[code];
        var perRow = Math.max(2, Math.ceil(Math.sqrt(groups.length)));
        groups.forEach(function (g, i) {
          var nations = g.parts.map(function (c) { return c.nation; });
          var symbol = new ms.Symbol(g.sidc || "10031000000000000000", {
            size: 16,
            quantity: String(g.units),
            uniqueDesignation: nations.length <= 2 ? nations.join(" ") : nations.length + " nations"
          });
          var size = symbol.getSize();
          var anchor = symbol.getAnchor();
          var column = i % perRow;
          var row = Math.floor(i / perRow);
          var icon = L.divIcon({
            className: "unit-symbol",
            html: symbol.asSVG(),
            iconSize: [size.width, size.height],
            iconAnchor: [anchor.x - (column - (perRow - 1) / 2) * 34, anchor.y - row * 30]
          });
          var detail = g.parts.map(function (c) {
            return c.nation + " ×" + c.units + " (" + c.offers.join(", ") + ")";
          }).join("; ");
          L.marker(centre, { icon: icon, keyboard: true, title: g.capability + " × " + g.units + " in " + code })
            .bindTooltip(g.capability + " · " + g.units + " unit(s) in " + code + ": " + detail)
            .addTo(map);
        });
      });

      // Monitoring sectors: grey outlines, thick dashed orange while an alert in them is
      // unacknowledged.
      (data.sectors || []).forEach(function (s) {
        L.polygon(s.polygons, {
          color: s.alerted ? "#e65100" : "#546e7a",
          weight: s.alerted ? 4 : 1,
          dashArray: s.alerted ? "6 4" : null,
          fill: false,
          className: s.alerted ? "sector alerted" : "sector"
        }).bindTooltip("Sector " + s.code + " · " + s.name + (s.alerted ? " · unacknowledged alert" : ""))
          .addTo(map);
      });

      // Alerts nobody has acknowledged, by the incidents they name.
      var alerted = {};
      (data.alerts || []).forEach(function (a) {
        if (!a.acknowledged) {
          a.incidents.forEach(function (id) { alerted[id] = a; });
        }
      });

      // Incidents: a circle of their error radius, red when against coalition forces, with a
      // thick dashed orange outline while an alert on them is unacknowledged.
      (data.incidents || []).forEach(function (i) {
        var a = alerted[i.id];
        L.circle([i.lat, i.lon], {
          radius: Math.max(i.radius_m, 150),
          color: a ? "#e65100" : (i.against_coalition ? "#b71c1c" : "#6a1b9a"),
          fillColor: i.against_coalition ? "#b71c1c" : "#6a1b9a",
          weight: a ? 4 : 1,
          dashArray: a ? "6 4" : null,
          fillOpacity: 0.35,
          className: a ? "incident alerted" : "incident"
        }).bindTooltip("Incident " + i.id + " · " + i.kind + " · " + i.when + " · count " + i.count +
            (a ? " · alert at " + a.level + (a.overdue ? " (overdue)" : "") : ""))
          .addTo(map);
      });

      var alertList = document.getElementById("map-alerts");
      if (alertList) {
        (data.alerts || []).forEach(function (a) {
          var item = document.createElement("li");
          var state = a.acknowledged ? "acknowledged" : (a.overdue ? "overdue" : "open");
          item.className = "alert-" + state;
          item.appendChild(text(a.level + " · " + state + " · " + a.summary +
            (a.sector ? " (" + a.sector + ")" : "") + " · incident(s) " + a.incidents.join(", ")));
          alertList.appendChild(item);
        });
        if (!(data.alerts || []).length) {
          var none = document.createElement("li");
          none.appendChild(text("No alerts."));
          alertList.appendChild(none);
        }
      }

      var body = document.querySelector("#map-regions tbody");
      data.regions.forEach(function (r) {
        var row = document.createElement("tr");
        var name = document.createElement("td");
        name.appendChild(text(r.code));
        var pct = document.createElement("td");
        pct.className = "num";
        pct.appendChild(text(r.coverage + "%"));
        var who = document.createElement("td");
        who.appendChild(text((byRegion[r.code] || []).map(function (c) {
          return c.nation + " " + c.capability + " ×" + c.units;
        }).join("; ")));
        row.appendChild(name);
        row.appendChild(pct);
        row.appendChild(who);
        body.appendChild(row);
      });
      var legend = document.getElementById("map-legend");
      legend.appendChild(text(data.plan ? "Plan " + data.plan + ": green ≥ 95%, light green ≥ 75%, amber ≥ 50%, red below." : "No plan to show yet."));
      element.setAttribute("data-ready", "true");
    }).catch(function (error) {
      var legend = document.getElementById("map-legend");
      legend.appendChild(text("The map data could not be loaded: " + error.message));
      element.setAttribute("data-ready", "error");
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
