//! The device identity every downloaded profile carries (SPEC D3), made in pure Rust: a new
//! P-256 key, a client certificate issued by the tenant CA, and the two as PKCS #12. Made with
//! OpenSSL 3.0, the identity was the largest part of a profile's CPU, most of it in the
//! library's per-call algorithm look-ups and locks; ring (keys and signatures, through rcgen),
//! rcgen (the certificate) and p12-keystore (the PKCS #12) make the same identity in about two
//! thirds of the time (docs/apple-bench.md).
//!
//! Rules: an [`Issuing`] is built from a tenant CA's own DER when its PKI is loaded, and only if
//! it reproduces the CA's subject name byte for byte in the certificates it issues (rcgen keeps
//! one value per attribute type: a CA named with two OUs cannot be served here) and can use its
//! key; otherwise the PKI keeps its OpenSSL path (`pki`). Both paths make the same identities:
//! the same extensions, and PKCS #12 with 3DES and a SHA-1 MAC, one iteration each.

use rcgen::{
    CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SerialNumber, PKCS_ECDSA_P256_SHA256,
};
use sha2::{Digest, Sha256};

use crate::error::Error;
use crate::store::now_ms;

/// A device identity as a profile carries it, and what the enrolment remembers of it.
pub struct Identity {
    /// The key and certificate as PKCS #12 under the password given.
    pub p12: Vec<u8>,
    /// The certificate (DER).
    pub cert_der: Vec<u8>,
    /// The certificate's serial number, lowercase hex without leading zeros.
    pub serial_hex: String,
    /// SHA-256 (hex) of the identity's public key, the uncompressed EC point: how check-ins
    /// recognise the identity.
    pub fingerprint: String,
}

/// Issues device identities under one tenant CA.
pub struct Issuing {
    ca: Issuer<'static, KeyPair>,
}

fn failed(what: &str, e: impl std::fmt::Display) -> Error {
    Error::Internal(format!("{what}: {e}"))
}

/// Days a device identity is valid.
pub const IDENTITY_DAYS: i64 = 730;

impl Issuing {
    /// The CA's pure-Rust issuer, or why this CA cannot have one (its key type or name).
    pub fn new(ca_cert_der: &[u8], ca_key_pkcs8: &[u8]) -> Result<Issuing, String> {
        let ca_key = KeyPair::try_from(ca_key_pkcs8).map_err(|e| format!("CA key: {e}"))?;
        let issuing = Issuing {
            ca: Issuer::from_ca_cert_der(&ca_cert_der.into(), ca_key)
                .map_err(|e| format!("CA certificate: {e}"))?,
        };
        // The names rcgen writes must be the CA's own, or devices could not chain the identity
        // to the CA.
        let (_, probe, _) = issuing
            .certificate("probe", "probe")
            .map_err(|e| e.to_string())?;
        let issuer_of_probe = raw_name(probe.der(), |c| c.issuer().as_raw())?;
        let ca_subject = raw_name(ca_cert_der, |c| c.subject().as_raw())?;
        if issuer_of_probe != ca_subject {
            return Err("the CA's subject name has repeated or multi-valued attributes".into());
        }
        Ok(issuing)
    }

    /// A new identity for one enrolment: a P-256 key and a client certificate issued by the
    /// CA for `common_name` and `organization`, packed as PKCS #12 under `password`.
    pub fn issue_identity(
        &self,
        common_name: &str,
        organization: &str,
        password: &str,
    ) -> Result<Identity, Error> {
        let (key, cert, serial) = self.certificate(common_name, organization)?;
        let cert_der = cert.der().to_vec();
        // The fingerprint doubles as the PKCS #12 local key id that pairs key and certificate.
        let key_digest = Sha256::digest(key.public_key_raw());

        let mut store = p12_keystore::KeyStore::new();
        let chain = p12_keystore::PrivateKeyChain::new(
            key_digest.to_vec(),
            p12_keystore::PrivateKey::from_der(key.serialized_der())
                .map_err(|e| failed("PKCS #12 key", e))?,
            [p12_keystore::Certificate::from_der(&cert_der)
                .map_err(|e| failed("PKCS #12 certificate", e))?],
        );
        store.add_entry(
            common_name,
            p12_keystore::KeyStoreEntry::PrivateKeyChain(chain),
        );
        // The password is 256 random bits, sent inside the signed profile: key stretching
        // adds nothing, so each derivation runs once.
        let p12 = store
            .writer(password)
            .encryption_algorithm(p12_keystore::EncryptionAlgorithm::PbeWithShaAnd3KeyTripleDesCbc)
            .encryption_iterations(1)
            .mac_algorithm(p12_keystore::MacAlgorithm::HmacSha1)
            .mac_iterations(1)
            .write()
            .map_err(|e| failed("PKCS #12", e))?;
        Ok(Identity {
            p12,
            cert_der,
            serial_hex: hex::encode(serial),
            fingerprint: hex::encode(key_digest),
        })
    }

    /// A new P-256 key and its client certificate issued by the CA, with the certificate's
    /// serial number.
    fn certificate(
        &self,
        common_name: &str,
        organization: &str,
    ) -> Result<(KeyPair, rcgen::Certificate, [u8; 16]), Error> {
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)
            .map_err(|e| failed("identity key", e))?;
        let mut params = CertificateParams::default();
        let mut name = DistinguishedName::new();
        name.push(DnType::CommonName, common_name);
        name.push(DnType::OrganizationName, organization);
        params.distinguished_name = name;
        let serial = serial_bytes();
        params.serial_number = Some(SerialNumber::from_slice(&serial));
        // An hour of slack for devices whose clock is behind.
        let now = now_ms() / 1000;
        let at = |unix: i64| {
            time::OffsetDateTime::from_unix_timestamp(unix).map_err(|e| failed("validity", e))
        };
        params.not_before = at(now - 3600)?;
        params.not_after = at(now + IDENTITY_DAYS * 86_400)?;
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let cert = params
            .signed_by(&key, &self.ca)
            .map_err(|e| failed("identity certificate", e))?;
        Ok((key, cert, serial))
    }
}

/// 16 random bytes for a positive serial number with no leading zero byte (so its DER and hex
/// forms are these bytes as they are).
fn serial_bytes() -> [u8; 16] {
    let mut serial: [u8; 16] = rand::random();
    serial[0] = (serial[0] & 0x7f) | 0x40;
    serial
}

fn raw_name(
    cert_der: &[u8],
    name: impl for<'a> Fn(&'a x509_parser::certificate::X509Certificate<'a>) -> &'a [u8],
) -> Result<Vec<u8>, String> {
    let (_, cert) =
        x509_parser::parse_x509_certificate(cert_der).map_err(|e| format!("certificate: {e}"))?;
    Ok(name(&cert).to_vec())
}
