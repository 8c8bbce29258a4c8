use super::*;
use crate::geo::{bearing_deg, destination, distance_m};
use serde_json::json;

const EVENT: LatLon = LatLon {
    lat: 48.0,
    lon: 37.9,
};

fn obs(
    id: &str,
    observer: &str,
    minute: u32,
    kind: &str,
    location: serde_json::Value,
    position: Option<LatLon>,
) -> Observation {
    let mut v = json!({"id": id, "observed_from": format!("2025-03-18T12:{minute:02}:00Z"),
        "observed_to": format!("2025-03-18T12:{:02}:00Z", minute + 2),
        "reported": "2025-03-18T14:00:00Z", "observer": "patrol", "observer_id": observer,
        "location": location, "kind": kind, "count": {"low": 1, "best": 2, "high": 3}});
    if let Some(p) = position {
        v["observer_position"] = json!({"lat": p.lat, "lon": p.lon});
    }
    serde_json::from_value(v).unwrap_or_else(|e| panic!("{e}"))
}

fn point(at: LatLon, radius: f64) -> serde_json::Value {
    json!({"type": "point", "lat": at.lat, "lon": at.lon, "radius_m": radius})
}

fn feed(c: &mut Correlator, o: &Observation) -> Outcome {
    let place = o.check().unwrap_or_else(|e| panic!("{e:?}"));
    c.add(o, place)
}

/// (case, observations, expected groups: which observations end up together)
type Case<'a> = (&'a str, Vec<Observation>, Vec<Vec<&'a str>>);

/// Each case, fed in order, gives the expected incidents.
#[test]
fn correlation_cases() {
    let post_a = destination(EVENT, 200.0, 4_000.0);
    let post_b = destination(EVENT, 120.0, 3_000.0);
    let bearing = |post: LatLon| json!({"type": "bearing", "bearing_deg": bearing_deg(post, EVENT), "min_m": 2000, "max_m": 5000});
    let cases: Vec<Case<'_>> = vec![
        (
            "two patrols on one explosion",
            vec![
                obs(
                    "a",
                    "P1",
                    0,
                    "shelling",
                    point(destination(EVENT, 0.0, 100.0), 200.0),
                    None,
                ),
                obs(
                    "b",
                    "P2",
                    1,
                    "shelling",
                    point(destination(EVENT, 180.0, 100.0), 150.0),
                    None,
                ),
            ],
            vec![vec!["a", "b"]],
        ),
        (
            "bearings from two posts",
            vec![
                obs("a", "OP-A", 0, "shelling", bearing(post_a), Some(post_a)),
                obs("b", "OP-B", 0, "shelling", bearing(post_b), Some(post_b)),
            ],
            vec![vec!["a", "b"]],
        ),
        (
            "a patrol's point on a post's bearing",
            vec![
                obs("a", "OP-A", 0, "shelling", bearing(post_a), Some(post_a)),
                obs("b", "P1", 3, "shelling", point(EVENT, 300.0), None),
            ],
            vec![vec!["a", "b"]],
        ),
        (
            "near but distinct: 3 km apart",
            vec![
                obs("a", "P1", 0, "shelling", point(EVENT, 200.0), None),
                obs(
                    "b",
                    "P2",
                    0,
                    "shelling",
                    point(destination(EVENT, 90.0, 3_000.0), 200.0),
                    None,
                ),
            ],
            vec![vec!["a"], vec!["b"]],
        ),
        (
            "near but distinct: two hours apart",
            vec![obs("a", "P1", 0, "shelling", point(EVENT, 200.0), None), {
                let mut o = obs("b", "P2", 0, "shelling", point(EVENT, 200.0), None);
                o.observed_from = "2025-03-18T14:00:00Z".parse().unwrap_or(o.observed_from);
                o.observed_to = "2025-03-18T14:02:00Z".parse().unwrap_or(o.observed_to);
                o.reported = "2025-03-18T15:00:00Z".parse().unwrap_or(o.reported);
                o
            }],
            vec![vec!["a"], vec!["b"]],
        ),
        (
            "near but distinct: another kind",
            vec![
                obs("a", "P1", 0, "shelling", point(EVENT, 200.0), None),
                obs("b", "P2", 0, "small_arms_fire", point(EVENT, 200.0), None),
            ],
            vec![vec!["a"], vec!["b"]],
        ),
        (
            "bearings that cross outside their bands",
            vec![
                obs(
                    "a",
                    "OP-A",
                    0,
                    "shelling",
                    json!({"type": "bearing", "bearing_deg": bearing_deg(post_a, EVENT), "min_m": 6000, "max_m": 9000}),
                    Some(post_a),
                ),
                obs("b", "OP-B", 0, "shelling", bearing(post_b), Some(post_b)),
            ],
            vec![vec!["a"], vec!["b"]],
        ),
    ];
    for (name, observations, want) in cases {
        let mut c = Correlator::new(Params::default());
        for o in &observations {
            feed(&mut c, o);
        }
        let mut got: Vec<Vec<String>> = c.incidents().map(|i| i.observations.clone()).collect();
        got.sort();
        let want: Vec<Vec<String>> = want
            .iter()
            .map(|g| g.iter().map(|s| (*s).to_owned()).collect())
            .collect();
        assert_eq!(got, want, "{name}");
    }
}

#[test]
fn crossing_bearings_narrow_the_location_and_say_why() {
    let post_a = destination(EVENT, 200.0, 4_000.0);
    let post_b = destination(EVENT, 120.0, 3_000.0);
    let mut c = Correlator::new(Params::default());
    let a = obs(
        "a",
        "OP-A",
        0,
        "shelling",
        json!({"type": "bearing", "bearing_deg": bearing_deg(post_a, EVENT), "min_m": 1000, "max_m": 7000}),
        Some(post_a),
    );
    feed(&mut c, &a);
    let alone = c
        .incident(1)
        .map(|i| (i.location, i.radius_m))
        .unwrap_or((EVENT, 0.0));
    assert!(
        alone.1 >= 2_900.0,
        "one bearing only says 'somewhere on this line'"
    );
    let b = obs(
        "b",
        "OP-B",
        1,
        "shelling",
        json!({"type": "bearing", "bearing_deg": bearing_deg(post_b, EVENT), "min_m": 1000, "max_m": 7000}),
        Some(post_b),
    );
    let outcome = feed(&mut c, &b);
    let Outcome::Joined { incident, reason } = outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(reason.rule, "crossing");
    assert!(
        reason.detail.to_string().contains("crosses"),
        "{}",
        reason.detail
    );
    let inc = c
        .incident(incident)
        .unwrap_or_else(|| panic!("no incident"));
    assert!(
        distance_m(inc.location, EVENT) < 30.0,
        "{}",
        distance_m(inc.location, EVENT)
    );
    assert!(inc.radius_m < 600.0, "{}", inc.radius_m);
    assert_eq!(inc.observers, ["OP-A", "OP-B"]);
    assert_eq!(inc.reasons.len(), 2);
}

#[test]
fn re_sending_is_idempotent_and_counts_are_not_added_up() {
    let mut c = Correlator::new(Params::default());
    let a = obs("a", "P1", 0, "shelling", point(EVENT, 200.0), None);
    let mut b = obs("b", "P2", 1, "shelling", point(EVENT, 200.0), None);
    b.count = Count {
        low: 4,
        best: 5,
        high: 9,
    };
    assert!(matches!(feed(&mut c, &a), Outcome::Opened { incident: 1 }));
    assert!(matches!(
        feed(&mut c, &b),
        Outcome::Joined { incident: 1, .. }
    ));
    assert_eq!(feed(&mut c, &a), Outcome::AlreadyKnown { incident: 1 });
    assert_eq!(feed(&mut c, &b), Outcome::AlreadyKnown { incident: 1 });
    let inc = c.incident(1).unwrap_or_else(|| panic!("no incident"));
    assert_eq!(inc.observations, ["a", "b"]);
    assert_eq!(
        inc.count.best, 5,
        "two observers of one event: the larger count"
    );
}

#[test]
fn monitors_split_and_merge() {
    let mut c = Correlator::new(Params::default());
    for (id, who, m) in [("a", "P1", 0), ("b", "P2", 1), ("c", "P3", 2)] {
        feed(
            &mut c,
            &obs(id, who, m, "shelling", point(EVENT, 200.0), None),
        );
    }
    assert_eq!(c.incidents().count(), 1);
    let new = c
        .split(1, &["c".to_owned()], "two impacts seen on the video")
        .unwrap_or(0);
    assert_eq!(new, 2);
    assert_eq!(
        c.incident(1).map(|i| i.observations.clone()),
        Some(vec!["a".to_owned(), "b".to_owned()])
    );
    assert_eq!(c.incident_of("c"), Some(2));
    assert_eq!(c.incident(2).map(|i| i.reasons[0].rule), Some("split"));
    // A new sighting still joins, and a merge puts them back together.
    assert_eq!(c.merge(1, 2, "one impact after all"), Ok(1));
    assert!(c.incident(2).is_none());
    assert_eq!(c.incident_of("c"), Some(1));
    assert_eq!(c.incident(1).map(|i| i.observations.len()), Some(3));
    // Refused: unknown incidents, observations elsewhere, emptying an incident, mixed kinds.
    assert_eq!(c.split(9, &[], "x"), Err(CorrelateError::NoIncident(9)));
    assert!(c.split(1, &["zz".to_owned()], "x").is_err());
    assert_eq!(
        c.split(1, &["a".to_owned(), "b".to_owned(), "c".to_owned()], "x"),
        Err(CorrelateError::WouldEmpty(1))
    );
    feed(
        &mut c,
        &obs("d", "P4", 0, "small_arms_fire", point(EVENT, 200.0), None),
    );
    let other = c.incident_of("d").unwrap_or(0);
    assert_eq!(
        c.merge(1, other, "x"),
        Err(CorrelateError::DifferentKinds(1, other))
    );
}

/// An incident is as restricted as its most restricted observation, through joins, splits
/// and merges; its head says the same.
#[test]
fn an_incident_is_as_restricted_as_its_strictest_observation() {
    let mut c = Correlator::new(Params::default());
    let rel = |c: &Correlator, id: u64| {
        let i = c.incident(id).map(|i| i.releasability);
        let h = c.heads().find(|h| h.id == id).map(|h| h.releasability);
        assert_eq!(i, h, "incident {id}");
        i
    };
    for (id, who, m, r) in [
        ("a", "P1", 0, "public"),
        ("b", "P2", 1, "nation"),
        ("c", "P3", 2, "coalition"),
    ] {
        let mut o = obs(id, who, m, "shelling", point(EVENT, 200.0), None);
        o.releasability = serde_json::from_value(json!(r)).unwrap_or_else(|e| panic!("{e}"));
        feed(&mut c, &o);
        let expected = if id == "a" {
            Releasability::Public
        } else {
            Releasability::Nation
        };
        assert_eq!(rel(&c, 1), Some(expected), "after {id}");
    }
    assert_eq!(c.split(1, &["b".to_owned()], "x"), Ok(2));
    assert_eq!(rel(&c, 1), Some(Releasability::Coalition));
    assert_eq!(rel(&c, 2), Some(Releasability::Nation));
    assert_eq!(c.split(1, &["c".to_owned()], "x"), Ok(3));
    assert_eq!(rel(&c, 1), Some(Releasability::Public));
    assert_eq!(c.merge(1, 2, "x"), Ok(1));
    assert_eq!(rel(&c, 1), Some(Releasability::Nation));
}

#[test]
fn a_chain_of_sightings_does_not_grow_into_one_long_incident() {
    let mut c = Correlator::new(Params::default());
    for k in 0..16u32 {
        let mut o = obs(
            &format!("c{k}"),
            &format!("P{k}"),
            0,
            "shelling",
            point(EVENT, 200.0),
            None,
        );
        let at = |m: u32| -> Timestamp {
            Timestamp::from_second(1_742_292_000 + i64::from(m) * 60)
                .unwrap_or(Timestamp::UNIX_EPOCH)
        };
        o.observed_from = at(k * 8);
        o.observed_to = at(k * 8 + 2);
        o.reported = at(k * 8 + 30);
        feed(&mut c, &o);
    }
    let spans: Vec<i64> = c
        .incidents()
        .map(|i| i.to.as_second() - i.from.as_second())
        .collect();
    assert!(spans.len() >= 2, "{spans:?}");
    assert!(spans.iter().all(|s| *s <= 60 * 60), "{spans:?}");
}

/// One generated observation: kind, minute, place (point: bearing, distance and radius from
/// the centre; bearing: post, bearing off the event, band), observer.
type Generated = (bool, u32, u8, f64, f64, f64, f64, u8);

fn generated(i: usize, g: &Generated) -> Observation {
    let &(shelling, minute, shape, a, d, r, off, observer) = g;
    // Start near the end of a UTC day, so windows cross hour and day boundaries.
    let t = |m: u32| {
        jiff::Timestamp::from_second(1_742_338_800 + i64::from(m) * 60)
            .map(|t| t.to_string())
            .unwrap_or_default()
    };
    let location = match shape {
        0 => point(destination(EVENT, a, d), r),
        // A loose point, filed among the coarse cells.
        1 => point(destination(EVENT, a, d), r * 20.0),
        _ => {
            let post = destination(EVENT, a, 2_000.0 + d);
            json!({"type": "bearing", "bearing_deg": (bearing_deg(post, EVENT) + off).rem_euclid(360.0),
                "min_m": d, "max_m": d + 2_000.0 + r * 5.0})
        }
    };
    let post = destination(EVENT, a, 2_000.0 + d);
    // Now and then a window of two days, longer than any incident may span.
    let length = if r > 380.0 { 2 * 24 * 60 } else { 2 };
    let mut v = json!({"id": format!("o{i}"), "observed_from": t(minute), "observed_to": t(minute + length),
        "reported": t(minute + 30), "observer": "patrol",
        "location": location, "kind": if shelling { "shelling" } else { "drone_strike" },
        "count": {"low": 1, "best": 1 + (i % 3) as u32, "high": 4}});
    if observer > 0 {
        v["observer_id"] = json!(format!("P{observer}"));
    }
    if shape > 1 {
        v["observer_position"] = json!({"lat": post.lat, "lon": post.lon});
    }
    serde_json::from_value(v).unwrap_or_else(|e| panic!("{e}"))
}

/// The incident without its lists, field by field.
fn head_of(i: &Incident) -> Head {
    Head {
        id: i.id,
        kind: i.kind,
        from: i.from,
        to: i.to,
        location: i.location,
        radius_m: i.radius_m,
        against_coalition: i.against_coalition,
        releasability: i.releasability,
    }
}

/// Hundreds of posts' bearings on one event make one incident at the event. Each bearing adds
/// its crossings with the earlier ones as it joins (locating it afresh each time took cubic
/// time: 1,500 bearings, 21 s), and working the incident out afresh gives the same place.
#[test]
fn many_bearings_locate_one_incident_as_a_fresh_count_does() {
    let mut c = Correlator::new(Params::default());
    for k in 0..300 {
        let post = destination(EVENT, f64::from(k) * 1.2, 3_000.0);
        let o = obs(
            &format!("b{k}"),
            &format!("OP-{k}"),
            0,
            "shelling",
            json!({"type": "bearing", "bearing_deg": bearing_deg(post, EVENT), "min_m": 1000, "max_m": 5000}),
            Some(post),
        );
        feed(&mut c, &o);
    }
    assert_eq!(c.incident_count(), 1);
    let place = |c: &Correlator| c.incident(1).map(|i| (i.location, i.radius_m));
    let kept = place(&c);
    let Some((at, _)) = kept else {
        panic!("no incident")
    };
    assert!(distance_m(at, EVENT) < 20.0, "{}", distance_m(at, EVENT));
    c.recompute(0);
    assert_eq!(place(&c), kept);
}

/// Windows of decades (hostile or mistaken input) join nothing, as the span cap says, and cost
/// the index nothing: before, each filled a cell for every two hours it covered.
#[test]
fn windows_of_years_join_nothing_and_fill_no_index() {
    let mut c = Correlator::new(Params::default());
    for i in 0..20 {
        let o: Observation = serde_json::from_value(json!({"id": format!("L{i}"),
            "observed_from": "2000-01-01T00:00:00Z", "observed_to": "2050-01-01T00:00:00Z",
            "reported": "2050-01-02T00:00:00Z", "observer": "patrol", "kind": "shelling",
            "location": point(EVENT, 100.0), "count": {"low": 1, "best": 1, "high": 1}}))
        .unwrap_or_else(|e| panic!("{e}"));
        let outcome = feed(&mut c, &o);
        assert!(matches!(outcome, Outcome::Opened { .. }), "{outcome:?}");
    }
    assert_eq!(c.incident_count(), 20);
    assert_eq!(c.grid.cell_count(), 0);
    // A short window at the same place and time still opens its own incident, and is filed.
    let o: Observation = serde_json::from_value(json!({"id": "S1",
        "observed_from": "2025-03-18T12:00:00Z", "observed_to": "2025-03-18T12:02:00Z",
        "reported": "2025-03-18T12:30:00Z", "observer": "patrol", "kind": "shelling",
        "location": point(EVENT, 100.0), "count": {"low": 1, "best": 1, "high": 1}}))
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(feed(&mut c, &o), Outcome::Opened { .. }));
    assert!(c.grid.cell_count() > 0);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(96))]

    /// The index only saves work: whatever the stream (points near and far, loose points,
    /// bearings, times across hours and days, merges), the correlator makes exactly the
    /// incidents it makes when it looks through every incident for each observation.
    #[test]
    fn the_index_finds_what_a_full_scan_finds(
        stream in proptest::collection::vec(
            (proptest::bool::ANY, 0u32..240, 0u8..4, 0.0f64..360.0, 0.0f64..3_000.0,
             5.0f64..400.0, -4.0f64..4.0, 0u8..4),
            1..80,
        ),
        merge_at in 0usize..80,
    ) {
        let mut indexed = Correlator::new(Params::default());
        let mut scanned = Correlator::new(Params::default());
        scanned.scan_all = true;
        for (i, g) in stream.iter().enumerate() {
            let o = generated(i, g);
            let outcome = feed(&mut indexed, &o);
            proptest::prop_assert_eq!(&outcome, &feed(&mut scanned, &o));
            if !matches!(outcome, Outcome::AlreadyKnown { .. }) {
                proptest::prop_assert_eq!(indexed.outcome_of(&o.id), Some(outcome));
            }
            if i == merge_at {
                // A monitor's merge moves and widens an incident; later joins must see it.
                let ids: Vec<u64> = indexed.incidents().map(|x| x.id).collect();
                if let [.., a, b] = ids[..] {
                    let merged = (indexed.merge(a, b, "test"), scanned.merge(a, b, "test"));
                    proptest::prop_assert_eq!(merged.0, merged.1);
                }
            }
        }
        let all = |c: &Correlator| c.incidents().collect::<Vec<_>>();
        proptest::prop_assert_eq!(all(&indexed), all(&scanned));
        // Each incident's head is the incident without its lists, and choosing by head
        // writes out just the incidents chosen.
        for i in all(&indexed) {
            let head = head_of(&i);
            let chosen: Vec<Incident> = indexed.incidents_where(|h| *h == head).collect();
            proptest::prop_assert_eq!(chosen, vec![i]);
        }
        let heads: Vec<Head> = all(&indexed).iter().map(head_of).collect();
        proptest::prop_assert_eq!(indexed.heads().collect::<Vec<_>>(), heads);
        let mut newest_first = all(&indexed);
        newest_first.reverse();
        proptest::prop_assert_eq!(
            indexed.incidents_newest_first(|_| true).collect::<Vec<_>>(),
            newest_first
        );
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

    /// A batch correlated kind by kind on several threads, in order of time, gives every row
    /// the incident that one correlator fed the first sendings in order of time gives it:
    /// re-sent ids (even with another kind or time) included. Incidents are numbered by the
    /// row that opened them. Each thread takes its rows a few at a time, letting go of the
    /// incidents no later row can reach, as on a long batch.
    #[test]
    fn a_batch_on_threads_is_the_batch_in_order_of_time(
        stream in proptest::collection::vec(
            ((proptest::bool::ANY, 0u32..240, 0u8..4, 0.0f64..360.0, 0.0f64..3_000.0,
             5.0f64..400.0, -4.0f64..4.0, 0u8..4), 0u8..3, proptest::option::weighted(0.15, 0usize..80)),
            1..120,
        ),
        threads in 1usize..4,
        chunk in proptest::prop_oneof![1usize..12, proptest::strategy::Just(super::batch::CHUNK)],
    ) {
        let batch: Vec<(Observation, Place)> = stream
            .iter()
            .enumerate()
            .map(|(i, (g, third, resend))| {
                let mut o = generated(i, g);
                if *third == 0 {
                    o.kind = EventKind::ArmedClash;
                }
                if let Some(j) = resend.filter(|&j| j < i) {
                    o.id = format!("o{j}");
                }
                let place = o.check().unwrap_or_else(|e| panic!("{e:?}"));
                (o, place)
            })
            .collect();
        // First sendings, in order of the start of their windows, ties by row.
        let mut first: Vec<usize> = Vec::new();
        for (r, (o, _)) in batch.iter().enumerate() {
            if !batch[..r].iter().any(|(x, _)| x.id == o.id) {
                first.push(r);
            }
        }
        first.sort_by_key(|&r| (batch[r].0.window().0, r));
        let mut one = Correlator::new(Params::default());
        one.extend(first.iter().map(|&r| (&batch[r].0, batch[r].1)));
        // Its incidents, renumbered in the order of the rows that opened them (the first of
        // each incident's rows in order of time).
        let mut opener: HashMap<u64, usize> = HashMap::new();
        for &r in &first {
            let incident = one.incident_of(&batch[r].0.id).unwrap_or(0);
            opener.entry(incident).or_insert(r);
        }
        let mut openers: Vec<usize> = opener.values().copied().collect();
        openers.sort_unstable();
        let expected: Vec<u64> = batch
            .iter()
            .map(|(o, _)| {
                let incident = one.incident_of(&o.id).unwrap_or(0);
                let row = opener.get(&incident).copied().unwrap_or(usize::MAX);
                openers.binary_search(&row).map_or(0, |k| k as u64 + 1)
            })
            .collect();
        let got = super::batch::correlate_in_chunks(Params::default(), &batch, threads, chunk);
        proptest::prop_assert_eq!(got.count, one.incident_count());
        proptest::prop_assert_eq!(got.incidents, expected);
    }
}

/// Times become whole milliseconds without narrowing a window, before 1970 too, and whole
/// milliseconds come back as they were.
#[test]
fn times_round_outwards_to_the_millisecond() {
    for (second, nano) in [
        (1_742_292_000, 0),
        (1_742_292_000, 1),
        (1_742_292_000, 999_999_999),
        (1_742_292_000, 250_000_000),
        (0, 0),
        (0, -1),
        (-1, -500_000),
        (-86_400, -999_999_999),
    ] {
        let t = Timestamp::new(second, nano).unwrap_or_else(|e| panic!("{e}"));
        let (down, up) = (millis_down(t), millis_up(t));
        assert!(
            timestamp(down) <= t && t <= timestamp(up),
            "{t}: {down} {up}"
        );
        assert!(up - down <= 1, "{t}: {down} {up}");
        assert_eq!(up == down, nano % 1_000_000 == 0, "{t}");
        assert_eq!(millis_down(timestamp(down)), down);
    }
}

/// An observation's window in milliseconds is its widened window rounded outwards, whether or
/// not it is given to the minute (which skips the widening), at any fraction of a second.
#[test]
fn windows_in_milliseconds_are_the_widened_windows_rounded_outwards() {
    let base = json!({"id": "w", "reported": "2025-03-18T13:00:00Z", "observer": "patrol",
        "location": point(EVENT, 100.0), "kind": "shelling",
        "count": {"low": 1, "best": 1, "high": 1}});
    for (from, to) in [
        ("2025-03-18T12:00:00.0004Z", "2025-03-18T12:05:00.9996Z"),
        ("2025-03-18T12:00:00Z", "2025-03-18T12:05:00Z"),
        ("1969-12-31T23:59:59.9996Z", "1970-01-01T00:00:00.0004Z"),
    ] {
        for precision in [0u32, 1, 15] {
            let mut v = base.clone();
            v["observed_from"] = json!(from);
            v["observed_to"] = json!(to);
            v["time_precision_min"] = json!(precision);
            let o: Observation = serde_json::from_value(v).unwrap_or_else(|e| panic!("{e}"));
            let (wide_from, wide_to) = o.window();
            assert_eq!(
                window_of(&o),
                (millis_down(wide_from), millis_up(wide_to)),
                "{from} {to} ±{precision} min"
            );
            let (a, b) = window_of(&o);
            assert!(timestamp(a) <= wide_from && wide_to <= timestamp(b));
        }
    }
}
