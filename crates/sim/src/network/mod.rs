//! The network between nodes and registries: links whose bandwidth concurrent
//! transfers share fairly.

mod coupled;
mod links;

#[allow(unused_imports)]
pub(crate) use coupled::CoupledLinks;
pub(crate) use links::LinkState;
