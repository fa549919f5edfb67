//! JUnit XML (`--junit FILE`): one `<testsuite>` per puller and one `<testcase>` per case,
//! named `<group>/<id>`, with a `<failure>` per failed run listing its failed checks,
//! `<error>` and `<skipped>` with their reasons, and the observed behaviours as the case's
//! standard output. This is the dialect Jenkins, GitLab and GitHub reporters read.

use std::fmt::Write as _;

use super::{CaseResult, SuiteReport, show};

/// Renders the reports as one JUnit XML document.
pub fn render(reports: &[SuiteReport]) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let (mut tests, mut failures, mut errors, mut skipped, mut seconds) = (0, 0, 0, 0, 0.0);
    for report in reports {
        let tally = report.tally();
        tests += report.cases.len();
        failures += tally.failed;
        errors += tally.errors;
        skipped += tally.skipped;
        seconds += report.duration.as_secs_f64();
    }
    let _ = writeln!(
        out,
        "<testsuites name=\"pullsim conformance\" tests=\"{tests}\" failures=\"{failures}\" \
         errors=\"{errors}\" skipped=\"{skipped}\" time=\"{seconds:.3}\">"
    );
    for report in reports {
        suite(&mut out, report);
    }
    out.push_str("</testsuites>\n");
    out
}

fn suite(out: &mut String, report: &SuiteReport) {
    let tally = report.tally();
    let _ = writeln!(
        out,
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" \
         time=\"{:.3}\">",
        escape(&report.title()),
        report.cases.len(),
        tally.failed,
        tally.errors,
        tally.skipped,
        report.duration.as_secs_f64()
    );
    if let Some(version) = &report.version {
        let _ = writeln!(
            out,
            "    <properties><property name=\"version\" value=\"{}\"/></properties>",
            escape(version)
        );
    }
    for case in &report.cases {
        let _ = writeln!(
            out,
            "    <testcase classname=\"{}.{}\" name=\"{}/{}: {}\" time=\"{:.3}\">",
            escape(&report.puller),
            case.group.as_str(),
            case.group.as_str(),
            escape(&case.id),
            escape(&case.title),
            case.duration.as_secs_f64()
        );
        match case.result {
            CaseResult::Pass => {}
            CaseResult::Fail => {
                let failed: Vec<String> = case
                    .failures()
                    .map(|check| format!("{}: {}", check.check, check.detail))
                    .collect();
                let _ = writeln!(
                    out,
                    "      <failure type=\"must\" message=\"{}\">{}</failure>",
                    escape(failed.first().map_or("", String::as_str)),
                    escape(&failed.join("\n"))
                );
            }
            CaseResult::Error | CaseResult::Skipped => {
                let (element, key) = if case.result == CaseResult::Error {
                    ("error", "error")
                } else {
                    ("skipped", "skipped")
                };
                let reason = case.observed.get(key).map(show).unwrap_or_default();
                let _ = writeln!(out, "      <{element} message=\"{}\"/>", escape(&reason));
            }
        }
        let observed: Vec<String> = case
            .observed
            .iter()
            .filter(|(name, _)| !matches!(name.as_str(), "error" | "skipped"))
            .map(|(name, value)| format!("{name}={}", show(value)))
            .chain(std::iter::once(format!("requests={}", case.requests)))
            .collect();
        let _ = writeln!(
            out,
            "      <system-out>{}</system-out>",
            escape(&observed.join("\n"))
        );
        out.push_str("    </testcase>\n");
    }
    out.push_str("  </testsuite>\n");
}

/// Escapes text for XML attributes and content; characters XML 1.0 cannot carry become
/// `?`.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' | '\t' | '\r' => out.push(c),
            c if (c as u32) < 0x20 => out.push('?'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::sample;
    use super::*;

    #[test]
    fn junit_names_every_case_and_escapes_text() {
        let reports = [
            sample::report("skopeo", Some("1.9.3"), true),
            sample::report("naive", None, false),
        ];
        insta::assert_snapshot!(render(&reports));
    }

    #[test]
    fn escaping_covers_markup_and_control_characters() {
        assert_eq!(
            escape("a<b>&\"c'\u{1}\n"),
            "a&lt;b&gt;&amp;&quot;c&apos;?\n"
        );
    }
}
