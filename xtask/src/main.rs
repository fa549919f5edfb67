//! `cargo xtask`: the project's automation, written in Rust so it runs wherever cargo does.

fn main() {}
