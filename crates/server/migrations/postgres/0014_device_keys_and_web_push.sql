-- A phone app's own key: the public half of an ECDSA P-256 key pair that
-- never leaves the phone (SEC1 uncompressed point, base64url). A device
-- with a key signs its requests with it, no longer with its TOTP secret.
ALTER TABLE devices ADD COLUMN public_key TEXT;
-- The timestamp of the device's last signed request accepted: an older
-- one, sent before it and arriving after, is refused.
ALTER TABLE devices ADD COLUMN last_signed_at BIGINT;

-- Where a device is woken when a sign-in waits (Web Push): the endpoint its
-- phone's push service gave, and the keys the message is encrypted for.
CREATE TABLE push_subscriptions (
    device_id BIGINT PRIMARY KEY REFERENCES devices (id) ON DELETE CASCADE,
    endpoint TEXT NOT NULL,
    p256dh TEXT NOT NULL,
    auth TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- The portal's own key for Web Push (VAPID), one for all instances: nonce
-- || AES-256-GCM ciphertext of the P-256 private key.
CREATE TABLE web_push_key (
    id BIGINT PRIMARY KEY,
    sealed BYTEA NOT NULL,
    created_at BIGINT NOT NULL
);
