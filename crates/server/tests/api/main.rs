//! The JSON API over real HTTP: each test starts the server on a port of its
//! own with a fresh database, on SQLite and on PostgreSQL.

// A failed step of a test is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod accounts;
mod active_directory;
mod bounds;
mod branding;
mod cli;
mod connections;
mod devices;
mod directory;
mod fake_ad;
mod groups;
mod helpers;
mod kiosk;
mod load;
mod load_generator;
mod lockout;
mod login;
mod metrics;
mod networks;
mod nginx;
mod pass;
mod phone_app;
mod plain;
mod proxy;
mod push;
mod recovery;
mod requests;
mod return_to;
mod samba;
mod scale_out;
mod slapd;
mod transport;
mod verify;
