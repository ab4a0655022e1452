#!/usr/bin/env bash
# The whole test suite, as CI runs it: formatting, lints, then every test on the embedded
# backends (SQLite + in-process sessions) and the end-to-end suites again on PostgreSQL +
# Redis. PostgreSQL, Redis and Kannel (with fakesmsc as its SMS centre) are installed if missing
# (Debian packages), started on loopback ports for the run, and stopped afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."

# The Debian packages the tests need install in the background while the code compiles.
mkdir -p target
bash tests/services.sh install >target/services-install.log 2>&1 &
installing=$!

cargo fmt --all -- --check
# Action, gateway and SMS gateway files are modules a list declares (build.rs, gateways!,
# sms_gateways!): cargo fmt does not reach them.
rustfmt --edition 2024 --check src/actions/*.rs src/gateway/*.rs src/sms/*.rs
# Clippy lints the very build the tests run (clippy-driver as the compiler of dalal's own
# crates, as `cargo clippy` does it): the dependencies compile once, not once in check mode for
# clippy and again for the tests. Any warning, clippy's or rustc's, fails the build.
RUSTC_WORKSPACE_WRAPPER="$(rustc --print sysroot)/bin/clippy-driver"
export RUSTC_WORKSPACE_WRAPPER
export CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"
cargo test --locked --no-run

wait "$installing" || { cat target/services-install.log; exit 1; }
bash tests/services.sh start
trap 'bash tests/services.sh stop' EXIT
# shellcheck disable=SC1091
source target/test-services/env

echo "== embedded backends (SQLite + in-process sessions), store and Redis tests on real servers"
cargo test --locked --no-fail-fast

echo "== the end-to-end suites again on PostgreSQL + Redis"
# One test crate (tests/it/): its end-to-end modules, by their path prefixes.
DALAL_TEST_BACKEND=production cargo test --locked --no-fail-fast --test it -- \
  ussd_http:: self_service:: hazard:: security:: storm:: voice:: gateways:: mtn_push:: \
  notifications:: kannel_notify:: metrics:: report:: reload::
