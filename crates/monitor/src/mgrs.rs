//! Military Grid Reference System ⇄ latitude/longitude.
