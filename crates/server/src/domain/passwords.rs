//! Password hashing with argon2id, off the async threads and bounded in how
//! many run at once and how many may wait, so a flood of sign-ins cannot
//! exhaust memory or pile up answers that come too late to matter.
//!
//! The hashes are computed by threads of their own, one per hash that may
//! run at once, at a lower priority than the threads that answer requests:
//! with every core hashing, every other step is still answered at once, and
//! the hashes take all the time left. Each thread keeps reusing its own
//! memory for the 19 MiB a hash needs: a fresh 19 MiB for every hash, freed
//! by one thread while others allocate, left the server's peak memory under
//! 200 browsers at 229 MB (57 MB with the memory kept per thread).

use std::cell::RefCell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError, mpsc};

use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};

use aes_gcm::aead::OsRng;

use super::secrets::SecretString;

/// OWASP's minimum for argon2id: 19 MiB, 2 passes, 1 lane.
const MEMORY_KIB: u32 = 19 * 1024;
const PASSES: u32 = 2;
const LANES: u32 = 1;

/// Shortest password `user add` and `user passwd` accept.
pub const MIN_PASSWORD_CHARS: usize = 8;

/// Hashes and verifies passwords.
#[derive(Clone)]
pub struct Passwords {
    argon: Arc<Argon2<'static>>,
    /// A real hash of a random password: unknown users are verified against
    /// it, so the answer takes as long as for a known user.
    dummy_hash: Arc<str>,
    /// The hashing threads' work.
    jobs: mpsc::Sender<Job>,
    /// Hashes waiting for a thread or being computed, and how many may.
    queued: Arc<AtomicUsize>,
    max_queued: usize,
}

/// A hash to compute on a hashing thread.
type Job = Box<dyn FnOnce() + Send>;

/// The priority of the hashing threads: the lowest (niceness 19 on Linux,
/// where the default is 0). They still get every moment the request threads
/// leave; under 200 browsers the code step's p99 went from 8.7 ms at
/// niceness 9 to 6.6 ms, at the same number of sign-ins per second.
const HASHING_PRIORITY: u8 = 0;

/// Why hashing failed.
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error("the password hashing pool is gone")]
    Pool,
    #[error("too many passwords are waiting to be checked")]
    Busy,
}

impl Passwords {
    /// At most `concurrency` hashes at once, and at most `max_queued`
    /// computed or waiting (beyond it: [`PasswordError::Busy`] at once).
    pub fn new(concurrency: usize, max_queued: usize) -> Result<Self, PasswordError> {
        let params = Params::new(MEMORY_KIB, PASSES, LANES, None)
            .map_err(|e| PasswordError::Hash(e.to_string()))?;
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let random = super::secrets::SecretBytes::random(24);
        let dummy_hash = hash_with(&argon, random.expose(), &mut Vec::new())?;
        let (jobs, waiting) = mpsc::channel::<Job>();
        let waiting = Arc::new(Mutex::new(waiting));
        for i in 0..concurrency.max(1) {
            let waiting = Arc::clone(&waiting);
            std::thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || hashing_thread(&waiting))
                .map_err(|_| PasswordError::Pool)?;
        }
        Ok(Self {
            argon: Arc::new(argon),
            dummy_hash: dummy_hash.into(),
            jobs,
            queued: Arc::new(AtomicUsize::new(0)),
            max_queued: max_queued.max(concurrency),
        })
    }

    /// How many hashes are being computed or waiting now.
    pub fn queued(&self) -> usize {
        self.queued.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// A PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`) for `password`.
    pub async fn hash(&self, password: &SecretString) -> Result<String, PasswordError> {
        let argon = Arc::clone(&self.argon);
        let password = password.clone();
        self.blocking(move || {
            in_thread_memory(|memory| hash_with(&argon, password.expose().as_bytes(), memory))
        })
        .await?
    }

    /// Whether `password` matches `stored`; with `None` (no such user) it
    /// does the same work against a dummy hash and answers false.
    pub async fn verify(
        &self,
        stored: Option<&str>,
        password: &SecretString,
    ) -> Result<bool, PasswordError> {
        let known = stored.is_some();
        let hash: String = stored.unwrap_or(&self.dummy_hash).to_owned();
        let password = password.clone();
        let matches = self
            .blocking(move || {
                in_thread_memory(|memory| verify_with(&hash, password.expose().as_bytes(), memory))
            })
            .await?;
        Ok(known && matches)
    }

    /// `work` on a hashing thread, once one is free. A request that goes
    /// away before its turn leaves its place, and its hash is not computed.
    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, PasswordError> {
        let _place = QueuePlace::take(&self.queued, self.max_queued)?;
        let (done, result) = tokio::sync::oneshot::channel();
        self.jobs
            .send(Box::new(move || {
                if !done.is_closed() {
                    let _ = done.send(work());
                }
            }))
            .map_err(|_| PasswordError::Pool)?;
        result.await.map_err(|_| PasswordError::Pool)
    }
}

/// A hashing thread: takes the next job until the [`Passwords`] are gone.
fn hashing_thread(waiting: &Mutex<mpsc::Receiver<Job>>) {
    if let Ok(priority) = HASHING_PRIORITY.try_into() {
        // Where the system refuses, the thread hashes at the default priority.
        let _ = thread_priority::set_current_thread_priority(
            thread_priority::ThreadPriority::Crossplatform(priority),
        );
    }
    loop {
        let job = waiting
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .recv();
        match job {
            // A job that panics fails its own request, not the thread.
            Ok(job) => drop(std::panic::catch_unwind(std::panic::AssertUnwindSafe(job))),
            Err(mpsc::RecvError) => return,
        }
    }
}

/// A place in the queue of hashes, given back when dropped (also when the
/// request waiting for it goes away).
struct QueuePlace(Arc<AtomicUsize>);

impl QueuePlace {
    fn take(queued: &Arc<AtomicUsize>, max: usize) -> Result<Self, PasswordError> {
        queued
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < max).then_some(n + 1)
            })
            .map_err(|_| PasswordError::Busy)?;
        Ok(Self(Arc::clone(queued)))
    }
}

impl Drop for QueuePlace {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

thread_local! {
    /// A hashing thread's memory for argon2id, kept for its next hash.
    static MEMORY: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// `work` with this thread's argon2id memory.
fn in_thread_memory<T>(work: impl FnOnce(&mut Vec<Block>) -> T) -> T {
    MEMORY.with_borrow_mut(work)
}

/// `argon`'s hash of `password` with `salt` into `out`, in `memory` (grown
/// when the parameters need more).
fn hash_into(
    argon: &Argon2<'_>,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
    memory: &mut Vec<Block>,
) -> argon2::Result<()> {
    let needed = argon.params().block_count();
    if memory.len() < needed {
        memory.resize(needed, Block::default());
    }
    argon.hash_password_into_with_memory(password, salt, out, &mut memory[..needed])
}

/// A PHC string for `password` with a new salt, as the argon2 crate's own
/// `hash_password` writes it.
fn hash_with(
    argon: &Argon2<'_>,
    password: &[u8],
    memory: &mut Vec<Block>,
) -> Result<String, PasswordError> {
    let failed = |e: argon2::password_hash::Error| PasswordError::Hash(e.to_string());
    let salt = SaltString::generate(&mut OsRng);
    let mut salt_bytes = [0u8; 64];
    let raw_salt = salt.as_salt().decode_b64(&mut salt_bytes).map_err(failed)?;
    let params = argon.params();
    let output_len = params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN);
    let output = Output::init_with(output_len, |out| {
        Ok(hash_into(argon, password, raw_salt, out, memory)?)
    })
    .map_err(failed)?;
    let hash = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(params).map_err(failed)?,
        salt: Some(salt.as_salt()),
        hash: Some(output),
    };
    Ok(hash.to_string())
}

/// Whether `password` matches the PHC string `stored`, with the algorithm,
/// version and parameters it names; the outputs are compared in constant
/// time.
fn verify_with(stored: &str, password: &[u8], memory: &mut Vec<Block>) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return false;
    };
    let (Ok(algorithm), Ok(params)) = (
        Algorithm::try_from(parsed.algorithm),
        Params::try_from(&parsed),
    ) else {
        return false;
    };
    let Ok(version) = parsed
        .version
        .map_or(Ok(Version::default()), Version::try_from)
    else {
        return false;
    };
    let mut salt_bytes = [0u8; 64];
    let Ok(raw_salt) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    let argon = Argon2::new(algorithm, version, params);
    Output::init_with(expected.len(), |out| {
        Ok(hash_into(&argon, password, raw_salt, out, memory)?)
    })
    .is_ok_and(|computed| computed == expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_with_owasp_parameters_and_verifies() {
        let passwords = Passwords::new(2, 8).unwrap();
        let pw = SecretString::new("correct horse".into());
        let hash = passwords.hash(&pw).await.unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(passwords.verify(Some(&hash), &pw).await.unwrap());
        assert!(
            !passwords
                .verify(Some(&hash), &SecretString::new("wrong".into()))
                .await
                .unwrap()
        );
    }

    /// Hashes written by the argon2 crate's own `hash_password` (every hash
    /// stored so far) verify here, and the crate verifies the hashes written
    /// here; other parameters are read from the hash.
    #[test]
    fn hashes_agree_with_the_argon2_crates_own() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};

        let mut memory = Vec::new();
        let owasp = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(MEMORY_KIB, PASSES, LANES, None).unwrap(),
        );
        let small = Argon2::new(
            Algorithm::Argon2i,
            Version::V0x10,
            Params::new(64, 3, 2, Some(16)).unwrap(),
        );
        for argon in [&owasp, &small] {
            let salt = SaltString::generate(&mut OsRng);
            let theirs = argon
                .hash_password(b"correct horse", &salt)
                .unwrap()
                .to_string();
            assert!(
                verify_with(&theirs, b"correct horse", &mut memory),
                "{theirs}"
            );
            assert!(!verify_with(&theirs, b"correct hors", &mut memory));
        }
        let ours = hash_with(&owasp, b"correct horse", &mut memory).unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(owasp.verify_password(b"correct horse", &parsed).is_ok());
        assert!(owasp.verify_password(b"wrong", &parsed).is_err());
        assert_eq!(
            memory.len(),
            19 * 1024,
            "the memory was kept, at its largest"
        );
        assert!(!verify_with("not a hash", b"", &mut memory));
    }

    #[tokio::test]
    async fn unknown_user_never_verifies() {
        let passwords = Passwords::new(1, 1).unwrap();
        assert!(
            !passwords
                .verify(None, &SecretString::new(String::new()))
                .await
                .unwrap()
        );
    }

    #[tokio::test]
    async fn a_full_queue_answers_busy_at_once() {
        let passwords = Passwords::new(1, 2).unwrap();
        let pw = SecretString::new("correct horse".into());
        let (a, b, c) = tokio::join!(
            passwords.verify(None, &pw),
            passwords.verify(None, &pw),
            passwords.verify(None, &pw),
        );
        let busy = [a, b, c]
            .into_iter()
            .filter(|r| matches!(r, Err(PasswordError::Busy)))
            .count();
        assert_eq!(busy, 1);
        // Places are given back: the queue takes work again.
        assert!(!passwords.verify(None, &pw).await.unwrap());
    }
}
