//! The behaviour matrix (`--matrix`): a Markdown table with one column per puller, a row
//! per case with its MUST result, and under it a row per observed behaviour. It is the
//! table a puller author pastes into a design doc.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use super::{CaseReport, CaseResult, SuiteReport, show};

/// Renders the matrix of `reports` (cases in the first report's order).
pub fn render(reports: &[SuiteReport]) -> String {
    let mut out = String::new();
    let titles: Vec<String> = reports.iter().map(SuiteReport::title).collect();
    let _ = writeln!(out, "| case | behaviour | {} |", titles.join(" | "));
    let _ = writeln!(out, "|---|---|{}", "---|".repeat(reports.len()));
    let Some(first) = reports.first() else {
        return out;
    };
    for case in &first.cases {
        let column: Vec<Option<&CaseReport>> = reports
            .iter()
            .map(|report| report.cases.iter().find(|other| other.id == case.id))
            .collect();
        let results: Vec<String> = column.iter().map(|case| must_cell(*case)).collect();
        let _ = writeln!(
            out,
            "| {}/{} | MUST | {} |",
            case.group.as_str(),
            case.id,
            results.join(" | ")
        );
        let names: BTreeSet<&str> = column
            .iter()
            .flatten()
            .flat_map(|case| case.observed.keys().map(String::as_str))
            .filter(|name| !matches!(*name, "error" | "skipped"))
            .collect();
        for name in names {
            let values: Vec<String> = column
                .iter()
                .map(|case| {
                    case.and_then(|case| case.observed.get(name))
                        .map_or_else(|| "-".to_owned(), show)
                })
                .collect();
            let _ = writeln!(out, "| | {name} | {} |", values.join(" | "));
        }
    }
    out
}

/// A MUST cell: `pass`, `**FAIL**: <first failed check>`, `error` or `skipped`.
fn must_cell(case: Option<&CaseReport>) -> String {
    let Some(case) = case else {
        return "-".to_owned();
    };
    match case.result {
        CaseResult::Pass => "pass".to_owned(),
        CaseResult::Fail => {
            let failed: Vec<&str> = case.failures().map(|check| check.check.as_str()).collect();
            format!("**FAIL**: {}", failed.join("; ").replace('|', "\\|"))
        }
        CaseResult::Error => "error".to_owned(),
        CaseResult::Skipped => "skipped".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::sample;
    use super::*;

    #[test]
    fn the_matrix_has_a_column_per_puller_and_a_row_per_behaviour() {
        let reports = [
            sample::report("skopeo", Some("1.9.3"), false),
            sample::report("naive", None, true),
        ];
        insta::assert_snapshot!(render(&reports));
    }
}
