//! RSA key generation for a GitHub App that exists only locally: the sandbox's emulated App and
//! the tests' fakes. Production keys come from the App's settings page, never from here.

use rsa::PrivateKey;
use rsa::pkcs1::{EncodeRsaPrivateKey, EncodeRsaPublicKey, LineEnding};

/// A fresh key pair as (private key PEM in PKCS#1, the form GitHub issues; public key PEM).
pub fn generate_key_pair<R: rand::CryptoRng + ?Sized>(rng: &mut R) -> (String, String) {
    let private = PrivateKey::new(rng, 2048).expect("2048-bit RSA key generation succeeds");
    let private_pem = private
        .to_pkcs1_pem(LineEnding::LF)
        .expect("a generated key encodes as PEM")
        .to_string();
    let public_pem = private
        .to_public_key()
        .to_pkcs1_pem(LineEnding::LF)
        .expect("a generated public key encodes as PEM");
    (private_pem, public_pem)
}
