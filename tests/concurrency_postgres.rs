//! The racing cases (tests/concurrency/cases.rs) on a real PostgreSQL,
//! where racing steps are concurrent transactions that must serialise.

mod common;

fn harness(config: rekey::config::Config) -> common::Harness {
    assert!(
        common::postgres::available(),
        "PostgreSQL 15 is needed for these tests (`apt-get install postgresql`; .ci/run does)"
    );
    common::Harness::on_postgres(config)
}

#[path = "concurrency/cases.rs"]
mod cases;
