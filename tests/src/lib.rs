//! Shared helpers for pullsim's whole-project tests.
