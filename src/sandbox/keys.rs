//! The sandbox GitHub App's key pair: the scaler signs its JWTs with the private half, the
//! emulator verifies them with the public half, exactly as GitHub does with a real App.

use std::fmt;

use anyhow::Context;
use rsa::PrivateKey;
use rsa::pkcs1::{EncodeRsaPrivateKey, EncodeRsaPublicKey, LineEnding};

/// An RSA 2048 key pair made for one sandbox run. `Debug` never shows the private key.
pub struct AppKeyPair {
    private_pem: String,
    public_der: Vec<u8>,
}

impl AppKeyPair {
    /// Generates a fresh key pair from the operating system's randomness (it plays the part
    /// of a credential, so it does not come from the simulation seed).
    pub fn generate() -> anyhow::Result<Self> {
        let key =
            PrivateKey::new(&mut rand::rng(), 2048).context("generating the sandbox App key")?;
        let private_pem = key
            .to_pkcs1_pem(LineEnding::LF)
            .context("encoding the sandbox App key")?
            .to_string();
        let public_der = key
            .to_public_key()
            .to_pkcs1_der()
            .context("encoding the sandbox App public key")?
            .into_vec();
        Ok(Self {
            private_pem,
            public_der,
        })
    }

    /// The private key as GitHub hands it out: a PKCS#1 PEM (`BEGIN RSA PRIVATE KEY`).
    pub fn private_pem(&self) -> &str {
        &self.private_pem
    }

    /// The public key, PKCS#1 DER, for verifying JWTs.
    pub fn public_der(&self) -> &[u8] {
        &self.public_der
    }
}

impl fmt::Debug for AppKeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AppKeyPair([redacted])")
    }
}
