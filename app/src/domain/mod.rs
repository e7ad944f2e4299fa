//! Domain types that parse their input once, at the edge; everything past the parse can trust them.

mod credentials;
mod range;
mod symbol;

pub use credentials::{Password, Username};
pub use range::ChartRange;
pub use symbol::Symbol;
