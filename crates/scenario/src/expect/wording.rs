//! How verdicts write what an expectation is about and the bounds it allows, the same
//! for every kind.

use crate::fields::Bounds;

/// `pod web-0`, or `pod web-0 container app` when a container is named.
pub(crate) fn subject_of_pod(pod: &str, container: Option<&str>) -> String {
    match container {
        Some(container) => format!("pod {pod} container {container}"),
        None => format!("pod {pod}"),
    }
}

/// `3`, `1..5`, `>= 1`, `<= 2m` or `any`, each value written by `show`.
pub(crate) fn bounds_text<T: Copy>(bounds: &Bounds<T>, show: impl Fn(T) -> String) -> String {
    match (bounds.min, bounds.max) {
        (Some(min), Some(max)) => {
            let (min, max) = (show(min), show(max));
            if min == max {
                min
            } else {
                format!("{min}..{max}")
            }
        }
        (Some(min), None) => format!(">= {}", show(min)),
        (None, Some(max)) => format!("<= {}", show(max)),
        (None, None) => "any".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_are_written_as_one_value_a_range_or_one_side() {
        let show = |n: u64| n.to_string();
        assert_eq!(bounds_text(&Bounds::exactly(3), show), "3");
        let range = Bounds {
            min: Some(1),
            max: Some(5),
        };
        assert_eq!(bounds_text(&range, show), "1..5");
        let at_least = Bounds {
            min: Some(1),
            max: None,
        };
        assert_eq!(bounds_text(&at_least, show), ">= 1");
        let at_most = Bounds {
            min: None,
            max: Some(2),
        };
        assert_eq!(bounds_text(&at_most, show), "<= 2");
        let any: Bounds<u64> = Bounds {
            min: None,
            max: None,
        };
        assert_eq!(bounds_text(&any, show), "any");
    }

    #[test]
    fn a_pods_subject_names_its_container_when_one_is_named() {
        assert_eq!(subject_of_pod("web-0", None), "pod web-0");
        assert_eq!(
            subject_of_pod("web-0", Some("app")),
            "pod web-0 container app"
        );
    }
}
