//! One module per `lucid` subcommand.

pub mod compile;
pub mod conformance;
pub mod demo;
pub mod inspect;
pub mod prove;
pub mod verify;
