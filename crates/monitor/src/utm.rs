//! WGS84 latitude/longitude ⇄ UTM.
