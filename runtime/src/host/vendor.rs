//! `corral:plugin/vendor@0.2.0` and `@0.7.0`: vendor API calls with the tenant's credential (or,
//! in 0.7.0, with one of the credentials the plugin keeps for its named accounts), and the
//! plugin's tenant settings.
//!
//! Rules: the plugin never sees the credential (an account's, once handed over, is checked and
//! sealed by the host and never handed back). For an OAuth 2 service account the host signs
//! a JWT assertion (RS256) for the scopes the plugin declared at upload (`Grants::oauth_scopes`),
//! exchanges it at the credential's token endpoint (RFC 7523); for an OAuth 2 client (id and
//! secret) it asks the token endpoint with the client credentials grant (RFC 6749 section 4.4,
//! the secret in the form body, the declared scopes as `scope`). The access token is cached until
//! a minute before it expires, or until the API answers 401 (revoked early). The token request and the API request both go through
//! `send_checked`, so the allow-list, the address policy and the size limits apply to both. A
//! header `Authorization` the plugin set is replaced, never forwarded.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use sha2::{Digest, Sha256};

use crate::api::FieldError;
use crate::api::{HttpMethod, Property};
use crate::backend::VendorCredential;
use crate::state::HostState;
use crate::wit::since_v0_1_0::corral::plugin::http::{HttpError, Request, Response};
use crate::wit::since_v0_2_0::corral::plugin0_2_0::vendor::Host;
use crate::wit::since_v0_7_0::corral::plugin0_7_0::vendor as v0_7;

/// Lifetime asked for in an assertion (the most Google accepts).
const ASSERTION_LIFETIME: Duration = Duration::from_secs(3600);
/// A cached token is renewed this long before it expires.
const RENEW_BEFORE: Duration = Duration::from_secs(60);
/// The largest credential a plugin may hand over (a service account's key file is ~2.4 KB).
const MAX_CREDENTIAL_BYTES: usize = 16 * 1024;
/// Tokens kept at most (the cache is emptied when full; tokens are cheap to renew).
const MAX_TOKENS: usize = 10_000;

/// Access tokens by (tenant, plugin, credential, scopes), shared by every installation.
#[derive(Default)]
pub(crate) struct TokenCache(Mutex<HashMap<[u8; 32], (String, Instant)>>);

impl TokenCache {
    fn forget(&self, key: &[u8; 32]) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).remove(key);
    }

    fn get(&self, key: &[u8; 32]) -> Option<String> {
        let map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.get(key)
            .filter(|(_, renew_at)| Instant::now() < *renew_at)
            .map(|(token, _)| token.clone())
    }

    fn put(&self, key: [u8; 32], token: String, renew_at: Instant) {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_TOKENS {
            map.clear();
        }
        map.insert(key, (token, renew_at));
    }
}

#[derive(serde::Serialize)]
struct Claims<'a> {
    iss: &'a str,
    scope: &'a str,
    aud: &'a str,
    iat: u64,
    exp: u64,
}

#[derive(serde::Deserialize)]
struct TokenAnswer {
    access_token: String,
    expires_in: Option<u64>,
}

#[derive(serde::Deserialize, Default)]
struct TokenRefusal {
    #[serde(default)]
    error: String,
    #[serde(default)]
    error_description: String,
}

fn denied(message: impl Into<String>) -> HttpError {
    HttpError::Denied(message.into())
}

impl HostState {
    /// The access token for this tenant's credential (or, given `account`, that account's) and
    /// the plugin's scopes, with its cache key.
    async fn access_token(
        &mut self,
        account: Option<&str>,
    ) -> Result<(String, [u8; 32]), HttpError> {
        let ctx = self.ctx.clone();
        let credential = match account {
            None => ctx.services.vendor.credential(&ctx.scope).await,
            Some(account) => {
                ctx.services
                    .vendor
                    .account_credential(&ctx.scope, account)
                    .await
            }
        }
        .map_err(|e| HttpError::Transport(e.to_string()))?
        .ok_or_else(|| match account {
            None => denied("no vendor credential is set for this plugin in this tenant"),
            Some(account) => denied(format!("account {account:?} has no credential")),
        })?;
        let scopes = ctx.grants.oauth_scopes.join(" ");
        let (who, secret, token_uri) = match &credential {
            VendorCredential::ServiceAccount {
                client_email,
                private_key_pem,
                token_uri,
            } => (client_email, private_key_pem, token_uri),
            VendorCredential::ClientCredentials {
                client_id,
                client_secret,
                token_uri,
            } => (client_id, client_secret, token_uri),
        };
        let key: [u8; 32] = Sha256::new()
            .chain_update(ctx.scope.tenant_id.as_bytes())
            .chain_update([0])
            .chain_update(ctx.scope.plugin_id.as_bytes())
            .chain_update([0])
            .chain_update(account.unwrap_or("").as_bytes())
            .chain_update([0])
            .chain_update(who.as_bytes())
            .chain_update([0])
            .chain_update(secret.as_bytes())
            .chain_update([0])
            .chain_update(token_uri.as_bytes())
            .chain_update([0])
            .chain_update(scopes.as_bytes())
            .finalize()
            .into();
        if let Some(token) = ctx.tokens.get(&key) {
            return Ok((token, key));
        }
        let form = match &credential {
            VendorCredential::ServiceAccount { .. } => {
                let now = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .unwrap_or_default()
                    .as_secs();
                let claims = Claims {
                    iss: who,
                    scope: &scopes,
                    aud: token_uri,
                    iat: now,
                    exp: now + ASSERTION_LIFETIME.as_secs(),
                };
                let signing_key = EncodingKey::from_rsa_pem(secret.as_bytes())
                    .map_err(|_| denied("the credential's private key is not an RSA key in PEM"))?;
                let assertion =
                    jsonwebtoken::encode(&Header::new(Algorithm::RS256), &claims, &signing_key)
                        .map_err(|e| {
                            denied(format!("cannot sign the credential's assertion: {e}"))
                        })?;
                url::form_urlencoded::Serializer::new(String::new())
                    .append_pair("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer")
                    .append_pair("assertion", &assertion)
                    .finish()
            }
            VendorCredential::ClientCredentials { .. } => {
                let mut form = url::form_urlencoded::Serializer::new(String::new());
                form.append_pair("grant_type", "client_credentials")
                    .append_pair("client_id", who)
                    .append_pair("client_secret", secret);
                if !scopes.is_empty() {
                    form.append_pair("scope", &scopes);
                }
                form.finish()
            }
        };
        let asked = Instant::now();
        let answer = self
            .send_checked(Request {
                method: HttpMethod::Post,
                url: token_uri.clone(),
                headers: vec![Property {
                    name: "content-type".into(),
                    value: "application/x-www-form-urlencoded".into(),
                }],
                body: Some(form.into_bytes()),
            })
            .await?;
        if answer.status != 200 {
            let refusal: TokenRefusal = serde_json::from_slice(&answer.body).unwrap_or_default();
            return Err(denied(format!(
                "the token endpoint refused the credential (status {}{}{})",
                answer.status,
                if refusal.error.is_empty() { "" } else { ": " },
                [refusal.error, refusal.error_description]
                    .iter()
                    .filter(|s| !s.is_empty())
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        let token: TokenAnswer = serde_json::from_slice(&answer.body).map_err(|e| {
            HttpError::Transport(format!("the token endpoint's answer is not a token: {e}"))
        })?;
        let lifetime = Duration::from_secs(token.expires_in.unwrap_or(3600));
        ctx.tokens.put(
            key,
            token.access_token.clone(),
            asked + lifetime.saturating_sub(RENEW_BEFORE),
        );
        Ok((token.access_token, key))
    }
}

impl Host for HostState {
    async fn setting(&mut self, name: String) -> Option<String> {
        match self
            .ctx
            .services
            .vendor
            .setting(&self.ctx.scope, &name)
            .await
        {
            Ok(value) => value,
            Err(e) => {
                tracing::warn!(tenant = %self.ctx.scope.tenant_id, plugin = %self.ctx.plugin, error = %e, "plugin setting unavailable");
                None
            }
        }
    }

    async fn send(&mut self, request: Request) -> Result<Response, HttpError> {
        self.send_with(None, request).await
    }
}

impl HostState {
    /// Sends `request` with the tenant's credential (or `account`'s) added.
    async fn send_with(
        &mut self,
        account: Option<&str>,
        mut request: Request,
    ) -> Result<Response, HttpError> {
        let (token, key) = self.access_token(account).await?;
        request
            .headers
            .retain(|h| !h.name.eq_ignore_ascii_case("authorization"));
        request.headers.push(Property {
            name: "authorization".into(),
            value: format!("Bearer {token}"),
        });
        let response = self.send_checked(request).await?;
        if response.status == 401 {
            // Revoked or expired early: the next call gets a new token.
            self.ctx.tokens.forget(&key);
        }
        Ok(response)
    }
}

/// An account's name: 1 to 64 of `a-z`, `0-9`, `-`.
fn account_name(account: &str) -> Result<(), String> {
    if account.is_empty()
        || account.len() > 64
        || !account
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(format!(
            "an account's name is 1 to 64 of a-z, 0-9 and - ({account:?} given)"
        ));
    }
    Ok(())
}

impl v0_7::Host for HostState {
    async fn setting(&mut self, name: String) -> Option<String> {
        Host::setting(self, name).await
    }

    async fn send(&mut self, request: Request) -> Result<Response, HttpError> {
        self.send_with(None, request).await
    }

    async fn keep_credential(
        &mut self,
        account: String,
        credential: String,
    ) -> Result<(), Vec<FieldError>> {
        let problem = |path: &str, message: String| {
            vec![FieldError {
                path: path.into(),
                code: "invalid".into(),
                message,
            }]
        };
        account_name(&account).map_err(|m| problem("", m))?;
        if credential.len() > MAX_CREDENTIAL_BYTES {
            return Err(problem(
                "",
                format!("a credential is at most {MAX_CREDENTIAL_BYTES} bytes"),
            ));
        }
        let ctx = self.ctx.clone();
        match ctx
            .services
            .vendor
            .keep_account_credential(&ctx.scope, &account, &credential)
            .await
        {
            Ok(kept) => kept,
            Err(e) => Err(problem(
                "",
                format!("the credential could not be kept: {e}"),
            )),
        }
    }

    async fn forget_credential(&mut self, account: String) {
        if account_name(&account).is_err() {
            return;
        }
        let ctx = self.ctx.clone();
        if let Err(e) = ctx
            .services
            .vendor
            .forget_account_credential(&ctx.scope, &account)
            .await
        {
            tracing::warn!(tenant = %ctx.scope.tenant_id, plugin = %ctx.plugin, error = %e, "plugin account credential not forgotten");
        }
    }

    async fn send_as(&mut self, account: String, request: Request) -> Result<Response, HttpError> {
        account_name(&account).map_err(denied)?;
        self.send_with(Some(&account), request).await
    }
}
