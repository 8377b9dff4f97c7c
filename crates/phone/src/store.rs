//! What the app keeps on the phone, in IndexedDB: per account its details
//! sealed with an AES-GCM key, its TOTP secret as an HMAC key and its
//! signing key, all three keys not extractable (the browser stores them,
//! and uses them, but no script can read them out). A copy of the database
//! holds nothing that opens without this browser.

use js_sys::{Object, Reflect, Uint8Array};
use serde::{Deserialize, Serialize};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{CryptoKey, IdbDatabase, IdbRequest, IdbTransactionMode};

use crate::crypto;

const DATABASE: &str = "aanmelden-telefoon";
const VERSION: u32 = 1;
/// The sealing key, under [`SEALING_KEY`].
const KEYS: &str = "keys";
const SEALING_KEY: &str = "sealing";
/// The accounts, under numbers the database gives.
const ACCOUNTS: &str = "accounts";

/// Why the phone's storage did not do it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreFailed;

impl From<JsValue> for StoreFailed {
    fn from(_: JsValue) -> Self {
        Self
    }
}

impl From<crypto::CryptoFailed> for StoreFailed {
    fn from(_: crypto::CryptoFailed) -> Self {
        Self
    }
}

/// An account's details, kept sealed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Details {
    pub issuer: String,
    pub account: String,
    /// The device at the portal; `None` for a key typed in by hand, which
    /// makes codes but answers no sign-in.
    pub device_id: Option<i64>,
}

/// One account as the app uses it.
#[derive(Clone)]
pub struct Account {
    /// The database's number for it.
    pub id: u32,
    pub details: Details,
    /// The TOTP secret, as an HMAC-SHA-1 key.
    pub totp: CryptoKey,
    /// The device's signing key, for an account of the portal.
    pub signing: Option<CryptoKey>,
}

/// The result of an IndexedDB request, once it is done.
async fn done(request: &IdbRequest) -> Result<JsValue, StoreFailed> {
    let promise = js_sys::Promise::new(&mut |resolve, reject| {
        let on_success = Closure::once_into_js(move || {
            let _ = resolve.call0(&JsValue::NULL);
        });
        let on_error = Closure::once_into_js(move || {
            let _ = reject.call0(&JsValue::NULL);
        });
        request.set_onsuccess(Some(on_success.unchecked_ref()));
        request.set_onerror(Some(on_error.unchecked_ref()));
    });
    JsFuture::from(promise).await?;
    Ok(request.result()?)
}

async fn database() -> Result<IdbDatabase, StoreFailed> {
    let factory = web_sys::window()
        .ok_or(StoreFailed)?
        .indexed_db()?
        .ok_or(StoreFailed)?;
    let opening = factory.open_with_u32(DATABASE, VERSION)?;
    let upgrade = Closure::once_into_js({
        let opening = opening.clone();
        move || {
            if let Ok(result) = opening.result() {
                let database: IdbDatabase = result.unchecked_into();
                let _ = database.create_object_store(KEYS);
                let parameters = web_sys::IdbObjectStoreParameters::new();
                parameters.set_auto_increment(true);
                let _ =
                    database.create_object_store_with_optional_parameters(ACCOUNTS, &parameters);
            }
        }
    });
    opening.set_onupgradeneeded(Some(upgrade.unchecked_ref()));
    Ok(done(&opening).await?.unchecked_into())
}

fn store(
    database: &IdbDatabase,
    name: &str,
    mode: IdbTransactionMode,
) -> Result<web_sys::IdbObjectStore, StoreFailed> {
    Ok(database
        .transaction_with_str_and_mode(name, mode)?
        .object_store(name)?)
}

/// The key that seals the accounts' details: made on first use.
async fn sealing_key(database: &IdbDatabase) -> Result<CryptoKey, StoreFailed> {
    let keys = store(database, KEYS, IdbTransactionMode::Readonly)?;
    let found = done(&keys.get(&SEALING_KEY.into())?).await?;
    if found.is_instance_of::<CryptoKey>() {
        return Ok(found.unchecked_into());
    }
    let key = crypto::new_sealing_key().await?;
    let keys = store(database, KEYS, IdbTransactionMode::Readwrite)?;
    done(&keys.put_with_key(&key, &SEALING_KEY.into())?).await?;
    Ok(key)
}

fn set(object: &Object, key: &str, value: &JsValue) -> Result<(), StoreFailed> {
    Reflect::set(object, &key.into(), value)?;
    Ok(())
}

/// Keep a new account.
pub async fn add(
    details: &Details,
    totp: &CryptoKey,
    signing: Option<&CryptoKey>,
) -> Result<(), StoreFailed> {
    let database = database().await?;
    let sealing = sealing_key(&database).await?;
    let plain = to_json(details)?;
    let sealed = crypto::seal(&sealing, &plain).await?;
    let record = Object::new();
    set(&record, "sealed", &Uint8Array::from(&sealed[..]).into())?;
    set(&record, "totp", totp)?;
    if let Some(signing) = signing {
        set(&record, "signing", signing)?;
    }
    let accounts = store(&database, ACCOUNTS, IdbTransactionMode::Readwrite)?;
    done(&accounts.add(&record)?).await?;
    Ok(())
}

/// Every account, oldest first; one that does not open is left out.
pub async fn accounts() -> Result<Vec<Account>, StoreFailed> {
    let database = database().await?;
    let sealing = sealing_key(&database).await?;
    let accounts = store(&database, ACCOUNTS, IdbTransactionMode::Readonly)?;
    let ids: js_sys::Array = done(&accounts.get_all_keys()?).await?.unchecked_into();
    let records: js_sys::Array = done(&accounts.get_all()?).await?.unchecked_into();
    let mut out = Vec::new();
    for (id, record) in ids.iter().zip(records.iter()) {
        let field = |name: &str| Reflect::get(&record, &name.into()).ok();
        let (Some(id), Some(sealed), Some(totp)) = (number(&id), field("sealed"), field("totp"))
        else {
            continue;
        };
        let Ok(plain) = crypto::open(&sealing, &Uint8Array::new(&sealed).to_vec()).await else {
            continue;
        };
        let Some(details) = from_json(&plain) else {
            continue;
        };
        let signing = field("signing")
            .filter(JsCast::is_instance_of::<CryptoKey>)
            .map(JsCast::unchecked_into);
        out.push(Account {
            id,
            details,
            totp: totp.unchecked_into(),
            signing,
        });
    }
    Ok(out)
}

/// A key the database gave (1, 2, …), as a number.
fn number(key: &JsValue) -> Option<u32> {
    let value = key
        .as_f64()
        .filter(|value| (1.0..=f64::from(u32::MAX)).contains(value))?;
    // Keys the database counts up are whole, and in range here.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Some(value as u32)
}

/// JSON by the browser's own `JSON.stringify`: no JSON code in the app.
fn to_json(details: &Details) -> Result<Vec<u8>, StoreFailed> {
    let value = serde_wasm_bindgen::to_value(details).map_err(|_| StoreFailed)?;
    let text: String = js_sys::JSON::stringify(&value)?.into();
    Ok(text.into_bytes())
}

fn from_json(bytes: &[u8]) -> Option<Details> {
    let value = js_sys::JSON::parse(std::str::from_utf8(bytes).ok()?).ok()?;
    serde_wasm_bindgen::from_value(value).ok()
}
