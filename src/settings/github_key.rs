//! The GitHub App private key, as app settings actually carry it.

use std::fmt;

use base64::Engine;
use jsonwebtoken::EncodingKey;

use super::secret::Secret;

/// A parsed RSA private key for signing GitHub App JWTs. `Debug` never shows it.
#[derive(Clone)]
pub struct AppKey(EncodingKey);

impl AppKey {
    /// Parses the key from the forms it takes in app settings: a PEM (PKCS#1 as GitHub issues it,
    /// or PKCS#8), a PEM whose newlines were flattened to literal `\n` (a common artefact of
    /// pasting into a single-line setting), or the PEM encoded in base64.
    ///
    /// The error says what is wrong without showing any part of the key.
    pub fn parse(secret: &Secret) -> Result<Self, String> {
        let raw = secret.expose().trim();
        let pem = if raw.contains("-----BEGIN") {
            if raw.contains('\n') {
                raw.to_owned()
            } else {
                raw.replace("\\n", "\n")
            }
        } else {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(raw.split_whitespace().collect::<String>())
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .filter(|text| text.contains("-----BEGIN"));
            match decoded {
                Some(pem) => pem,
                None => {
                    return Err(
                        "is not a PEM private key (expected `-----BEGIN RSA PRIVATE KEY-----` \
                         as downloaded from the App's settings, or that PEM in base64)"
                            .to_owned(),
                    );
                }
            }
        };
        EncodingKey::from_rsa_pem(pem.as_bytes())
            .map(AppKey)
            .map_err(|_| {
                "holds a PEM block that is not a valid RSA private key; download a new key from \
                 the GitHub App's settings"
                    .to_owned()
            })
    }

    /// The key, for signing.
    pub fn encoding_key(&self) -> &EncodingKey {
        &self.0
    }
}

impl fmt::Debug for AppKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AppKey([redacted])")
    }
}
