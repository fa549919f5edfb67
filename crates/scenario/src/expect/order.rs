//! `order:` of the list kinds (`events`, `waitingReasons`): how an expected list matches
//! what happened, read, matched and written the same for each.

use crate::diagnostics::Diagnostics;
use crate::fields::{Fields, text};
use crate::suggest::unknown_value_message;
use crate::tree::Node;

/// How an expected list matches what happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Order {
    /// The lists are equal.
    #[default]
    Exact,
    /// What happened starts with the list.
    Prefix,
    /// The list appears in what happened in order, with anything in between.
    Subsequence,
}

/// The expectation's `order`, [`Order::Exact`] when absent; `None` after an error.
pub(crate) fn read_order(fields: &mut Fields<'_>, diagnostics: &mut Diagnostics) -> Option<Order> {
    fields
        .get("order")
        .map_or(Some(Order::Exact), |n| order(n, diagnostics))
}

fn order(node: &Node, diagnostics: &mut Diagnostics) -> Option<Order> {
    match text(node, diagnostics)?.as_str() {
        "exact" => Some(Order::Exact),
        "prefix" => Some(Order::Prefix),
        "subsequence" => Some(Order::Subsequence),
        other => {
            diagnostics.error(
                node.position,
                unknown_value_message("order", other, &["exact", "prefix", "subsequence"]),
            );
            None
        }
    }
}

/// How a verdict says the order before the list: nothing, `starting with `, or
/// `including in order `.
pub(crate) fn order_word(order: Order) -> &'static str {
    match order {
        Order::Exact => "",
        Order::Prefix => "starting with ",
        Order::Subsequence => "including in order ",
    }
}

/// Whether `actual` holds `expected` as `order` says.
pub(crate) fn matches_in_order<E, A>(
    expected: &[E],
    actual: &[A],
    order: Order,
    matches: impl Fn(&E, &A) -> bool,
) -> bool {
    match order {
        Order::Exact => {
            expected.len() == actual.len()
                && expected.iter().zip(actual).all(|(e, a)| matches(e, a))
        }
        Order::Prefix => {
            expected.len() <= actual.len()
                && expected.iter().zip(actual).all(|(e, a)| matches(e, a))
        }
        Order::Subsequence => {
            let mut remaining = actual.iter();
            expected
                .iter()
                .all(|e| remaining.by_ref().any(|a| matches(e, a)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_order_matches_as_it_says() {
        let happened = [1, 2, 3, 4];
        let same = |a: &i32, b: &i32| a == b;
        assert!(matches_in_order(
            &[1, 2, 3, 4],
            &happened,
            Order::Exact,
            same
        ));
        assert!(!matches_in_order(&[1, 2, 3], &happened, Order::Exact, same));
        assert!(matches_in_order(&[1, 2], &happened, Order::Prefix, same));
        assert!(!matches_in_order(&[2, 3], &happened, Order::Prefix, same));
        assert!(!matches_in_order(
            &[1, 2, 3, 4, 5],
            &happened,
            Order::Prefix,
            same
        ));
        assert!(matches_in_order(
            &[1, 3, 4],
            &happened,
            Order::Subsequence,
            same
        ));
        assert!(!matches_in_order(
            &[3, 1],
            &happened,
            Order::Subsequence,
            same
        ));
    }
}
