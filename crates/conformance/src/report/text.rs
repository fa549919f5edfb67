//! The terminal table: one row per case (group, case, MUST result, observed notes), the
//! failed checks and errors spelled out below it, and a closing count.

use std::fmt::Write as _;

use super::{CaseResult, SuiteReport, show};

/// Renders `report` as the table people read.
pub fn render(report: &SuiteReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "pullsim conformance: {} ({} cases in {:.1}s)\n",
        report.title(),
        report.cases.len(),
        report.duration.as_secs_f64()
    );
    let rows: Vec<[String; 4]> = report
        .cases
        .iter()
        .map(|case| {
            let must = match case.result {
                CaseResult::Pass => format!("pass {0}/{0}", case.must.len()),
                CaseResult::Fail => format!(
                    "FAIL {}/{}",
                    case.must.iter().filter(|check| check.pass).count(),
                    case.must.len()
                ),
                CaseResult::Error => "ERROR".to_owned(),
                CaseResult::Skipped => "skipped".to_owned(),
            };
            let observed = case
                .observed
                .iter()
                .filter(|(name, _)| !matches!(name.as_str(), "error" | "skipped"))
                .map(|(name, value)| format!("{name}={}", show(value)))
                .chain(std::iter::once(format!("requests={}", case.requests)))
                .collect::<Vec<_>>()
                .join(" ");
            [
                case.group.as_str().to_owned(),
                case.id.clone(),
                must,
                observed,
            ]
        })
        .collect();
    let header = [
        "GROUP".to_owned(),
        "CASE".to_owned(),
        "MUST".to_owned(),
        "OBSERVED".to_owned(),
    ];
    let widths: Vec<usize> = (0..3)
        .map(|column| {
            rows.iter()
                .chain(std::iter::once(&header))
                .map(|row| row[column].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in std::iter::once(&header).chain(&rows) {
        let _ = writeln!(
            out,
            "{:<w0$}  {:<w1$}  {:<w2$}  {}",
            row[0],
            row[1],
            row[2],
            row[3],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2],
        );
    }
    let mut notes = String::new();
    for case in &report.cases {
        for check in case.failures() {
            let _ = writeln!(
                notes,
                "  {}/{}: MUST {}: {}",
                case.group.as_str(),
                case.id,
                check.check,
                check.detail
            );
        }
        for key in ["error", "skipped"] {
            if let Some(reason) = case.observed.get(key) {
                let _ = writeln!(
                    notes,
                    "  {}/{}: {key}: {}",
                    case.group.as_str(),
                    case.id,
                    show(reason)
                );
            }
        }
    }
    if !notes.is_empty() {
        let _ = write!(out, "\n{notes}");
    }
    let tally = report.tally();
    let _ = writeln!(
        out,
        "\n{} passed, {} failed, {} errors, {} skipped",
        tally.passed, tally.failed, tally.errors, tally.skipped
    );
    out
}

#[cfg(test)]
mod tests {
    use super::super::sample;
    use super::*;

    #[test]
    fn the_table_lists_every_case_and_spells_out_failures() {
        insta::assert_snapshot!(render(&sample::report("skopeo", Some("1.9.3"), true)));
    }
}
