//! Copy progress: a bar per table on a terminal (rows, rows/s, ETA), plain lines otherwise.

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use nerve::copy::{Progress, TableReport};
use std::io::IsTerminal;

/// Draws a copy's progress on standard error.
pub struct Bars {
    /// On a terminal: the bars; otherwise lines.
    bars: Option<MultiProgress>,
    current: Option<ProgressBar>,
}

impl Bars {
    /// Bars when standard error is a terminal, plain lines otherwise.
    pub fn new() -> Self {
        let bars = std::io::stderr()
            .is_terminal()
            .then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr()));
        Bars {
            bars,
            current: None,
        }
    }
}

impl Progress for Bars {
    fn start(&mut self, table: &str, rows: u64) {
        if let Some(multi) = &self.bars {
            let bar = multi.add(ProgressBar::new(rows));
            bar.set_style(
                ProgressStyle::with_template(
                    "{prefix:<28} [{bar:30}] {pos}/{len} rows {per_sec} ETA {eta}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            bar.set_prefix(table.to_string());
            self.current = Some(bar);
        } else if rows > 0 {
            eprintln!("copy: {table}: {rows} rows ...");
        }
    }

    fn advance(&mut self, _table: &str, done: u64) {
        if let Some(bar) = &self.current {
            bar.set_position(done);
        }
    }

    fn finish(&mut self, report: &TableReport) {
        match self.current.take() {
            Some(bar) => bar.finish(),
            None => {
                let rate = if report.seconds > 0.0 {
                    report.copied as f64 / report.seconds
                } else {
                    0.0
                };
                eprintln!(
                    "copy: {}: {} copied, {} refused, {:.2} s ({:.0} rows/s)",
                    report.table, report.copied, report.rejected, report.seconds, rate
                );
            }
        }
    }
}
