//! The App Service / Functions managed identity endpoint (`IDENTITY_ENDPOINT`), API version
//! 2019-08-01: a GET with the `X-IDENTITY-HEADER` secret returns an ARM token whose
//! `expires_on` is epoch seconds as a string.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use rand::RngExt;
use rand::distr::Alphanumeric;
use serde_json::json;

use super::query_value;
use crate::sandbox::emulator::Shared;
use crate::sandbox::emulator::calls::CallKind;

/// Where the emulator serves the identity endpoint.
pub const PATH: &str = "/msi/token";

/// Resources a token can be asked for (ARM, with or without the trailing slash).
const RESOURCES: &[&str] = &[
    "https://management.azure.com",
    "https://management.azure.com/",
];

/// `GET /msi/token?api-version=2019-08-01&resource=https://management.azure.com`.
pub async fn token(State(shared): State<Shared>, uri: Uri, headers: HeaderMap) -> Response {
    let mut guard = crate::sandbox::emulator::lock(&shared);
    let state = &mut *guard;
    let response = answer(state, &uri, &headers);
    state
        .calls
        .record(CallKind::ManagedIdentityToken, response.status().as_u16());
    response
}

fn answer(state: &mut crate::sandbox::emulator::State, uri: &Uri, headers: &HeaderMap) -> Response {
    let refuse = |status: StatusCode, message: &str| {
        (
            status,
            axum::Json(json!({"statusCode": status.as_u16(), "message": message})),
        )
            .into_response()
    };
    let secret = headers
        .get("x-identity-header")
        .and_then(|v| v.to_str().ok());
    if secret != Some(state.azure.identity_header.as_str()) {
        return refuse(
            StatusCode::UNAUTHORIZED,
            "The X-IDENTITY-HEADER header is missing or wrong.",
        );
    }
    if query_value(uri, "api-version").as_deref() != Some("2019-08-01") {
        return refuse(StatusCode::BAD_REQUEST, "api-version must be 2019-08-01.");
    }
    let Some(resource) = query_value(uri, "resource").filter(|r| RESOURCES.contains(&r.as_str()))
    else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "resource must be https://management.azure.com.",
        );
    };
    if query_value(uri, "client_id").is_some() || query_value(uri, "object_id").is_some() {
        return refuse(
            StatusCode::BAD_REQUEST,
            "No user-assigned identity with that id is assigned to this app.",
        );
    }

    let token: String = rand::rng()
        .sample_iter(Alphanumeric)
        .take(64)
        .map(char::from)
        .collect();
    let expires_on = state.world.now() + state.azure.token_lifetime;
    state.azure.tokens.insert(token.clone(), expires_on);
    axum::Json(json!({
        "access_token": token,
        "expires_on": expires_on.timestamp().to_string(),
        "resource": resource,
        "token_type": "Bearer",
        "client_id": "00000000-5a4d-b0c5-0000-000000000001",
    }))
    .into_response()
}
