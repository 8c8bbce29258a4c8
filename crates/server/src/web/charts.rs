//! SVG charts drawn on the server, shared by the pages, the printable report and the snapshot
//! tests: the rotation Gantt, coverage against requirement over time, and horizontal bars.
//! Pure functions from plain rows to an SVG string; every text is escaped.

use std::fmt::Write as _;

/// Escapes text for XML content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A colour for a nation, stable across charts and runs (a hue from the code's letters).
pub fn nation_colour(nation: &str) -> String {
    if nation == "restricted" {
        return "#8a8f98".to_owned();
    }
    let h = nation
        .bytes()
        .fold(7u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
    format!("hsl({} 55% 42%)", (h % 36) * 10)
}

/// One row of the Gantt: a requirement and its tours.
#[derive(Debug, Clone, PartialEq)]
pub struct GanttRow {
    pub label: String,
    /// (from_week, to_week inclusive) where the requirement applies.
    pub window: (u32, u32),
    pub bars: Vec<GanttBar>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct GanttBar {
    pub nation: String,
    pub start_week: u32,
    pub weeks: u32,
    pub units: u32,
    /// Shown on hover, e.g. the offer id.
    pub title: String,
}

const LABEL_W: u32 = 170;
const WEEK_W: u32 = 6;
const ROW_H: u32 = 18;
const AXIS_H: u32 = 22;

/// Week tick marks every `every` weeks, labelled `W0`, `W13` …
fn week_axis(svg: &mut String, weeks: u32, every: u32, x0: u32, width: u32, y: u32) {
    let mut w = 0;
    while w <= weeks {
        let x = x0 + w * width;
        let _ = write!(
            svg,
            r##"<line class="tick" x1="{x}" y1="{y}" x2="{x}" y2="{}" stroke="#c8ccd2"/><text x="{x}" y="{}" font-size="10" text-anchor="middle" fill="#444">W{w}</text>"##,
            y + 4,
            y + 15
        );
        w += every;
    }
}

/// The rotation Gantt: one row per requirement, a bar per tour coloured by nation, the
/// requirement's window as a light band.
pub fn gantt(rows: &[GanttRow], weeks: u32) -> String {
    let width = LABEL_W + weeks * WEEK_W + 10;
    let height = AXIS_H + rows.len() as u32 * ROW_H + 4;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart gantt" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" aria-label="Rotation plan: tours by requirement and week"><title>Rotation plan</title>"#
    );
    week_axis(&mut svg, weeks, 13, LABEL_W, WEEK_W, 2);
    for (i, row) in rows.iter().enumerate() {
        let y = AXIS_H + i as u32 * ROW_H;
        let (from, to) = row.window;
        let _ = write!(
            svg,
            r##"<g class="row"><text x="{}" y="{}" font-size="11" text-anchor="end" fill="#222">{}</text><rect class="window" x="{}" y="{}" width="{}" height="{}" fill="#eef1f5"/>"##,
            LABEL_W - 6,
            y + 13,
            esc(&row.label),
            LABEL_W + from * WEEK_W,
            y + 2,
            (to.saturating_sub(from) + 1) * WEEK_W,
            ROW_H - 4
        );
        let lanes = row.bars.iter().map(|b| b.units).sum::<u32>().max(1);
        let lane_h = f64::from(ROW_H - 4) / f64::from(lanes);
        let mut lane = 0u32;
        for bar in &row.bars {
            let bar_y = f64::from(y + 2) + f64::from(lane) * lane_h;
            let bar_h = (f64::from(bar.units) * lane_h).max(1.0);
            lane += bar.units;
            let _ = write!(
                svg,
                r##"<rect class="tour" data-nation="{n}" x="{}" y="{bar_y:.1}" width="{}" height="{bar_h:.1}" fill="{}" stroke="#fff" stroke-width="0.5"><title>{} · {n} · weeks {}–{} · {} unit(s)</title></rect>"##,
                LABEL_W + bar.start_week * WEEK_W,
                bar.weeks * WEEK_W,
                nation_colour(&bar.nation),
                esc(&bar.title),
                bar.start_week,
                bar.start_week + bar.weeks.saturating_sub(1),
                bar.units,
                n = esc(&bar.nation),
            );
        }
        svg.push_str("</g>");
    }
    svg.push_str("</svg>");
    svg
}

/// Required and covered units per week for one line or requirement.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub label: String,
    pub required: Vec<u32>,
    pub covered: Vec<u32>,
}

/// Coverage against requirement over time: the requirement as a step line, the covered units
/// as a filled area, gaps in between. Zoomable in the browser (the page's script narrows the
/// `viewBox`).
pub fn coverage(series: &Series) -> String {
    let weeks = series.required.len().max(series.covered.len()) as u32;
    let (w, h, left, bottom, top) = (640u32, 160u32, 36u32, 20u32, 8u32);
    let plot_w = w - left - 6;
    let plot_h = h - bottom - top;
    let peak = series
        .required
        .iter()
        .chain(&series.covered)
        .copied()
        .max()
        .unwrap_or(0)
        .max(1);
    let x =
        |week: u32| f64::from(left) + f64::from(week) * f64::from(plot_w) / f64::from(weeks.max(1));
    let y = |v: u32| f64::from(top) + f64::from(plot_h) * (1.0 - f64::from(v) / f64::from(peak));
    let step_path = |values: &[u32]| {
        let mut d = String::new();
        for (i, v) in values.iter().enumerate() {
            let i = i as u32;
            let cmd = if i == 0 { 'M' } else { 'L' };
            let _ = write!(
                d,
                "{cmd}{:.1},{:.1}L{:.1},{:.1}",
                x(i),
                y(*v),
                x(i + 1),
                y(*v)
            );
        }
        d
    };
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart coverage zoomable" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-label="{label}: units covered against units required, by week"><title>{label}</title>"#,
        label = esc(&series.label)
    );
    for v in [0, peak / 2, peak] {
        let _ = write!(
            svg,
            r##"<line x1="{left}" x2="{}" y1="{:.1}" y2="{:.1}" stroke="#e3e6ea"/><text x="{}" y="{:.1}" font-size="10" text-anchor="end" fill="#444">{v}</text>"##,
            w - 6,
            y(v),
            y(v),
            left - 4,
            y(v) + 3.0
        );
    }
    let mut wk = 0;
    while wk <= weeks {
        let _ = write!(
            svg,
            r##"<text x="{:.1}" y="{}" font-size="10" text-anchor="middle" fill="#444">W{wk}</text>"##,
            x(wk),
            h - 6
        );
        wk += 13;
    }
    if !series.covered.is_empty() {
        let mut area = step_path(&series.covered);
        let _ = write!(
            area,
            "L{:.1},{:.1}L{:.1},{:.1}Z",
            x(series.covered.len() as u32),
            y(0),
            x(0),
            y(0)
        );
        let _ = write!(
            svg,
            r##"<path class="covered" d="{area}" fill="#5b8def" fill-opacity="0.45" stroke="none"/>"##
        );
    }
    if !series.required.is_empty() {
        let _ = write!(
            svg,
            r##"<path class="required" d="{}" fill="none" stroke="#b42318" stroke-width="1.5"/>"##,
            step_path(&series.required)
        );
    }
    svg.push_str("</svg>");
    svg
}

/// A horizontal bar: label, value, and an optional reference (drawn as a tick), e.g. pledged
/// against required.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub label: String,
    pub value: u64,
    pub reference: Option<u64>,
}

/// Horizontal bars with values printed, scaled to the largest value or reference.
pub fn bars(title: &str, items: &[Bar]) -> String {
    let (w, row) = (560u32, 20u32);
    let label_w = 150u32;
    let h = items.len() as u32 * row + 6;
    let max = items
        .iter()
        .flat_map(|b| [b.value, b.reference.unwrap_or(0)])
        .max()
        .unwrap_or(0)
        .max(1);
    let scale = |v: u64| (v as f64) * f64::from(w - label_w - 70) / (max as f64);
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart bars" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-label="{t}"><title>{t}</title>"#,
        t = esc(title)
    );
    for (i, b) in items.iter().enumerate() {
        let y = 3 + i as u32 * row;
        let _ = write!(
            svg,
            r##"<text x="{}" y="{}" font-size="11" text-anchor="end" fill="#222">{}</text><rect x="{label_w}" y="{}" width="{:.1}" height="{}" fill="#5b8def"/><text x="{:.1}" y="{}" font-size="10" fill="#222">{}</text>"##,
            label_w - 6,
            y + 13,
            esc(&b.label),
            y + 2,
            scale(b.value),
            row - 6,
            f64::from(label_w) + scale(b.value) + 4.0,
            y + 13,
            match b.reference {
                Some(r) => format!("{} / {}", super::thousands(b.value), super::thousands(r)),
                None => super::thousands(b.value),
            }
        );
        if let Some(r) = b.reference {
            let rx = f64::from(label_w) + scale(r);
            let _ = write!(
                svg,
                r##"<line class="reference" x1="{rx:.1}" x2="{rx:.1}" y1="{}" y2="{}" stroke="#b42318" stroke-width="2"/>"##,
                y,
                y + row - 2
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(nation: &str, start_week: u32, weeks: u32, units: u32) -> GanttBar {
        GanttBar {
            nation: nation.into(),
            start_week,
            weeks,
            units,
            title: format!("{nation}-01"),
        }
    }

    #[test]
    fn gantt_snapshot() {
        let rows = vec![
            GanttRow {
                label: "LAND-KYIV-1".into(),
                window: (0, 25),
                bars: vec![bar("GBR", 0, 13, 1), bar("FRA", 13, 13, 2)],
            },
            GanttRow {
                label: "Air <policing> & \"more\"".into(),
                window: (4, 20),
                bars: vec![bar("restricted", 4, 8, 1)],
            },
        ];
        insta::assert_snapshot!(gantt(&rows, 26));
    }

    #[test]
    fn coverage_snapshot() {
        let s = Series {
            label: "land_reassurance".into(),
            required: vec![2, 2, 2, 3, 3, 3],
            covered: vec![2, 1, 0, 3, 3, 2],
        };
        insta::assert_snapshot!(coverage(&s));
    }

    #[test]
    fn bars_snapshot() {
        let items = vec![
            Bar {
                label: "air_policing".into(),
                value: 1200,
                reference: Some(1500),
            },
            Bar {
                label: "maritime".into(),
                value: 300,
                reference: None,
            },
        ];
        insta::assert_snapshot!(bars("Pledged against required", &items));
    }

    #[test]
    fn text_is_escaped_everywhere() {
        let evil = "<script>alert(1)</script>";
        let rows = vec![GanttRow {
            label: evil.into(),
            window: (0, 1),
            bars: vec![GanttBar {
                nation: evil.into(),
                start_week: 0,
                weeks: 1,
                units: 1,
                title: evil.into(),
            }],
        }];
        let svgs = [
            gantt(&rows, 2),
            coverage(&Series {
                label: evil.into(),
                required: vec![1],
                covered: vec![1],
            }),
            bars(
                evil,
                &[Bar {
                    label: evil.into(),
                    value: 1,
                    reference: None,
                }],
            ),
        ];
        for svg in svgs {
            assert!(!svg.contains("<script"), "{svg}");
            assert!(svg.contains("&lt;script&gt;"), "{svg}");
        }
    }

    #[test]
    fn colours_are_stable_and_restricted_is_grey() {
        assert_eq!(nation_colour("GBR"), nation_colour("GBR"));
        assert_ne!(nation_colour("GBR"), nation_colour("FRA"));
        assert_eq!(nation_colour("restricted"), "#8a8f98");
    }
}
