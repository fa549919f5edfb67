//! Progress while a suite runs: a bar on a terminal (indicatif), plain lines otherwise (a
//! CI log, a pipe), so a run of a minute never looks hung.

use std::io::Write;
use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressStyle};

use crate::report::{CaseReport, CaseResult};

/// Told about a run as it goes; the suite calls it from one thread.
pub trait Progress {
    /// The run of `puller` starts, with `total` cases.
    fn start(&mut self, puller: &str, total: usize);
    /// A case finished; `done` of `total` are.
    fn case_done(&mut self, case: &CaseReport, done: usize, total: usize);
    /// The run finished.
    fn finish(&mut self);
}

/// A bar with the last finished case, for terminals.
#[derive(Debug, Default)]
pub struct Bar {
    bar: Option<ProgressBar>,
}

impl Progress for Bar {
    fn start(&mut self, puller: &str, total: usize) {
        let bar = ProgressBar::new(total as u64);
        let style =
            ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {elapsed} {wide_msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> ");
        bar.set_style(style);
        bar.set_prefix(puller.to_owned());
        self.bar = Some(bar);
    }

    fn case_done(&mut self, case: &CaseReport, _done: usize, _total: usize) {
        if let Some(bar) = &self.bar {
            bar.set_message(format!(
                "{}/{} {}",
                case.group.as_str(),
                case.id,
                case.result.as_str()
            ));
            if case.result == CaseResult::Fail {
                bar.println(format!(
                    "  FAIL {}/{}: {}",
                    case.group.as_str(),
                    case.id,
                    case.failures()
                        .map(|check| check.check.as_str())
                        .collect::<Vec<_>>()
                        .join("; ")
                ));
            }
            bar.inc(1);
        }
    }

    fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

/// One line per finished case, to any writer (standard error when it is not a terminal).
#[derive(Debug)]
pub struct Lines<W: Write> {
    out: Mutex<W>,
    puller: String,
}

impl<W: Write> Lines<W> {
    /// Progress lines written to `out`.
    pub fn new(out: W) -> Lines<W> {
        Lines {
            out: Mutex::new(out),
            puller: String::new(),
        }
    }

    fn line(&self, text: &str) {
        if let Ok(mut out) = self.out.lock() {
            // Progress is a courtesy: a closed standard error must not stop the run.
            let _ = writeln!(out, "{text}");
            let _ = out.flush();
        }
    }
}

impl<W: Write> Progress for Lines<W> {
    fn start(&mut self, puller: &str, total: usize) {
        self.puller = puller.to_owned();
        self.line(&format!("{puller}: running {total} cases"));
    }

    fn case_done(&mut self, case: &CaseReport, done: usize, total: usize) {
        self.line(&format!(
            "{}: [{done}/{total}] {}/{} {} ({:.1}s)",
            self.puller,
            case.group.as_str(),
            case.id,
            case.result.as_str(),
            case.duration.as_secs_f64()
        ));
    }

    fn finish(&mut self) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample;

    #[test]
    fn lines_name_the_case_and_its_result() {
        let report = sample::report("skopeo", None, true);
        let mut lines = Lines::new(Vec::new());
        lines.start("skopeo", 3);
        for (done, case) in report.cases.iter().enumerate() {
            lines.case_done(case, done + 1, 3);
        }
        lines.finish();
        let text = String::from_utf8(lines.out.into_inner().unwrap()).unwrap();
        assert_eq!(
            text,
            "skopeo: running 3 cases\n\
             skopeo: [1/3] basics/oci-manifest-by-tag pass (0.1s)\n\
             skopeo: [2/3] platforms/oci-index-arm64-v8 skipped (0.0s)\n\
             skopeo: [3/3] auth/credentials-stay-home fail (0.3s)\n"
        );
    }
}
