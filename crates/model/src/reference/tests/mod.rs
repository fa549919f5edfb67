//! Tests of the reference parser, in three tables of contents:
//! - `oracle`: the hand-written matcher against a regex oracle built from
//!   distribution/reference v0.6.0's own expressions, and the invariants of every parse;
//! - `semantics`: the reference tables of docs/semantics.md, through the public API;
//! - `upstream`: distribution/reference's own test tables, ported as data.

mod oracle;
mod semantics;
mod upstream;
