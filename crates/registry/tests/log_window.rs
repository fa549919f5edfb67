//! The request log's bounded window and the paged `GET /_pullsim/log`: a registry that
//! keeps only the newest entries, pages of a chosen size with `Pullsim-Log-Next` and
//! `Pullsim-Log-More`, and `Pullsim-Log-Missed` for a reader whose cursor fell out.

use pullsim_model::SimTime;
use pullsim_registry::{LOG_PAGE_MAX, Method, Registry, RegistryConfig, Request, Response};

fn demo() -> Registry {
    Registry::with_demo_catalog(RegistryConfig::default())
}

fn get(registry: &mut Registry, target: &str) -> Response {
    registry.handle(&Request::new(Method::Get, target, "t"), SimTime::EPOCH)
}

fn lines(response: &Response) -> Vec<serde_json::Value> {
    std::str::from_utf8(&response.body)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

#[test]
fn the_window_bounds_the_entries_kept() {
    let mut registry = demo();
    registry.set_log_window(Some(100));
    for _ in 0..10_000 {
        get(&mut registry, "/v2/");
    }
    assert_eq!(registry.log_next_index(), 10_000);
    let kept = registry.log_since(0).len();
    assert!((100..=126).contains(&kept), "kept {kept} entries");
}

#[test]
fn pages_carry_next_more_and_missed() {
    let mut registry = demo();
    registry.set_log_window(Some(8));
    for _ in 0..30 {
        get(&mut registry, "/v2/");
    }
    let first_kept = registry.log_since(0)[0].index;
    let page = get(&mut registry, "/_pullsim/log?since=0&limit=3");
    assert_eq!(page.status, 200);
    let entries = lines(&page);
    assert_eq!(entries.len(), 3);
    assert_eq!(entries[0]["index"], first_kept);
    assert_eq!(
        page.headers.get("pullsim-log-missed"),
        Some(first_kept.to_string().as_str())
    );
    assert_eq!(page.headers.get("pullsim-log-more"), Some("true"));
    let next = page.headers.get("pullsim-log-next").unwrap().to_owned();
    assert_eq!(next, (first_kept + 3).to_string());

    let rest = get(
        &mut registry,
        &format!("/_pullsim/log?since={next}&limit=100"),
    );
    assert_eq!(rest.headers.get("pullsim-log-missed"), None);
    assert_eq!(rest.headers.get("pullsim-log-more"), Some("false"));
    assert_eq!(rest.headers.get("pullsim-log-next"), Some("30"));
    assert_eq!(lines(&rest).last().unwrap()["index"], 29);
}

#[test]
fn the_default_page_is_a_thousand_entries() {
    let mut registry = demo();
    for _ in 0..1_500 {
        get(&mut registry, "/v2/");
    }
    let page = get(&mut registry, "/_pullsim/log");
    assert_eq!(lines(&page).len(), 1_000);
    assert_eq!(page.headers.get("pullsim-log-more"), Some("true"));
    assert_eq!(page.headers.get("pullsim-log-next"), Some("1000"));
}

#[test]
fn a_limit_out_of_range_is_refused_by_name() {
    let mut registry = demo();
    for limit in [
        "0".to_owned(),
        (LOG_PAGE_MAX + 1).to_string(),
        "ten".to_owned(),
    ] {
        let answer = get(&mut registry, &format!("/_pullsim/log?limit={limit}"));
        assert_eq!(answer.status, 400);
        let text = String::from_utf8_lossy(&answer.body).into_owned();
        assert!(
            text.contains("limit must be a count from 1 to 10000"),
            "{text}"
        );
        assert!(text.contains(&limit), "{text}");
    }
}
