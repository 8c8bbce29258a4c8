//! Checks shared by the fuzz targets.

use monitor::ingest::Batch;

/// Every rejected row or event of `batch`, read from `text`, has a reason and a line inside
/// the text, counting from `first` (1 for XML, 2 for CSV below its header) to the number of
/// line ends in `ends` plus one.
pub fn check_rejected(text: &str, batch: &Batch, first: usize, ends: &[char]) {
    let lines = text.matches(ends).count() + 1;
    for r in &batch.rejected {
        assert!(
            (first..=lines).contains(&r.line),
            "rejected on line {} of {lines}",
            r.line
        );
        assert!(!r.reason.is_empty(), "rejected without a reason");
    }
}
