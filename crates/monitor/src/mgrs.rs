//! Military Grid Reference System ⇄ latitude/longitude.
//!
//! An MGRS reference is a UTM zone and latitude band ("31U"), a 100 km square identifier
//! ("DQ") and 1 to 5 digits each of easting and northing within that square ("48251 11932").
//! The square letters follow the "AA" scheme used with WGS84:
//!
//! * column letters run A–Z without I and O; zones with `zone % 6` of 1 and 4 use A–H, 2 and 5
//!   use J–R, 3 and 0 use S–Z, the first letter being the column from 100 km to 200 km easting;
//! * row letters run A–V without I and O (20 letters) and repeat every 2 000 km of northing,
//!   starting at A on the equator in odd zones and at F in even zones.
//!
//! Decoding resolves the 2 000 km ambiguity of the row letter with the latitude band. The
//! polar UPS grid (bands A, B, Y, Z) is not supported.

use std::f64::consts::SQRT_2;
use std::fmt;

use crate::utm::{self, Utm, UtmError};

/// Column letters: A–Z without I and O.
const COLUMNS: [char; 24] = [
    'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'J', 'K', 'L', 'M', 'N', 'P', 'Q', 'R', 'S', 'T', 'U',
    'V', 'W', 'X', 'Y', 'Z',
];
/// Row letters: A–V without I and O.
const ROWS: [char; 20] = [
    'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'J', 'K', 'L', 'M', 'N', 'P', 'Q', 'R', 'S', 'T', 'U',
    'V',
];
/// Size of a grid square, metres.
const SQUARE: f64 = 100_000.0;
/// The row letters repeat every 2 000 km of northing.
const ROW_CYCLE: f64 = 2_000_000.0;
/// How far (degrees of latitude) a decoded square centre may lie outside its latitude band.
/// A square at coarse precision can straddle a band edge, so its centre may fall a few
/// kilometres outside; a wrong row letter lands hundreds of kilometres away.
const BAND_TOLERANCE_DEG: f64 = 0.5;

/// A parsed MGRS reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mgrs {
    /// UTM zone, 1..=60.
    pub zone: u8,
    /// Latitude band letter, C..=X without I and O.
    pub band: char,
    /// 100 km square identifier: column letter, row letter.
    pub square: [char; 2],
    /// Easting within the square, in units of the precision (`digits` digits).
    pub easting: u32,
    /// Northing within the square, in units of the precision (`digits` digits).
    pub northing: u32,
    /// Digits per coordinate, 1..=5 (5 = 1 m, 4 = 10 m, … 1 = 10 km).
    pub digits: u8,
}

impl fmt::Display for Mgrs {
    /// Writes the spaced form, e.g. `31U DQ 48251 11932`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = usize::from(self.digits);
        write!(
            f,
            "{}{} {}{} {:0width$} {:0width$}",
            self.zone, self.band, self.square[0], self.square[1], self.easting, self.northing
        )
    }
}

/// Why an MGRS reference could not be read or produced.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MgrsError {
    /// Nothing but whitespace.
    #[error("empty MGRS reference")]
    Empty,
    /// No leading zone number.
    #[error("MGRS reference {input:?} does not start with a UTM zone number (1 to 60)")]
    MissingZone {
        /// The reference as given.
        input: String,
    },
    /// A polar (UPS) reference.
    #[error(
        "MGRS reference {input:?} uses the polar UPS grid (bands A, B, Y, Z), which is not supported"
    )]
    UpsNotSupported {
        /// The reference as given.
        input: String,
    },
    /// Zone number outside 1..=60.
    #[error("MGRS reference {input:?}: zone {zone} does not exist (zones are 1 to 60)")]
    InvalidZone {
        /// The reference as given.
        input: String,
        /// The zone as written.
        zone: String,
    },
    /// Zone number without a band letter.
    #[error("MGRS reference {input:?} lacks the latitude band letter after the zone number")]
    MissingBand {
        /// The reference as given.
        input: String,
    },
    /// Not a band letter.
    #[error(
        "MGRS reference {input:?}: {band:?} is not a latitude band letter (C to X, without I and O)"
    )]
    InvalidBand {
        /// The reference as given.
        input: String,
        /// The offending character.
        band: char,
    },
    /// 32X, 34X and 36X are not used (Svalbard exception).
    #[error(
        "MGRS reference {input:?}: grid zone {zone}{band} does not exist (Svalbard uses 31X, 33X, 35X and 37X)"
    )]
    GridZoneNotInUse {
        /// The reference as given.
        input: String,
        /// Zone number.
        zone: u8,
        /// Band letter.
        band: char,
    },
    /// Fewer than two letters after the band.
    #[error("MGRS reference {input:?} lacks the two-letter 100 km square identifier")]
    MissingSquare {
        /// The reference as given.
        input: String,
    },
    /// I, O or a non-letter in the square identifier.
    #[error(
        "MGRS reference {input:?}: {letter:?} cannot appear in a 100 km square identifier (letters I and O are not used)"
    )]
    InvalidSquareLetter {
        /// The reference as given.
        input: String,
        /// The offending character.
        letter: char,
    },
    /// Column letter from another zone's set.
    #[error(
        "MGRS reference {input:?}: column letter {letter} is not used in zone {zone} (its columns are {first} to {last})"
    )]
    InvalidColumn {
        /// The reference as given.
        input: String,
        /// The column letter.
        letter: char,
        /// The zone.
        zone: u8,
        /// First column letter of the zone's set.
        first: char,
        /// Last column letter of the zone's set.
        last: char,
    },
    /// Row letter after V.
    #[error("MGRS reference {input:?}: row letter {letter} is not used (rows are A to V)")]
    InvalidRow {
        /// The reference as given.
        input: String,
        /// The row letter.
        letter: char,
    },
    /// No easting/northing digits.
    #[error(
        "MGRS reference {input:?} has no easting and northing digits (1 to 5 digits each are needed)"
    )]
    MissingDigits {
        /// The reference as given.
        input: String,
    },
    /// Something other than a digit in the numeric part.
    #[error("MGRS reference {input:?}: unexpected character {found:?} in the easting/northing")]
    InvalidCharacter {
        /// The reference as given.
        input: String,
        /// The offending character.
        found: char,
    },
    /// Odd number of digits.
    #[error(
        "MGRS reference {input:?} has {count} digits; easting and northing need the same number of digits"
    )]
    OddDigitCount {
        /// The reference as given.
        input: String,
        /// How many digits there were.
        count: usize,
    },
    /// Easting and northing written with different lengths.
    #[error(
        "MGRS reference {input:?}: easting has {easting} digits but northing has {northing}; they must be equal"
    )]
    UnequalDigitGroups {
        /// The reference as given.
        input: String,
        /// Digits in the easting group.
        easting: usize,
        /// Digits in the northing group.
        northing: usize,
    },
    /// Digits split into more than two groups.
    #[error(
        "MGRS reference {input:?}: the digits are split into {groups} groups; expected one run or easting and northing"
    )]
    TooManyDigitGroups {
        /// The reference as given.
        input: String,
        /// How many groups there were.
        groups: usize,
    },
    /// More than five digits per coordinate.
    #[error("MGRS reference {input:?} has {count} digits; at most 10 (1 m precision) are allowed")]
    TooManyDigits {
        /// The reference as given.
        input: String,
        /// How many digits there were.
        count: usize,
    },
    /// Precision outside 1..=5, or a coordinate that does not fit it.
    #[error(
        "MGRS reference {input:?}: easting {easting} / northing {northing} do not fit {digits} digits (1 to 5 allowed)"
    )]
    InvalidDigits {
        /// The reference.
        input: String,
        /// Digits per coordinate.
        digits: u8,
        /// Easting value.
        easting: u32,
        /// Northing value.
        northing: u32,
    },
    /// The square does not lie in the latitude band.
    #[error(
        "MGRS reference {input:?}: square {square} is not within latitude band {band} of zone {zone}"
    )]
    SquareOutsideBand {
        /// The reference.
        input: String,
        /// Zone number.
        zone: u8,
        /// Band letter.
        band: char,
        /// Square identifier.
        square: String,
    },
    /// Precision requested from [`from_lat_lon`] outside 1..=5.
    #[error("MGRS precision of {0} digits is not supported (1 to 5)")]
    InvalidPrecision(u8),
    /// The underlying UTM conversion refused.
    #[error(transparent)]
    Utm(#[from] UtmError),
}

/// Index of the first column letter of `zone`'s set in [`COLUMNS`].
fn column_set_start(zone: u8) -> usize {
    match zone % 6 {
        1 | 4 => 0,
        2 | 5 => 8,
        _ => 16,
    }
}

/// Index of the row letter of northing 0 in [`ROWS`].
fn row_offset(zone: u8) -> usize {
    if zone.is_multiple_of(2) {
        5
    } else {
        0
    }
}

fn is_ups_letter(c: char) -> bool {
    matches!(c, 'A' | 'B' | 'Y' | 'Z')
}

/// Column number (1..=8, i.e. hundreds of kilometres of easting) of a column letter in `zone`.
fn column_number(zone: u8, letter: char) -> Option<u32> {
    let pos = COLUMNS.iter().position(|&c| c == letter)?;
    let start = column_set_start(zone);
    (start..start + 8)
        .contains(&pos)
        .then(|| (pos - start + 1) as u32)
}

/// Row number (0..=19, hundreds of kilometres of northing modulo 2 000 km) of a row letter in
/// `zone`.
fn row_number(zone: u8, letter: char) -> Option<u32> {
    let pos = ROWS.iter().position(|&c| c == letter)?;
    Some(((pos + ROWS.len() - row_offset(zone)) % ROWS.len()) as u32)
}

fn column_error(input: &str, zone: u8, letter: char) -> MgrsError {
    let start = column_set_start(zone);
    MgrsError::InvalidColumn {
        input: input.to_owned(),
        letter,
        zone,
        first: COLUMNS[start],
        last: COLUMNS[start + 7],
    }
}

/// Checks zone, band and square letters; `input` names the reference in errors.
fn check_grid_zone_and_square(
    input: &str,
    zone: u8,
    band: char,
    square: [char; 2],
) -> Result<(), MgrsError> {
    if !(1..=60).contains(&zone) {
        return Err(MgrsError::InvalidZone {
            input: input.to_owned(),
            zone: zone.to_string(),
        });
    }
    if is_ups_letter(band) {
        return Err(MgrsError::UpsNotSupported {
            input: input.to_owned(),
        });
    }
    if utm::band_south_edge(band).is_none() {
        return Err(MgrsError::InvalidBand {
            input: input.to_owned(),
            band,
        });
    }
    if band == 'X' && matches!(zone, 32 | 34 | 36) {
        return Err(MgrsError::GridZoneNotInUse {
            input: input.to_owned(),
            zone,
            band,
        });
    }
    for letter in square {
        if !letter.is_ascii_uppercase() || letter == 'I' || letter == 'O' {
            return Err(MgrsError::InvalidSquareLetter {
                input: input.to_owned(),
                letter,
            });
        }
    }
    if column_number(zone, square[0]).is_none() {
        return Err(column_error(input, zone, square[0]));
    }
    if row_number(zone, square[1]).is_none() {
        return Err(MgrsError::InvalidRow {
            input: input.to_owned(),
            letter: square[1],
        });
    }
    Ok(())
}

/// Reads an MGRS reference such as `31UDQ4825111932`, `31U DQ 48251 11932`, `4QFJ12345678` or
/// `36uua0203` (case and spacing are free; easting and northing may be one run of digits or two
/// equal groups).
pub fn parse(s: &str) -> Result<Mgrs, MgrsError> {
    let input = s.trim();
    if input.is_empty() {
        return Err(MgrsError::Empty);
    }
    let owned = || input.to_owned();

    // Non-whitespace characters, upper-cased, each with the index of its whitespace-separated
    // group so that "48251 11932" can be told from "4825111932".
    let mut chars: Vec<(char, usize)> = Vec::with_capacity(input.len());
    let mut group = 0;
    let mut in_space = false;
    for c in input.chars() {
        if c.is_whitespace() {
            in_space = true;
            continue;
        }
        if in_space {
            group += 1;
            in_space = false;
        }
        chars.push((c.to_ascii_uppercase(), group));
    }

    // Zone.
    let zone_len = chars.iter().take_while(|(c, _)| c.is_ascii_digit()).count();
    if zone_len == 0 {
        return Err(match chars.first() {
            Some(&(c, _)) if is_ups_letter(c) => MgrsError::UpsNotSupported { input: owned() },
            _ => MgrsError::MissingZone { input: owned() },
        });
    }
    let zone_text: String = chars.iter().take(zone_len).map(|&(c, _)| c).collect();
    let zone = match zone_text.parse::<u8>() {
        Ok(z) if zone_len <= 2 && (1..=60).contains(&z) => z,
        _ => {
            return Err(MgrsError::InvalidZone {
                input: owned(),
                zone: zone_text,
            })
        }
    };

    // Band.
    let band = match chars.get(zone_len) {
        None => return Err(MgrsError::MissingBand { input: owned() }),
        Some(&(c, _)) if is_ups_letter(c) => {
            return Err(MgrsError::UpsNotSupported { input: owned() })
        }
        Some(&(c, _)) if !c.is_alphabetic() => {
            return Err(MgrsError::MissingBand { input: owned() })
        }
        Some(&(c, _)) => c,
    };
    if utm::band_south_edge(band).is_none() {
        return Err(MgrsError::InvalidBand {
            input: owned(),
            band,
        });
    }

    // Square.
    let square = match (chars.get(zone_len + 1), chars.get(zone_len + 2)) {
        (Some(&(c, _)), Some(&(r, _))) if c.is_alphabetic() && r.is_alphabetic() => [c, r],
        _ => return Err(MgrsError::MissingSquare { input: owned() }),
    };
    check_grid_zone_and_square(input, zone, band, square)?;

    // Digits.
    let rest = chars.get(zone_len + 3..).unwrap_or(&[]);
    if rest.is_empty() {
        return Err(MgrsError::MissingDigits { input: owned() });
    }
    if let Some(&(found, _)) = rest.iter().find(|(c, _)| !c.is_ascii_digit()) {
        return Err(MgrsError::InvalidCharacter {
            input: owned(),
            found,
        });
    }
    let first_group = rest[0].1;
    let groups = rest.last().map_or(first_group, |&(_, g)| g) - first_group + 1;
    match groups {
        1 => {}
        2 => {
            let easting = rest.iter().filter(|&&(_, g)| g == first_group).count();
            let northing = rest.len() - easting;
            if easting != northing {
                return Err(MgrsError::UnequalDigitGroups {
                    input: owned(),
                    easting,
                    northing,
                });
            }
        }
        _ => {
            return Err(MgrsError::TooManyDigitGroups {
                input: owned(),
                groups,
            })
        }
    }
    let count = rest.len();
    if !count.is_multiple_of(2) {
        return Err(MgrsError::OddDigitCount {
            input: owned(),
            count,
        });
    }
    if count > 10 {
        return Err(MgrsError::TooManyDigits {
            input: owned(),
            count,
        });
    }
    let half = count / 2;
    let number = |digits: &[(char, usize)]| {
        digits
            .iter()
            .fold(0u32, |acc, &(c, _)| acc * 10 + c.to_digit(10).unwrap_or(0))
    };
    Ok(Mgrs {
        zone,
        band,
        square,
        easting: number(&rest[..half]),
        northing: number(&rest[half..]),
        digits: half as u8,
    })
}

/// Size of the square a reference denotes, metres: 10^(5 − digits).
pub fn precision_m(m: &Mgrs) -> f64 {
    10f64.powi(5 - i32::from(m.digits))
}

/// Latitude and longitude (degrees) of the centre of the square `m` denotes.
pub fn to_lat_lon(m: &Mgrs) -> Result<(f64, f64), MgrsError> {
    let name = m.to_string();
    check_grid_zone_and_square(&name, m.zone, m.band, m.square)?;
    let limit = 10u32.pow(u32::from(m.digits.min(5)));
    if !(1..=5).contains(&m.digits) || m.easting >= limit || m.northing >= limit {
        return Err(MgrsError::InvalidDigits {
            input: name,
            digits: m.digits,
            easting: m.easting,
            northing: m.northing,
        });
    }
    let (Some(column), Some(row), Some(south_edge)) = (
        column_number(m.zone, m.square[0]),
        row_number(m.zone, m.square[1]),
        utm::band_south_edge(m.band),
    ) else {
        // Unreachable after the checks above; report it as a bad square rather than panic.
        return Err(column_error(&name, m.zone, m.square[0]));
    };
    let north_edge = if m.band == 'X' {
        utm::MAX_LAT
    } else {
        south_edge + 8.0
    };
    let size = precision_m(m);
    let easting = f64::from(column) * SQUARE + f64::from(m.easting) * size + size / 2.0;
    let northing = f64::from(row) * SQUARE + f64::from(m.northing) * size + size / 2.0;
    let north = m.band >= 'N';

    // The row letter fixes the northing modulo 2 000 km; take the candidate whose latitude lies
    // in (or, for a coarse square straddling the band edge, nearest to) the latitude band.
    let mut best: Option<(f64, f64, f64)> = None;
    for k in 0..6 {
        let candidate = Utm {
            zone: m.zone,
            north,
            easting,
            northing: northing + f64::from(k) * ROW_CYCLE,
        };
        let Ok((lat, lon)) = utm::to_lat_lon(&candidate) else {
            continue;
        };
        let outside = (south_edge - lat).max(lat - north_edge).max(0.0);
        if best.is_none_or(|(d, _, _)| outside < d) {
            best = Some((outside, lat, lon));
        }
    }
    match best {
        Some((outside, lat, lon)) if outside <= BAND_TOLERANCE_DEG => Ok((lat, lon)),
        _ => Err(MgrsError::SquareOutsideBand {
            input: name,
            zone: m.zone,
            band: m.band,
            square: m.square.iter().collect(),
        }),
    }
}

/// Parses `s` and returns the centre of its square as (latitude, longitude, radius): the radius
/// is half the square's diagonal in metres, the largest distance (in grid metres) from the centre to
/// any point the reference may denote.
pub fn parse_to_lat_lon(s: &str) -> Result<(f64, f64, f64), MgrsError> {
    let m = parse(s)?;
    let (lat, lon) = to_lat_lon(&m)?;
    Ok((lat, lon, precision_m(&m) * SQRT_2 / 2.0))
}

/// The MGRS reference of a point, with `digits` (1..=5) digits per coordinate, spaced as in
/// `31U DQ 48251 11932`. Coordinates are truncated, as MGRS requires, so the reference names the
/// square that contains the point.
pub fn from_lat_lon(lat: f64, lon: f64, digits: u8) -> Result<String, MgrsError> {
    Ok(mgrs_from_lat_lon(lat, lon, digits)?.to_string())
}

/// As [`from_lat_lon`], returning the structured reference.
pub fn mgrs_from_lat_lon(lat: f64, lon: f64, digits: u8) -> Result<Mgrs, MgrsError> {
    if !(1..=5).contains(&digits) {
        return Err(MgrsError::InvalidPrecision(digits));
    }
    let u = utm::from_lat_lon(lat, lon)?;
    let band = utm::band_letter(lat).ok_or(UtmError::LatitudeOutOfRange(lat))?;
    // Both are within 0..=10 000 000 m for a standard zone; truncate to whole metres.
    let easting_m = u.easting.floor().clamp(0.0, 9_999_999.0) as u32;
    let northing_m = u.northing.floor().clamp(0.0, 9_999_999.0) as u32;
    let column = easting_m / 100_000;
    let row = (northing_m / 100_000) as usize % ROWS.len();
    let column_letter = (column as usize)
        .checked_sub(1)
        .filter(|&c| c < 8)
        .and_then(|c| COLUMNS.get(column_set_start(u.zone) + c))
        .copied();
    let Some(column_letter) = column_letter else {
        // Cannot happen within a standard zone (eastings stay within 100–900 km).
        return Err(UtmError::EastingOutOfRange(u.easting).into());
    };
    let row_letter = ROWS[(row + row_offset(u.zone)) % ROWS.len()];
    let size = 10u32.pow(5 - u32::from(digits));
    Ok(Mgrs {
        zone: u.zone,
        band,
        square: [column_letter, row_letter],
        easting: easting_m % 100_000 / size,
        northing: northing_m % 100_000 / size,
        digits,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Ground distance in metres between two nearby points, from the WGS84 radii of curvature
    /// at the mean latitude (good to about 1e-4 relative over tens of kilometres).
    fn distance_m(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
        let a = 6_378_137.0;
        let f = 1.0 / 298.257_223_563;
        let e2 = f * (2.0 - f);
        let phi = ((lat1 + lat2) / 2.0).to_radians();
        let w = (1.0 - e2 * phi.sin().powi(2)).sqrt();
        let meridional = a * (1.0 - e2) / (w * w * w);
        let normal = a / w;
        let mut dlon = lon2 - lon1;
        if dlon > 180.0 {
            dlon -= 360.0;
        } else if dlon < -180.0 {
            dlon += 360.0;
        }
        let dy = meridional * (lat2 - lat1).to_radians();
        let dx = normal * phi.cos() * dlon.to_radians();
        dx.hypot(dy)
    }

    /// Encodes, parses and decodes a point; returns the distance to the square centre and the
    /// reference.
    fn round_trip(lat: f64, lon: f64, digits: u8) -> (f64, String, Mgrs) {
        let s = from_lat_lon(lat, lon, digits).unwrap();
        let m = parse(&s).unwrap();
        let (lat2, lon2) = to_lat_lon(&m).unwrap();
        (distance_m(lat, lon, lat2, lon2), s, m)
    }

    #[test]
    fn eiffel_tower() {
        // 48.858260°N gives northing 5 411 939 m; the often-quoted "31U DQ 48251 11932"
        // belongs to 48°51′29.5″N 2°17′40.2″E (48.858194°N), 7.3 m further south.
        assert_eq!(
            from_lat_lon(48.858260, 2.294500, 5).unwrap(),
            "31U DQ 48251 11939"
        );
        let (lat, lon) = (
            48.0 + 51.0 / 60.0 + 29.5 / 3600.0,
            2.0 + 17.0 / 60.0 + 40.2 / 3600.0,
        );
        assert_eq!(from_lat_lon(lat, lon, 5).unwrap(), "31U DQ 48251 11932");
        let (lat2, lon2, radius) = parse_to_lat_lon("31UDQ4825111932").unwrap();
        assert!((radius - SQRT_2 / 2.0).abs() < 1e-12);
        assert!(distance_m(lat, lon, lat2, lon2) < 1.0);
        assert_eq!(from_lat_lon(lat, lon, 1).unwrap(), "31U DQ 4 1");
        assert_eq!(from_lat_lon(lat, lon, 3).unwrap(), "31U DQ 482 119");
        for digits in 1..=5 {
            let (d, s, m) = round_trip(48.858260, 2.294500, digits);
            assert!(d <= precision_m(&m) * SQRT_2 / 2.0 * 1.001, "{s}: {d}");
        }
    }

    #[test]
    fn kyiv() {
        assert_eq!(
            from_lat_lon(50.4501, 30.5234, 5).unwrap(),
            "36U UA 24182 91607"
        );
        let (d, s, _) = round_trip(50.4501, 30.5234, 5);
        assert!(d < 1.0, "{s}: {d}");
        let (d, s, _) = round_trip(50.4501, 30.5234, 2);
        assert_eq!(s, "36U UA 24 91");
        assert!(d < 708.0, "{s}: {d}");
    }

    #[test]
    fn southern_hemisphere() {
        assert_eq!(
            from_lat_lon(-33.8568, 151.2153, 5).unwrap(),
            "56H LH 34900 52288"
        );
        let (d, s, _) = round_trip(-33.8568, 151.2153, 5);
        assert!(d < 1.0, "{s}: {d}");
        // Just south of the equator: the false northing puts the point near 10 000 km.
        let (d, s, _) = round_trip(-0.000_01, 36.0, 5);
        assert!(s.starts_with("37M"), "{s}");
        assert!(d < 1.0, "{s}: {d}");
    }

    #[test]
    fn known_reference_points() {
        // The origin of the geographic grid: 166 021 m easting, northing 0 in zone 31.
        assert_eq!(from_lat_lon(0.0, 0.0, 5).unwrap(), "31N AA 66021 00000");
        let (lat, lon) = to_lat_lon(&parse("31NAA6602100000").unwrap()).unwrap();
        assert!(distance_m(0.0, 0.0, lat, lon) < 1.0);
        // Even zone: row letters start at F on the equator.
        assert!(from_lat_lon(0.0, 9.0, 1).unwrap().starts_with("32N NF"));
    }

    #[test]
    fn zone_and_band_boundaries() {
        for (lat, lon, prefix) in [
            (10.0, 6.0, "32P"),       // on the zone 31/32 boundary
            (10.0, 5.999_999, "31P"), // just west of it
            (48.0, 12.0, "33U"),      // band and zone corner
            (47.999_999, 12.0, "33T"),
            (0.0, -180.0, "1N"),
            (-0.000_001, 179.999_999, "60M"),
            (60.0, 5.0, "32V"),  // Norway
            (78.0, 10.0, "33X"), // Svalbard
            (84.0, 20.0, "33X"),
            (-80.0, -70.0, "19C"),
            (72.0, 0.0, "31X"),
        ] {
            for digits in 1..=5 {
                let (d, s, m) = round_trip(lat, lon, digits);
                assert!(s.starts_with(prefix), "{s} for {lat},{lon}");
                assert!(
                    d <= precision_m(&m) * SQRT_2 / 2.0 * 1.002,
                    "{s}: {d} m from {lat},{lon}"
                );
            }
        }
    }

    #[test]
    fn parses_forms() {
        let expected = Mgrs {
            zone: 31,
            band: 'U',
            square: ['D', 'Q'],
            easting: 48251,
            northing: 11932,
            digits: 5,
        };
        for s in [
            "31UDQ4825111932",
            "31U DQ 48251 11932",
            "  31udq 4825111932 ",
            "31 U D Q\t48251  11932",
        ] {
            assert_eq!(parse(s), Ok(expected), "{s}");
        }
        assert_eq!(expected.to_string(), "31U DQ 48251 11932");
        let m = parse("36UUA0203").unwrap();
        assert_eq!((m.zone, m.band, m.square), (36, 'U', ['U', 'A']));
        assert_eq!((m.easting, m.northing, m.digits), (2, 3, 2));
        assert_eq!(precision_m(&m), 1000.0);
        assert_eq!(m.to_string(), "36U UA 02 03");
        let (_, _, radius) = parse_to_lat_lon("36UUA0203").unwrap();
        assert!((radius - 1000.0 * SQRT_2 / 2.0).abs() < 1e-9);

        let m = parse("4QFJ12345678").unwrap();
        assert_eq!((m.zone, m.band, m.square), (4, 'Q', ['F', 'J']));
        assert_eq!((m.easting, m.northing, m.digits), (1234, 5678, 4));
        let (lat, lon) = to_lat_lon(&m).unwrap();
        assert!(
            (lat - 21.31).abs() < 0.01 && (lon + 157.92).abs() < 0.01,
            "{lat} {lon}"
        );
        assert_eq!(parse("04QFJ12345678"), Ok(m));
        assert_eq!(parse("4QFJ15").unwrap().digits, 1);
    }

    #[test]
    fn rejects_bad_input() {
        let input = |s: &str| s.to_owned();
        assert_eq!(parse(""), Err(MgrsError::Empty));
        assert_eq!(parse("   "), Err(MgrsError::Empty));
        assert_eq!(
            parse("31"),
            Err(MgrsError::MissingBand { input: input("31") })
        );
        assert_eq!(
            parse("31UDQ123"),
            Err(MgrsError::OddDigitCount {
                input: input("31UDQ123"),
                count: 3
            })
        );
        assert_eq!(
            parse("61UDQ1234"),
            Err(MgrsError::InvalidZone {
                input: input("61UDQ1234"),
                zone: input("61")
            })
        );
        assert_eq!(
            parse("0UDQ1234"),
            Err(MgrsError::InvalidZone {
                input: input("0UDQ1234"),
                zone: input("0")
            })
        );
        assert_eq!(
            parse("31IDQ1234"),
            Err(MgrsError::InvalidBand {
                input: input("31IDQ1234"),
                band: 'I'
            })
        );
        assert_eq!(
            parse("31UIQ1234"),
            Err(MgrsError::InvalidSquareLetter {
                input: input("31UIQ1234"),
                letter: 'I'
            })
        );
        assert_eq!(
            parse("31UDO1234"),
            Err(MgrsError::InvalidSquareLetter {
                input: input("31UDO1234"),
                letter: 'O'
            })
        );
        assert_eq!(
            parse("A"),
            Err(MgrsError::UpsNotSupported { input: input("A") })
        );
        assert_eq!(
            parse("ZGC1234"),
            Err(MgrsError::UpsNotSupported {
                input: input("ZGC1234")
            })
        );
        assert_eq!(
            parse("31Z DQ 12 34"),
            Err(MgrsError::UpsNotSupported {
                input: input("31Z DQ 12 34")
            })
        );
        assert_eq!(
            parse("31U DQ 4825 11932"),
            Err(MgrsError::UnequalDigitGroups {
                input: input("31U DQ 4825 11932"),
                easting: 4,
                northing: 5
            })
        );
        assert_eq!(
            parse("31U DQ 48 25 11"),
            Err(MgrsError::TooManyDigitGroups {
                input: input("31U DQ 48 25 11"),
                groups: 3
            })
        );
        assert_eq!(
            parse("31UDQ"),
            Err(MgrsError::MissingDigits {
                input: input("31UDQ")
            })
        );
        assert_eq!(
            parse("31U12"),
            Err(MgrsError::MissingSquare {
                input: input("31U12")
            })
        );
        assert_eq!(
            parse("31UDQ12x4"),
            Err(MgrsError::InvalidCharacter {
                input: input("31UDQ12x4"),
                found: 'X'
            })
        );
        assert_eq!(
            parse("31UDQ123456789012"),
            Err(MgrsError::TooManyDigits {
                input: input("31UDQ123456789012"),
                count: 12
            })
        );
        assert_eq!(
            parse("DQ1234"),
            Err(MgrsError::MissingZone {
                input: input("DQ1234")
            })
        );
        assert_eq!(
            parse("31UJQ1234"),
            Err(MgrsError::InvalidColumn {
                input: input("31UJQ1234"),
                letter: 'J',
                zone: 31,
                first: 'A',
                last: 'H'
            })
        );
        assert_eq!(
            parse("31UDW1234"),
            Err(MgrsError::InvalidRow {
                input: input("31UDW1234"),
                letter: 'W'
            })
        );
        assert_eq!(
            parse("32XNA1234"),
            Err(MgrsError::GridZoneNotInUse {
                input: input("32XNA1234"),
                zone: 32,
                band: 'X'
            })
        );
        // Row G in zone 31 is 600 km (mod 2 000 km) north: 6 600 km is far north of band U.
        assert_eq!(
            parse_to_lat_lon("31UDG1234"),
            Err(MgrsError::SquareOutsideBand {
                input: input("31U DG 12 34"),
                zone: 31,
                band: 'U',
                square: input("DG")
            })
        );
        assert!(matches!(
            from_lat_lon(f64::NAN, 2.0, 5),
            Err(MgrsError::Utm(UtmError::LatitudeNotFinite(_)))
        ));
        assert_eq!(
            from_lat_lon(85.0, 2.0, 5),
            Err(MgrsError::Utm(UtmError::LatitudeOutOfRange(85.0)))
        );
        assert_eq!(
            from_lat_lon(48.0, 2.0, 6),
            Err(MgrsError::InvalidPrecision(6))
        );
        assert_eq!(
            from_lat_lon(48.0, 2.0, 0),
            Err(MgrsError::InvalidPrecision(0))
        );
        let bad = Mgrs {
            zone: 31,
            band: 'U',
            square: ['D', 'Q'],
            easting: 100,
            northing: 5,
            digits: 2,
        };
        assert!(matches!(
            to_lat_lon(&bad),
            Err(MgrsError::InvalidDigits { .. })
        ));
        // Messages name the input and say what is wrong.
        let message = parse("61UDQ1234").unwrap_err().to_string();
        assert!(
            message.contains("61UDQ1234") && message.contains("zone 61"),
            "{message}"
        );
        assert!(parse("A").unwrap_err().to_string().contains("UPS"));
        assert!(from_lat_lon(f64::NAN, 2.0, 5)
            .unwrap_err()
            .to_string()
            .contains("latitude NaN"));
    }

    proptest! {
        #[test]
        fn round_trip_within_precision(
            lat in -80.0f64..84.0,
            lon in -180.0f64..180.0,
            digits in 1u8..=5,
        ) {
            let s = from_lat_lon(lat, lon, digits).unwrap();
            let m = parse(&s).unwrap();
            prop_assert_eq!(m.to_string(), s.clone());
            prop_assert_eq!(parse(&s.replace(' ', "")).unwrap(), m);
            let (lat2, lon2) = to_lat_lon(&m).unwrap();
            let d = distance_m(lat, lon, lat2, lon2);
            if digits == 5 {
                prop_assert!(d < 1.5, "{} is {} m from {},{}", s, d, lat, lon);
            }
            // Half the diagonal, with room for the scale factor (ground vs grid metres) and the
            // approximation in distance_m.
            let radius = precision_m(&m) * SQRT_2 / 2.0;
            prop_assert!(d <= radius * 1.002 + 1e-3, "{} is {} m from {},{}", s, d, lat, lon);
            // In grid metres the centre is within half a square of the point on each axis.
            let original = utm::from_lat_lon(lat, lon).unwrap();
            let centre = utm::from_lat_lon_in_zone(lat2, lon2, m.zone).unwrap();
            let half = precision_m(&m) / 2.0 + 1e-6;
            prop_assert!((original.easting - centre.easting).abs() <= half);
            prop_assert!((original.northing - centre.northing).abs() <= half);
        }

        #[test]
        fn never_panics_on_text(s in "\\PC{0,24}") {
            let _ = parse_to_lat_lon(&s);
        }

        #[test]
        fn never_panics_on_plausible_text(s in "[0-9]{0,3} ?[A-Za-z]{0,3} ?[0-9]{0,6} ?[0-9]{0,6}") {
            if let Ok((lat, lon, radius)) = parse_to_lat_lon(&s) {
                prop_assert!(lat.is_finite() && lon.is_finite() && radius > 0.0);
                prop_assert!((-90.0..=90.0).contains(&lat) && (-180.0..180.0).contains(&lon));
            }
        }

        #[test]
        fn never_panics_on_fields(
            zone in any::<u8>(),
            band in any::<char>(),
            c in any::<char>(),
            r in any::<char>(),
            easting in any::<u32>(),
            northing in any::<u32>(),
            digits in any::<u8>(),
        ) {
            let m = Mgrs { zone, band, square: [c, r], easting, northing, digits };
            let _ = to_lat_lon(&m);
            let _ = precision_m(&m);
        }
    }
}
