//! Static files compiled into the binary: the browser libraries installed from npm at build
//! time (see `build.rs`), our own scripts and styles from `web/src/`, and the map's boundary
//! data from `data/geo/`.

use axum::extract::Path;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

macro_rules! vendor {
    ($name:literal) => {
        include_bytes!(concat!(env!("OUT_DIR"), "/vendor/", $name)).as_slice()
    };
}

macro_rules! own {
    ($path:literal) => {
        include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../", $path)).as_slice()
    };
}

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const SVG: &str = "image/svg+xml";
const GEOJSON: &str = "application/geo+json";

/// (path under `/assets/`, content type, bytes)
pub const ASSETS: &[(&str, &str, &[u8])] = &[
    ("vendor/htmx.min.js", JS, vendor!("htmx.min.js")),
    ("vendor/leaflet.js", JS, vendor!("leaflet.js")),
    ("vendor/leaflet.css", CSS, vendor!("leaflet.css")),
    ("vendor/milsymbol.js", JS, vendor!("milsymbol.js")),
    ("app.js", JS, own!("web/src/app.js")),
    ("map.js", JS, own!("web/src/map.js")),
    ("style.css", CSS, own!("web/src/style.css")),
    ("icon.svg", SVG, own!("web/src/icon.svg")),
    (
        "geo/europe.geojson",
        GEOJSON,
        own!("data/geo/europe.geojson"),
    ),
    (
        "geo/ukraine-oblasts.geojson",
        GEOJSON,
        own!("data/geo/ukraine-oblasts.geojson"),
    ),
    (
        "geo/regions.geojson",
        GEOJSON,
        own!("data/geo/regions.geojson"),
    ),
];

pub async fn serve(Path(path): Path<String>) -> Response {
    match ASSETS.iter().find(|(p, _, _)| *p == path) {
        Some((_, content_type, bytes)) => (
            [
                (header::CONTENT_TYPE, *content_type),
                (header::CACHE_CONTROL, "public, max-age=3600"),
            ],
            *bytes,
        )
            .into_response(),
        None => ApiError::NotFound(format!("no asset {path}")).into_response(),
    }
}
