//! The network between nodes and registries: links whose bandwidth concurrent
//! transfers share fairly.

mod links;

pub(crate) use links::LinkState;
