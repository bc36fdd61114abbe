//! The recovery flow's cases (tests/flow/cases.rs) on a real PostgreSQL:
//! each test makes a cluster of its own, with rekey's schema applied by
//! the same migration `rekey store migrate` runs.

mod common;

fn harness(config: rekey::config::Config) -> common::Harness {
    assert!(
        common::postgres::available(),
        "PostgreSQL 15 is needed for these tests (`apt-get install postgresql`; .ci/run does)"
    );
    common::Harness::on_postgres(config)
}

#[path = "flow/cases.rs"]
mod cases;
