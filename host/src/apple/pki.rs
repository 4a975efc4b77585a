//! A tenant's Apple PKI (SPEC D3): its own certificate authority, which issues every device
//! identity of the tenant, and a profile-signing certificate issued by that CA. Both are made on
//! first need (ECDSA P-256, SHA-256), or installed by an operator (`corral tenant
//! install-apple-pki`). Private keys are sealed with the server key and never logged.
//!
//! Profiles are CMS (PKCS #7) SignedData over the profile's XML, with the signing certificate
//! and the CA in the certificate set, so that `openssl cms -verify -CAfile <tenant CA>` accepts
//! them: made in pure Rust (`signing`) for P-256 signing keys, by OpenSSL otherwise.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use openssl::asn1::{Asn1Integer, Asn1Time};
use openssl::bn::{BigNum, BigNumContext, MsbOption};
use openssl::ec::{EcGroup, EcKey, PointConversionForm};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkcs12::Pkcs12;
use openssl::pkcs7::{Pkcs7, Pkcs7Flags};
use openssl::pkey::{PKey, Private};
use openssl::stack::Stack;
use openssl::x509::extension::{
    BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectKeyIdentifier,
};
use openssl::x509::{X509Builder, X509NameBuilder, X509};

use sha2::{Digest, Sha256};

use super::issuing::{Identity, Issuing, IDENTITY_DAYS};
use super::signing::ProfileSigner;
use crate::error::Error;
use crate::secrets::SecretBox;
use crate::services::AsAdmin;
use crate::store::{now_ms, Scoped, Store};
use crate::tenants::TenantId;
use serde::Serialize;
use utoipa::ToSchema;

/// Parsed PKIs by tenant id, with the stored row's version they were parsed from.
type Cache = Mutex<HashMap<String, (String, Arc<TenantPki>)>>;

fn cache() -> &'static Cache {
    static CACHE: OnceLock<Cache> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

pub struct TenantPki {
    pub ca_cert: X509,
    ca_key: PKey<Private>,
    pub signer_cert: X509,
    signer_key: PKey<Private>,
    /// Device identities made in pure Rust, for every CA it can serve (all generated ones);
    /// `None` keeps this PKI's identities on OpenSSL.
    issuing: Option<Issuing>,
    /// Profile signatures made in pure Rust, for every P-256 signing key with strict-DER
    /// certificates (all generated ones); `None` keeps them on OpenSSL.
    signing: Option<ProfileSigner>,
}

fn crypto(e: openssl::error::ErrorStack) -> Error {
    Error::Internal(format!("certificate operation failed: {e}"))
}

fn new_key() -> Result<PKey<Private>, Error> {
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).map_err(crypto)?;
    PKey::from_ec_key(EcKey::generate(&group).map_err(crypto)?).map_err(crypto)
}

fn serial() -> Result<Asn1Integer, Error> {
    let mut bn = BigNum::new().map_err(crypto)?;
    bn.rand(127, MsbOption::MAYBE_ZERO, false).map_err(crypto)?;
    bn.to_asn1_integer().map_err(crypto)
}

/// The serial number of a certificate, as lowercase hex (how enrolments remember identities).
fn serial_hex(cert: &X509) -> Result<String, Error> {
    Ok(cert
        .serial_number()
        .to_bn()
        .map_err(crypto)?
        .to_hex_str()
        .map_err(crypto)?
        .to_ascii_lowercase())
}

struct Spec<'a> {
    common_name: &'a str,
    organization: &'a str,
    days: u32,
    ca: bool,
    client_auth: bool,
}

fn build(
    spec: Spec<'_>,
    key: &PKey<Private>,
    issuer: Option<(&X509, &PKey<Private>)>,
) -> Result<X509, Error> {
    let mut name = X509NameBuilder::new().map_err(crypto)?;
    name.append_entry_by_nid(Nid::COMMONNAME, spec.common_name)
        .map_err(crypto)?;
    name.append_entry_by_nid(Nid::ORGANIZATIONNAME, spec.organization)
        .map_err(crypto)?;
    let name = name.build();
    let mut b = X509Builder::new().map_err(crypto)?;
    b.set_version(2).map_err(crypto)?;
    let serial = serial()?;
    b.set_serial_number(&serial).map_err(crypto)?;
    b.set_subject_name(&name).map_err(crypto)?;
    match issuer {
        Some((cert, _)) => b.set_issuer_name(cert.subject_name()).map_err(crypto)?,
        None => b.set_issuer_name(&name).map_err(crypto)?,
    }
    b.set_pubkey(key).map_err(crypto)?;
    // An hour of slack for devices whose clock is behind.
    let start = Asn1Time::from_unix(now_ms() / 1000 - 3600).map_err(crypto)?;
    b.set_not_before(&start).map_err(crypto)?;
    let end = Asn1Time::days_from_now(spec.days).map_err(crypto)?;
    b.set_not_after(&end).map_err(crypto)?;
    if spec.ca {
        b.append_extension(
            BasicConstraints::new()
                .critical()
                .ca()
                .build()
                .map_err(crypto)?,
        )
        .map_err(crypto)?;
        b.append_extension(
            KeyUsage::new()
                .critical()
                .key_cert_sign()
                .crl_sign()
                .build()
                .map_err(crypto)?,
        )
        .map_err(crypto)?;
    } else {
        b.append_extension(BasicConstraints::new().critical().build().map_err(crypto)?)
            .map_err(crypto)?;
        b.append_extension(
            KeyUsage::new()
                .critical()
                .digital_signature()
                .build()
                .map_err(crypto)?,
        )
        .map_err(crypto)?;
    }
    if spec.client_auth {
        b.append_extension(
            ExtendedKeyUsage::new()
                .client_auth()
                .build()
                .map_err(crypto)?,
        )
        .map_err(crypto)?;
    }
    let ski = SubjectKeyIdentifier::new()
        .build(&b.x509v3_context(issuer.map(|(c, _)| c.as_ref()), None))
        .map_err(crypto)?;
    b.append_extension(ski).map_err(crypto)?;
    let signing_key = issuer.map(|(_, k)| k).unwrap_or(key);
    b.sign(signing_key, MessageDigest::sha256())
        .map_err(crypto)?;
    Ok(b.build())
}

/// SHA-256 (hex) of a certificate's EC public key as an uncompressed point (see
/// [`Identity::fingerprint`]).
fn fingerprint(cert: &X509) -> Result<String, Error> {
    let key = cert
        .public_key()
        .map_err(crypto)?
        .ec_key()
        .map_err(crypto)?;
    let mut ctx = BigNumContext::new().map_err(crypto)?;
    let point = key
        .public_key()
        .to_bytes(key.group(), PointConversionForm::UNCOMPRESSED, &mut ctx)
        .map_err(crypto)?;
    Ok(hex::encode(Sha256::digest(point)))
}

/// `key` and `cert` as PKCS #12 under `password`, with 3DES/SHA-1 encryption and MAC, which
/// every iOS and macOS version reads. The password is 256 random bits, sent inside the signed
/// profile: key stretching adds nothing, so each derivation runs once (the default 2,048
/// SHA-1 rounds per key, certificate and MAC were the largest cost of a profile).
fn pkcs12(alias: &str, key: &PKey<Private>, cert: &X509, password: &str) -> Result<Vec<u8>, Error> {
    Pkcs12::builder()
        .name(alias)
        .pkey(key)
        .cert(cert)
        .key_algorithm(Nid::PBE_WITHSHA1AND3_KEY_TRIPLEDES_CBC)
        .cert_algorithm(Nid::PBE_WITHSHA1AND3_KEY_TRIPLEDES_CBC)
        .mac_md(MessageDigest::sha1())
        .key_iter(1)
        .mac_iter(1)
        .build2(password)
        .map_err(crypto)?
        .to_der()
        .map_err(crypto)
}

fn purpose(scoped: &Scoped, what: &str) -> String {
    format!("apple-pki:{}:{what}", scoped.tenant().as_str())
}

impl TenantPki {
    /// A new CA and signing certificate for `organization`.
    pub fn generate(organization: &str) -> Result<TenantPki, Error> {
        let ca_key = new_key()?;
        let ca_cert = build(
            Spec {
                common_name: &format!("{organization} device CA (Corral)"),
                organization,
                days: 3650,
                ca: true,
                client_auth: false,
            },
            &ca_key,
            None,
        )?;
        let signer_key = new_key()?;
        let signer_cert = build(
            Spec {
                common_name: &format!("{organization} profile signing (Corral)"),
                organization,
                days: 3650,
                ca: false,
                client_auth: false,
            },
            &signer_key,
            Some((&ca_cert, &ca_key)),
        )?;
        TenantPki::assemble(ca_cert, ca_key, signer_cert, signer_key)
    }

    /// The PKI from its parts, with its pure-Rust issuer when it can have one.
    fn assemble(
        ca_cert: X509,
        ca_key: PKey<Private>,
        signer_cert: X509,
        signer_key: PKey<Private>,
    ) -> Result<TenantPki, Error> {
        let issuing = Issuing::new(
            &ca_cert.to_der().map_err(crypto)?,
            &ca_key.private_key_to_pkcs8().map_err(crypto)?,
        )
        .inspect_err(|reason| {
            tracing::info!(%reason, "this Apple PKI's identities are made by OpenSSL (slower)");
        })
        .ok();
        let signing = ProfileSigner::new(
            &signer_cert.to_der().map_err(crypto)?,
            &signer_key.private_key_to_pkcs8().map_err(crypto)?,
            &ca_cert.to_der().map_err(crypto)?,
        )
        .inspect_err(|reason| {
            tracing::info!(%reason, "this Apple PKI's profiles are signed by OpenSSL (slower)");
        })
        .ok();
        Ok(TenantPki {
            ca_cert,
            ca_key,
            signer_cert,
            signer_key,
            issuing,
            signing,
        })
    }

    /// The tenant's PKI, generated and stored on first need.
    pub async fn load_or_create(
        store: &Store,
        tenant: &TenantId,
        secrets: &SecretBox,
        organization: &str,
    ) -> Result<Arc<TenantPki>, Error> {
        if let Some(pki) = Self::load(&mut store.reader(tenant).await?, secrets).await? {
            return Ok(pki);
        }
        // Keys are made and certificates signed before the write turn is taken.
        let organization = organization.to_string();
        let generated = tokio::task::spawn_blocking(move || Self::generate(&organization))
            .await
            .map_err(|e| Error::Internal(format!("tenant PKI generation: {e}")))??;
        let mut scoped = store.scoped(tenant).await?;
        scoped.lock_tenant().await?;
        if let Some(pki) = Self::load(&mut scoped, secrets).await? {
            return Ok(pki); // another request made it meanwhile
        }
        generated.store(&mut scoped, secrets, "generated").await?;
        scoped.commit().await?;
        Ok(Arc::new(generated))
    }

    /// An operator's own PKI (PEM). Refused unless the signing certificate was issued by the
    /// CA and each key belongs to its certificate.
    pub fn from_pem(
        ca_cert: &[u8],
        ca_key: &[u8],
        signer_cert: &[u8],
        signer_key: &[u8],
    ) -> Result<TenantPki, Error> {
        let cert = |pem: &[u8], what: &str| {
            X509::from_pem(pem)
                .map_err(|e| Error::invalid(what, format!("not a PEM certificate: {e}")))
        };
        let key = |pem: &[u8], what: &str| {
            PKey::private_key_from_pem(pem).map_err(|e| {
                Error::invalid(what, format!("not an unencrypted PEM private key: {e}"))
            })
        };
        let pki = TenantPki::assemble(
            cert(ca_cert, "ca_cert")?,
            key(ca_key, "ca_key")?,
            cert(signer_cert, "signing_cert")?,
            key(signer_key, "signing_key")?,
        )?;
        let matches =
            |c: &X509, k: &PKey<Private>| c.public_key().map(|p| p.public_eq(k)).unwrap_or(false);
        if !matches(&pki.ca_cert, &pki.ca_key) {
            return Err(Error::invalid(
                "ca_key",
                "does not belong to the CA certificate",
            ));
        }
        if !matches(&pki.signer_cert, &pki.signer_key) {
            return Err(Error::invalid(
                "signing_key",
                "does not belong to the signing certificate",
            ));
        }
        if !pki.issued(&pki.signer_cert) {
            return Err(Error::invalid("signing_cert", "was not issued by the CA"));
        }
        Ok(pki)
    }

    /// Replaces the tenant's PKI with this one (the history records it, without keys).
    pub async fn install(
        &self,
        scoped: &mut Scoped,
        secrets: &SecretBox,
        actor: &crate::history::Actor,
    ) -> Result<(), Error> {
        scoped.lock_tenant().await?;
        self.store(scoped, secrets, "installed").await?;
        let tenant = scoped.tenant().as_str().to_string();
        let after = serde_json::json!({
            "ca_serial": serial_hex(&self.ca_cert)?,
            "signing_serial": serial_hex(&self.signer_cert)?,
            "origin": "installed",
        });
        crate::history::record(
            scoped,
            actor,
            crate::history::Change::new::<(), _>(
                "tenant",
                &tenant,
                "apple_pki_installed",
                None,
                Some(&after),
            ),
        )
        .await
    }

    /// The parsed PKI of `tenant` if this process holds the stored version `version` (the
    /// row's sealed signing key), without a query: for a hot path that read the version along
    /// with its other data.
    pub fn cached(tenant: &TenantId, version: &str) -> Option<Arc<TenantPki>> {
        let cache = cache().lock().expect("PKI cache");
        match cache.get(tenant.as_str()) {
            Some((cached_version, pki)) if cached_version == version => Some(pki.clone()),
            _ => None,
        }
    }

    /// The tenant's PKI, if it has one. Parsed keys are kept in a process-wide cache checked
    /// against the stored row on every call (one small query), so an install by another
    /// process is seen at once; parsing PEM keys costs milliseconds with OpenSSL 3.
    pub async fn load(
        scoped: &mut Scoped,
        secrets: &SecretBox,
    ) -> Result<Option<Arc<TenantPki>>, Error> {
        let tenant = scoped.tenant().as_str().to_string();
        // The sealed signing key changes (new nonce) whenever the row is written: it is the
        // row's version.
        let version: Option<String> =
            sqlx::query_scalar("SELECT signer_key_sealed FROM apple_pki WHERE tenant_id = $1")
                .bind(&tenant)
                .fetch_optional(scoped.conn())
                .await?;
        let Some(version) = version else {
            return Ok(None);
        };
        if let Some(pki) = Self::cached(scoped.tenant(), &version) {
            return Ok(Some(pki));
        }
        let row: Option<(String, String, String, String)> = sqlx::query_as(
            "SELECT ca_cert_pem, ca_key_sealed, signer_cert_pem, signer_key_sealed \
             FROM apple_pki WHERE tenant_id = $1",
        )
        .bind(&tenant)
        .fetch_optional(scoped.conn())
        .await?;
        let Some((ca_pem, ca_sealed, signer_pem, signer_sealed)) = row else {
            return Ok(None);
        };
        let ca_key = secrets.open(&purpose(scoped, "ca-key"), &ca_sealed)?;
        let signer_key = secrets.open(&purpose(scoped, "signer-key"), &signer_sealed)?;
        let pki = Arc::new(TenantPki::assemble(
            X509::from_pem(ca_pem.as_bytes()).map_err(crypto)?,
            PKey::private_key_from_pem(&ca_key).map_err(crypto)?,
            X509::from_pem(signer_pem.as_bytes()).map_err(crypto)?,
            PKey::private_key_from_pem(&signer_key).map_err(crypto)?,
        )?);
        cache()
            .lock()
            .expect("PKI cache")
            .insert(tenant, (signer_sealed, pki.clone()));
        Ok(Some(pki))
    }

    async fn store(
        &self,
        scoped: &mut Scoped,
        secrets: &SecretBox,
        origin: &str,
    ) -> Result<(), Error> {
        let pem = |c: &X509| -> Result<String, Error> {
            String::from_utf8(c.to_pem().map_err(crypto)?)
                .map_err(|e| Error::Internal(e.to_string()))
        };
        let ca_key = self.ca_key.private_key_to_pem_pkcs8().map_err(crypto)?;
        let signer_key = self.signer_key.private_key_to_pem_pkcs8().map_err(crypto)?;
        let tenant = scoped.tenant().as_str().to_string();
        let now = now_ms();
        sqlx::query(
            "INSERT INTO apple_pki (tenant_id, ca_cert_pem, ca_key_sealed, signer_cert_pem, \
             signer_key_sealed, origin, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7) \
             ON CONFLICT (tenant_id) DO UPDATE SET ca_cert_pem = $2, ca_key_sealed = $3, \
             signer_cert_pem = $4, signer_key_sealed = $5, origin = $6, updated_at = $7",
        )
        .bind(tenant)
        .bind(pem(&self.ca_cert)?)
        .bind(secrets.seal(&purpose(scoped, "ca-key"), &ca_key))
        .bind(pem(&self.signer_cert)?)
        .bind(secrets.seal(&purpose(scoped, "signer-key"), &signer_key))
        .bind(origin)
        .bind(now)
        .execute(scoped.conn())
        .await?;
        Ok(())
    }

    /// A device identity for one enrolment: a new key and a client certificate issued by the
    /// tenant CA, packed as PKCS #12 under `password`.
    pub fn issue_identity(
        &self,
        common_name: &str,
        organization: &str,
        password: &str,
    ) -> Result<Identity, Error> {
        if let Some(issuing) = &self.issuing {
            return issuing.issue_identity(common_name, organization, password);
        }
        let key = new_key()?;
        let cert = build(
            Spec {
                common_name,
                organization,
                days: IDENTITY_DAYS as u32,
                ca: false,
                client_auth: true,
            },
            &key,
            Some((&self.ca_cert, &self.ca_key)),
        )?;
        Ok(Identity {
            p12: pkcs12(common_name, &key, &cert, password)?,
            cert_der: cert.to_der().map_err(crypto)?,
            serial_hex: serial_hex(&cert)?,
            fingerprint: fingerprint(&cert)?,
        })
    }

    /// CMS SignedData (DER) over `content`, by the profile-signing certificate.
    pub fn sign(&self, content: &[u8]) -> Result<Vec<u8>, Error> {
        if let Some(signing) = &self.signing {
            return signing.sign(content);
        }
        let mut chain = Stack::new().map_err(crypto)?;
        chain.push(self.ca_cert.clone()).map_err(crypto)?;
        Pkcs7::sign(
            &self.signer_cert,
            &self.signer_key,
            &chain,
            content,
            // No S/MIME capabilities attribute: it is for mail clients, and costs time.
            Pkcs7Flags::BINARY | Pkcs7Flags::NOSMIMECAP,
        )
        .map_err(crypto)?
        .to_der()
        .map_err(crypto)
    }

    /// Whether device identities are made in pure Rust (see [`Issuing`]).
    #[cfg(test)]
    fn issues_in_rust(&self) -> bool {
        self.issuing.is_some()
    }

    /// Whether `cert` was issued by this tenant's CA (signature check).
    pub fn issued(&self, cert: &X509) -> bool {
        self.ca_cert
            .public_key()
            .and_then(|k| cert.verify(&k))
            .unwrap_or(false)
    }
}

/// The tenant's certificate authority and profile-signing certificate as administrators see
/// them (SPEC D3).
#[derive(Serialize, ToSchema)]
pub struct Certificates {
    /// The tenant CA (PEM): trust anchor of device identities and profile signatures.
    pub ca_certificate: String,
    /// The profile-signing certificate (PEM), issued by the CA.
    pub signing_certificate: String,
}

impl AsAdmin<'_> {
    /// The tenant's CA and profile-signing certificate, made on first request.
    pub async fn apple_certificates(&self) -> Result<Certificates, Error> {
        let store = self.services.store();
        let tenant = crate::tenants::current(&mut store.reader(self.tenant()).await?).await?;
        let secrets = self.services.secrets();
        let pki = TenantPki::load_or_create(store, self.tenant(), secrets, &tenant.name).await?;
        let pem = |cert: &X509| {
            cert.to_pem()
                .ok()
                .and_then(|p| String::from_utf8(p).ok())
                .ok_or_else(|| Error::Internal("certificate encoding failed".into()))
        };
        Ok(Certificates {
            ca_certificate: pem(&pki.ca_cert)?,
            signing_certificate: pem(&pki.signer_cert)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use openssl::x509::store::X509StoreBuilder;

    /// A PKI whose CA is named with two OUs, which the pure-Rust issuer cannot reproduce.
    fn pki_with_two_ous() -> TenantPki {
        let ca_key = new_key().unwrap();
        let mut name = X509NameBuilder::new().unwrap();
        for (nid, value) in [
            (Nid::COMMONNAME, "Acme CA"),
            (Nid::ORGANIZATIONALUNITNAME, "IT"),
            (Nid::ORGANIZATIONALUNITNAME, "Devices"),
        ] {
            name.append_entry_by_nid(nid, value).unwrap();
        }
        let name = name.build();
        let mut b = X509Builder::new().unwrap();
        b.set_version(2).unwrap();
        b.set_serial_number(&serial().unwrap()).unwrap();
        b.set_subject_name(&name).unwrap();
        b.set_issuer_name(&name).unwrap();
        b.set_pubkey(&ca_key).unwrap();
        b.set_not_before(&Asn1Time::days_from_now(0).unwrap())
            .unwrap();
        b.set_not_after(&Asn1Time::days_from_now(30).unwrap())
            .unwrap();
        b.append_extension(BasicConstraints::new().critical().ca().build().unwrap())
            .unwrap();
        b.sign(&ca_key, MessageDigest::sha256()).unwrap();
        let ca_cert = b.build();
        let signer_key = new_key().unwrap();
        let signer_cert = signing_cert(&signer_key, &ca_cert, &ca_key);
        TenantPki::assemble(ca_cert, ca_key, signer_cert, signer_key).unwrap()
    }

    /// A 30-day profile-signing certificate for `key`, issued by the CA.
    fn signing_cert(key: &PKey<Private>, ca_cert: &X509, ca_key: &PKey<Private>) -> X509 {
        let spec = Spec {
            common_name: "Acme signing",
            organization: "Acme",
            days: 30,
            ca: false,
            client_auth: false,
        };
        build(spec, key, Some((ca_cert, ca_key))).unwrap()
    }

    /// The content of a profile signature, if OpenSSL verifies it against `ca` alone.
    fn verified(signed: &[u8], ca: &X509) -> Result<Vec<u8>, openssl::error::ErrorStack> {
        let mut store = X509StoreBuilder::new().unwrap();
        store.add_cert(ca.clone()).unwrap();
        let mut content = Vec::new();
        Pkcs7::from_der(signed)?.verify(
            &Stack::new().unwrap(),
            &store.build(),
            None,
            Some(&mut content),
            Pkcs7Flags::BINARY,
        )?;
        Ok(content)
    }

    /// The extensions of a certificate: (OID, critical), sorted.
    fn extensions(der: &[u8]) -> Vec<(String, bool)> {
        let (_, cert) = x509_parser::parse_x509_certificate(der).unwrap();
        let mut found: Vec<_> = cert
            .extensions()
            .iter()
            .map(|e| (e.oid.to_id_string(), e.critical))
            .collect();
        found.sort();
        found
    }

    /// What a device and Apple's profile installer rely on, whichever path made it: the
    /// identity chains to the tenant's CA (and no other), its PKCS #12 opens with the password
    /// and holds that certificate with its key, the serial and fingerprint are the
    /// certificate's, and the profile signature verifies against the CA.
    fn check_identities_and_signatures(pki: &TenantPki) -> Vec<(String, bool)> {
        let other = TenantPki::generate("Globex").unwrap();
        let identity = pki.issue_identity("enrolment-1", "Acme", "pw").unwrap();
        let cert = X509::from_der(&identity.cert_der).unwrap();
        assert!(pki.issued(&cert) && pki.issued(&pki.signer_cert));
        assert!(!other.issued(&cert));
        assert_eq!(
            cert.issuer_name().to_der().unwrap(),
            pki.ca_cert.subject_name().to_der().unwrap()
        );
        let parsed = Pkcs12::from_der(&identity.p12)
            .unwrap()
            .parse2("pw")
            .unwrap();
        let (p12_cert, p12_key) = (parsed.cert.unwrap(), parsed.pkey.unwrap());
        assert_eq!(p12_cert.to_der().unwrap(), identity.cert_der);
        assert!(p12_cert.public_key().unwrap().public_eq(&p12_key));
        assert_eq!(identity.serial_hex, serial_hex(&cert).unwrap());
        assert_eq!(identity.fingerprint, fingerprint(&cert).unwrap());
        let days_left = Asn1Time::days_from_now(0)
            .unwrap()
            .diff(cert.not_after())
            .unwrap()
            .days;
        assert!((729..=730).contains(&days_left), "{days_left}");

        let signed = pki.sign(b"<plist/>").unwrap();
        assert_eq!(verified(&signed, &pki.ca_cert).unwrap(), b"<plist/>");
        assert!(verified(&signed, &other.ca_cert).is_err());
        extensions(&identity.cert_der)
    }

    /// Generated PKIs use the pure-Rust path; a CA name it cannot reproduce keeps OpenSSL; both
    /// make the same identities (the same extensions, equally critical) and valid signatures.
    #[test]
    fn identities_chain_to_the_tenant_ca_and_no_other() {
        let rust = TenantPki::generate("Acme").unwrap();
        assert!(rust.issues_in_rust() && rust.signing.is_some());
        let mut openssl = pki_with_two_ous();
        assert!(!openssl.issues_in_rust());
        openssl.signing = None;
        let (made_in_rust, made_by_openssl) = (
            check_identities_and_signatures(&rust),
            check_identities_and_signatures(&openssl),
        );
        assert_eq!(made_in_rust, made_by_openssl);
        assert_eq!(
            made_in_rust,
            [
                ("2.5.29.14".to_string(), false), // subject key identifier
                ("2.5.29.15".to_string(), true),  // key usage: digital signature
                ("2.5.29.19".to_string(), true),  // basic constraints: not a CA
                ("2.5.29.37".to_string(), false), // extended key usage: client auth
            ]
        );
    }

    /// What a profile signature is made of, as the `cms` types read it: every version,
    /// algorithm and attribute type, who signed, the certificates sent, and the content.
    fn structure(signed: &[u8]) -> Vec<String> {
        use cms::cert::x509::der::{Decode, Encode};
        let info = cms::content_info::ContentInfo::from_der(signed).unwrap();
        let data: cms::signed_data::SignedData = info.content.decode_as().unwrap();
        let mut parts = vec![
            format!("content type {}", info.content_type),
            format!("version {:?}", data.version),
            format!("encapsulated {}", data.encap_content_info.econtent_type),
            format!(
                "content {:?}",
                data.encap_content_info.econtent.map(|c| c.value().to_vec())
            ),
            format!("crls {}", data.crls.is_some()),
        ];
        for digest in data.digest_algorithms.iter() {
            parts.push(format!("digest algorithm {}", digest.oid));
        }
        let mut certs: Vec<_> = (data.certificates.unwrap().0.iter())
            .map(|c| hex::encode(c.to_der().unwrap()))
            .collect();
        certs.sort();
        parts.extend(certs);
        for signer in data.signer_infos.0.iter() {
            parts.push(format!("signer version {:?}", signer.version));
            parts.push(format!("signer {:?}", signer.sid));
            parts.push(format!("signer digest {}", signer.digest_alg.oid));
            parts.push(format!("signed with {}", signer.signature_algorithm.oid));
            parts.push(format!("unsigned {}", signer.unsigned_attrs.is_some()));
            for attr in signer.signed_attrs.as_ref().unwrap().iter() {
                parts.push(format!("signed attribute {}", attr.oid));
            }
        }
        parts
    }

    /// The pure-Rust signature is the one OpenSSL makes (the same structure, certificates and
    /// signed attribute types), and OpenSSL verifies it against the CA; an operator's PKI
    /// that ring cannot sign with (RSA) keeps OpenSSL's signature.
    #[test]
    fn profile_signatures_are_openssls_either_way() {
        let mut pki = TenantPki::generate("Acme").unwrap();
        let content = b"<plist version=\"1.0\"><dict/></plist>";
        let in_rust = pki.sign(content).unwrap();
        pki.signing = None;
        let by_openssl = pki.sign(content).unwrap();
        assert_ne!(in_rust, by_openssl);
        assert_eq!(structure(&in_rust), structure(&by_openssl));

        let rsa = PKey::from_rsa(openssl::rsa::Rsa::generate(2048).unwrap()).unwrap();
        let rsa_cert = signing_cert(&rsa, &pki.ca_cert, &pki.ca_key);
        let pki = TenantPki::assemble(pki.ca_cert, pki.ca_key, rsa_cert, rsa).unwrap();
        assert!(pki.signing.is_none());
        assert_eq!(
            verified(&pki.sign(content).unwrap(), &pki.ca_cert).unwrap(),
            content
        );
    }
}
