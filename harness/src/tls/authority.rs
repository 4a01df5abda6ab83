//! The run's own certificate authority: made at start, never written anywhere but where the
//! caller asks, it issues the certificates of the vendor-like endpoint and of the browsers'
//! proxy, so that nothing has to be trusted beyond the run.

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// A certificate authority that lives as long as the run.
pub struct Authority {
    issuer: Issuer<'static, KeyPair>,
    pem: String,
    /// The one key of every certificate issued: a browser can then be told to trust that key
    /// (Chromium's SPKI list) instead of ignoring certificate errors, which would also turn
    /// off its HTTP cache and so change what the cache scenarios see.
    leaf: KeyPair,
    /// The last serial number given: rcgen derives one from the key, which would give every
    /// certificate the same, and NSS (Firefox) refuses two certificates with one serial.
    serial: std::sync::atomic::AtomicU64,
    /// Server configurations already issued, by the names they cover.
    issued: Mutex<HashMap<Vec<String>, Arc<rustls::ServerConfig>>>,
}

impl Authority {
    /// A new authority; `label` goes into its common name, to tell runs apart.
    pub fn new(label: &str) -> Result<Self, String> {
        let fail = |e: rcgen::Error| format!("cannot make the run's certificate authority: {e}");
        let key = KeyPair::generate().map_err(fail)?;
        let mut params = CertificateParams::new(Vec::<String>::new()).map_err(fail)?;
        params
            .distinguished_name
            .push(DnType::CommonName, format!("corsprobe run CA ({label})"));
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let cert = params.self_signed(&key).map_err(fail)?;
        Ok(Self {
            issuer: Issuer::new(params, key),
            pem: cert.pem(),
            leaf: KeyPair::generate().map_err(fail)?,
            serial: std::sync::atomic::AtomicU64::new(1),
            issued: Mutex::default(),
        })
    }

    /// The authority's certificate, PEM: what a client given `ca_file` trusts.
    pub fn pem(&self) -> &str {
        &self.pem
    }

    /// Writes the authority's certificate to `path`, for a target's `ca_file`.
    pub fn write_pem(&self, path: &Path) -> Result<(), String> {
        std::fs::write(path, &self.pem).map_err(|e| format!("`{}`: {e}", path.display()))
    }

    /// The base64 SHA-256 of the issued certificates' public key (SubjectPublicKeyInfo), the
    /// form Chromium's `--ignore-certificate-errors-spki-list` takes.
    pub fn leaf_spki_sha256(&self) -> String {
        use base64::Engine as _;
        use sha2::Digest as _;
        base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(
            rcgen::PublicKeyData::subject_public_key_info(&self.leaf),
        ))
    }

    /// A server configuration with a certificate for `names` (DNS names, `*.` wildcards or IP
    /// addresses), issued once and then reused.
    pub fn server_config(&self, names: &[String]) -> Result<Arc<rustls::ServerConfig>, String> {
        let mut issued = self.issued.lock().expect("issued lock");
        if let Some(config) = issued.get(names) {
            return Ok(config.clone());
        }
        let config = self.issue(names, false)?;
        issued.insert(names.to_vec(), config.clone());
        Ok(config)
    }

    /// A server configuration whose certificate for `names` expired in 2001: what a client
    /// must refuse, and name as expired.
    pub fn expired_server_config(
        &self,
        names: &[String],
    ) -> Result<Arc<rustls::ServerConfig>, String> {
        self.issue(names, true)
    }

    fn issue(&self, names: &[String], expired: bool) -> Result<Arc<rustls::ServerConfig>, String> {
        crate::tls::install_provider();
        let fail = |e: rcgen::Error| format!("cannot issue a certificate for {names:?}: {e}");
        let mut params = CertificateParams::new(names.to_vec()).map_err(fail)?;
        if let Some(first) = names.first() {
            params
                .distinguished_name
                .push(DnType::CommonName, first.clone());
        }
        let serial = self
            .serial
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        params.serial_number = Some(rcgen::SerialNumber::from(serial + 1));
        if expired {
            params.not_before = rcgen::date_time_ymd(2000, 1, 1);
            params.not_after = rcgen::date_time_ymd(2001, 1, 1);
        }
        let cert = params.signed_by(&self.leaf, &self.issuer).map_err(fail)?;
        let chain: Vec<CertificateDer<'static>> = vec![cert.der().clone()];
        let private = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.leaf.serialize_der()));
        let mut config = rustls::ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(chain, private)
            .map_err(|e| format!("cannot use the certificate for {names:?}: {e}"))?;
        // HTTP/1.1 only: the pass-through and the stores speak nothing else.
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issues_one_configuration_per_set_of_names_and_reuses_it() {
        let ca = Authority::new("test").unwrap();
        assert!(ca.pem().starts_with("-----BEGIN CERTIFICATE-----"));
        let names = vec![
            "s3.vendor.localhost".to_string(),
            "*.s3.vendor.localhost".into(),
        ];
        let first = ca.server_config(&names).unwrap();
        let again = ca.server_config(&names).unwrap();
        assert!(Arc::ptr_eq(&first, &again));
        let other = ca.server_config(&["127.0.0.1".to_string()]).unwrap();
        assert!(!Arc::ptr_eq(&first, &other));
    }

    #[test]
    fn a_name_that_is_no_dns_name_is_an_error_naming_it() {
        let ca = Authority::new("test").unwrap();
        // A certificate's DNS name is ASCII (IA5String): rcgen refuses anything else.
        let e = ca
            .server_config(&["bücket.s3.vendor.localhost".to_string()])
            .unwrap_err();
        assert!(e.contains("bücket.s3.vendor.localhost"), "{e}");
    }
}
