//! The racing cases (tests/concurrency/cases.rs) on a real sled store.

mod common;

fn harness(config: rekey::config::Config) -> common::Harness {
    common::Harness::new(config)
}

#[path = "concurrency/cases.rs"]
mod cases;
