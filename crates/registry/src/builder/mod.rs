//! The deterministic synthetic image builder: real tar+gzip layers, real configs, real
//! manifests and indexes from a short [`ImageSpec`](crate::ImageSpec).
//!
//! - [`gzip`]: our own deflate and gzip framing, so bytes never depend on a library.
//! - [`layer`]: one layer (tar with `hello.txt` and padding) at an exact compressed size.
//! - [`image`]: configs, manifests and indexes.

mod gzip;
mod image;
mod layer;

pub(crate) use image::{BuiltImage, build, check};
pub use layer::LAYER_MAX_BYTES;

#[cfg(test)]
mod tests;
