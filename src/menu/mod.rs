//! Menus are data: a tree of screens and actions in `menus/*.yaml`, checked before it goes live.
pub mod check;
pub mod model;

pub use model::{InputKind, Menu, MenuError, Next, Node};
