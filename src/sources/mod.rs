//! Where provenance comes from: pluggable sources, tried in the order the
//! user configures them.

mod spec;

pub use spec::{SourceSpec, CRATES_IO_API, GITHUB_API};
