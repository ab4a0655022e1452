//! Menus are data: a tree of screens and actions in `menus/*.yaml` (checked before it goes
//! live by `crate::check`).
pub mod model;

pub use model::{InputKind, Menu, MenuError, Next, Node};
