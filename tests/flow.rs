//! The recovery flow's cases (tests/flow/cases.rs) on a real sled store.

mod common;

fn harness(config: rekey::config::Config) -> common::Harness {
    common::Harness::new(config)
}

#[path = "flow/cases.rs"]
mod cases;
