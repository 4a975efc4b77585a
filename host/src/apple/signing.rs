//! The CMS signature every profile carries (SPEC D3), made in pure Rust: ring signs, and the
//! RustCrypto `cms` types (already in the build for PKCS #12) encode the SignedData. OpenSSL
//! 3.0's `PKCS7_sign` cost about 200 µs a profile under load, most of it the library's
//! per-call algorithm look-ups and locks: a fifth of a profile's CPU (docs/apple-bench.md).
//!
//! Rules: a [`ProfileSigner`] is built when a PKI is loaded, and only for a P-256 signing key
//! (ring's) and certificates that the `der` types encode again byte for byte (strict DER); any
//! other PKI keeps its OpenSSL path (`pki`). Both paths make the same structure, the one
//! `PKCS7_sign` makes with `BINARY | NOSMIMECAP`: SignedData version 1 over `id-data` with the
//! content attached, SHA-256, the signed attributes content type, signing time and message
//! digest, the signing and CA certificates, and an ecdsa-with-SHA256 signature, so
//! `openssl cms -verify` accepts it against the tenant CA.

use cms::cert::x509::attr::Attribute;
use cms::cert::x509::der::asn1::{GeneralizedTime, OctetString, SetOfVec, UtcTime};
use cms::cert::x509::der::{Any, Decode, Encode, EncodeValue, Tagged};
use cms::cert::x509::spki::AlgorithmIdentifierOwned;
use cms::cert::x509::Certificate;
use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{
    CertificateSet, EncapsulatedContentInfo, SignedData, SignerIdentifier, SignerInfo, SignerInfos,
};
use const_oid::db::{rfc5911, rfc5912};
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_ASN1_SIGNING};
use sha2::{Digest, Sha256};

use crate::error::Error;

/// Signs profiles with one tenant's signing key.
pub struct ProfileSigner {
    key: EcdsaKeyPair,
    rng: SystemRandom,
    /// The signing certificate's issuer and serial number: how the signature names it.
    sid: IssuerAndSerialNumber,
    /// The signing and CA certificates, sent with every signature.
    certificates: CertificateSet,
}

fn failed(what: &str, e: impl std::fmt::Display) -> Error {
    Error::Internal(format!("profile signature: {what}: {e}"))
}

/// A certificate as the `der` types read it, if they write it back unchanged.
fn strict_der(der: &[u8], what: &str) -> Result<Certificate, String> {
    let cert = Certificate::from_der(der).map_err(|e| format!("{what}: {e}"))?;
    match cert.to_der() {
        Ok(again) if again == der => Ok(cert),
        _ => Err(format!("{what} is not strict DER")),
    }
}

/// The signing-time attribute's value: UTCTime through 2049, GeneralizedTime from 2050 on
/// (RFC 5652, 11.3).
fn signing_time(since_epoch: std::time::Duration) -> Result<Any, Error> {
    match UtcTime::from_unix_duration(since_epoch) {
        Ok(utc) => encoded("signing time", &utc),
        Err(_) => encoded(
            "signing time",
            &GeneralizedTime::from_unix_duration(since_epoch)
                .map_err(|e| failed("signing time", e))?,
        ),
    }
}

/// `value` encoded, as an ASN.1 value of any type.
fn encoded<T: Tagged + EncodeValue>(what: &str, value: &T) -> Result<Any, Error> {
    Any::encode_from(value).map_err(|e| failed(what, e))
}

fn algorithm(oid: const_oid::ObjectIdentifier) -> AlgorithmIdentifierOwned {
    // Parameters absent for both SHA-256 (RFC 5754) and ecdsa-with-SHA256 (RFC 5758).
    AlgorithmIdentifierOwned {
        oid,
        parameters: None,
    }
}

impl ProfileSigner {
    /// The pure-Rust signer of this PKI, or why it cannot have one (its key type or
    /// certificates).
    pub fn new(
        signer_cert_der: &[u8],
        signer_key_pkcs8: &[u8],
        ca_cert_der: &[u8],
    ) -> Result<ProfileSigner, String> {
        let rng = SystemRandom::new();
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, signer_key_pkcs8, &rng)
            .map_err(|e| format!("signing key (P-256 only): {e}"))?;
        let signer = strict_der(signer_cert_der, "signing certificate")?;
        let ca = strict_der(ca_cert_der, "CA certificate")?;
        let sid = IssuerAndSerialNumber {
            issuer: signer.tbs_certificate().issuer().clone(),
            serial_number: signer.tbs_certificate().serial_number().clone(),
        };
        let certificates = SetOfVec::try_from(vec![
            CertificateChoices::Certificate(signer),
            CertificateChoices::Certificate(ca),
        ])
        .map(CertificateSet)
        .map_err(|e| format!("certificates: {e}"))?;
        Ok(ProfileSigner {
            key,
            rng,
            sid,
            certificates,
        })
    }

    /// CMS SignedData (DER) over `content`, which it carries.
    pub fn sign(&self, content: &[u8]) -> Result<Vec<u8>, Error> {
        let attribute = |oid, value: Any| -> Result<Attribute, Error> {
            Ok(Attribute {
                oid,
                values: SetOfVec::try_from(vec![value]).map_err(|e| failed("attribute", e))?,
            })
        };
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_err(|e| failed("clock", e))?;
        let digest = Sha256::digest(content);
        let signed_attrs = SetOfVec::try_from(vec![
            attribute(
                rfc5911::ID_CONTENT_TYPE,
                encoded("content type", &rfc5911::ID_DATA)?,
            )?,
            attribute(rfc5911::ID_SIGNING_TIME, signing_time(now)?)?,
            attribute(
                rfc5911::ID_MESSAGE_DIGEST,
                encoded(
                    "message digest",
                    &OctetString::new(digest.as_slice()).map_err(|e| failed("digest", e))?,
                )?,
            )?,
        ])
        .map_err(|e| failed("signed attributes", e))?;
        // The signature covers the signed attributes' DER as a SET OF (RFC 5652, 5.4).
        let signature = self
            .key
            .sign(
                &self.rng,
                &signed_attrs
                    .to_der()
                    .map_err(|e| failed("signed attributes", e))?,
            )
            .map_err(|e| failed("ECDSA", e))?;
        let signer_info = SignerInfo {
            version: CmsVersion::V1,
            sid: SignerIdentifier::IssuerAndSerialNumber(self.sid.clone()),
            digest_alg: algorithm(rfc5912::ID_SHA_256),
            signed_attrs: Some(signed_attrs),
            signature_algorithm: algorithm(rfc5912::ECDSA_WITH_SHA_256),
            signature: OctetString::new(signature.as_ref()).map_err(|e| failed("signature", e))?,
            unsigned_attrs: None,
        };
        let signed_data = SignedData {
            version: CmsVersion::V1,
            digest_algorithms: SetOfVec::try_from(vec![algorithm(rfc5912::ID_SHA_256)])
                .map_err(|e| failed("digest algorithms", e))?,
            encap_content_info: EncapsulatedContentInfo {
                econtent_type: rfc5911::ID_DATA,
                econtent: Some(encoded(
                    "content",
                    &OctetString::new(content).map_err(|e| failed("content", e))?,
                )?),
            },
            certificates: Some(self.certificates.clone()),
            crls: None,
            signer_infos: SignerInfos(
                SetOfVec::try_from(vec![signer_info]).map_err(|e| failed("signer", e))?,
            ),
        };
        ContentInfo {
            content_type: rfc5911::ID_SIGNED_DATA,
            content: encoded("signed data", &signed_data)?,
        }
        .to_der()
        .map_err(|e| failed("encoding", e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use cms::cert::x509::der::Tag;

    #[test]
    fn signing_time_is_utc_through_2049_and_generalized_after() {
        let at = |unix: u64| signing_time(std::time::Duration::from_secs(unix)).unwrap();
        // 2049-12-31T23:59:59Z and 2050-01-01T00:00:00Z.
        assert_eq!(at(2_524_607_999).tag(), Tag::UtcTime);
        assert_eq!(at(2_524_608_000).tag(), Tag::GeneralizedTime);
        assert_eq!(at(2_524_608_000).value(), b"20500101000000Z");
    }
}
