use super::value_set::value_set;

value_set! {
    /// Where a scan stands.
    pub enum ScanStatus as "scan_status" {
        /// Requested, not started.
        Queued = "queued",
        /// Running.
        Running = "running",
        /// Finished with results.
        Completed = "completed",
        /// Finished without results; the error is recorded.
        Failed = "failed",
    }
}

value_set! {
    /// The scanner a finding comes from.
    pub enum ScanSource as "scan_source" {
        /// The external attack-surface scanner (XASM).
        Xasm = "xasm",
        /// The Lightbox web scanner.
        Lightbox = "lightbox",
    }
}
