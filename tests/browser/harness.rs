//! The harness itself: the codes it computes and the users it adds are the
//! ones the server accepts, so a failing flow test points at the portal.

use aanmelden_server::clock::{Clock, SystemClock};
use aanmelden_server::domain::secrets::{SecretBytes, SecretString};
use aanmelden_server::domain::totp::matching_step;

use crate::helpers::{BrowserTest, next_totp_code, totp_code, totp_code_at};

/// RFC 6238 appendix B's SHA1 key, "12345678901234567890", in base32.
const RFC_SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

#[test]
fn codes_match_the_rfc_6238_vectors() {
    // The vectors have 8 digits; an app shows the last 6.
    assert_eq!(totp_code_at(RFC_SECRET, 59), "287082");
    assert_eq!(totp_code_at(RFC_SECRET, 1_111_111_109), "081804");
    assert_eq!(totp_code_at(RFC_SECRET, 2_000_000_000), "279037");
}

#[test]
fn codes_read_the_secret_as_the_page_groups_it() {
    let grouped = "GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ";
    assert_eq!(totp_code_at(grouped, 59), totp_code_at(RFC_SECRET, 59));
}

#[test]
fn the_server_accepts_the_current_and_the_next_code() {
    let secret = SecretBytes::new(b"12345678901234567890".to_vec());
    let current = totp_code(RFC_SECRET);
    let next = next_totp_code(RFC_SECRET);
    // Read after the codes: a step boundary anywhere in between still leaves
    // both within the one step of skew the server allows.
    let now = SystemClock.now();

    let current = matching_step(&secret, &current, now).expect("current code accepted");
    let next = matching_step(&secret, &next, now).expect("next code accepted");
    assert!(next > current, "step {next} after step {current}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn added_users_have_the_given_password() {
    let test = BrowserTest::start().await;

    test.add_user("testgebruiker@missingpiece.nl", "correct horse")
        .await;

    let user = test
        .state
        .store
        .find_user("testgebruiker@missingpiece.nl")
        .await
        .unwrap()
        .expect("the user");
    let hash = Some(user.password_hash.as_str());
    let passwords = &test.state.passwords;
    assert!(
        passwords
            .verify(hash, &SecretString::new("correct horse".to_owned()))
            .await
            .unwrap()
    );
    assert!(
        !passwords
            .verify(hash, &SecretString::new("wrong horse".to_owned()))
            .await
            .unwrap()
    );
}
