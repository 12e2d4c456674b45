//! OTLP over TLS with the certificates the `OTEL_EXPORTER_OTLP_*CERTIFICATE`
//! and `…CLIENT_KEY` variables name, which `opentelemetry-otlp` does not
//! read itself: handed to tonic for gRPC, and to hyper's rustls connector
//! for HTTP.
//!
//! With none set, the collector's certificate is checked against the
//! system's root certificates. A file that cannot be used is reported and
//! left out; the connection then fails its TLS check rather than falling
//! back to anything less safe.

// Each transport uses part of it; a build with one leaves the other part.
#![cfg_attr(
    not(all(feature = "otlp-grpc", feature = "otlp-http")),
    allow(dead_code)
)]

use std::sync::Arc;

#[cfg(feature = "otlp-grpc")]
use opentelemetry_otlp::tonic_types::transport::{Certificate, ClientTlsConfig, Identity};
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use super::env::{Problem, Setting, TlsFiles};

/// The HTTP exporter's client.
#[cfg(feature = "otlp-http")]
pub(crate) type HttpClient = opentelemetry_http::hyper::HyperClient<
    hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>,
>;

/// The certificates to use, read and checked once, at start-up.
#[derive(Default)]
pub(crate) struct Tls {
    /// The certificate authority the collector's certificate must chain to;
    /// `None` for the system's roots.
    authority: Option<Pem<Vec<CertificateDer<'static>>>>,
    /// Our certificate chain and key, for mutual TLS.
    identity: Option<(
        Pem<Vec<CertificateDer<'static>>>,
        Pem<PrivateKeyDer<'static>>,
    )>,
}

/// A file's PEM text, for tonic, and what it holds, for rustls.
struct Pem<T> {
    text: Vec<u8>,
    parsed: T,
}

impl Tls {
    /// Reads the files; each one that cannot be used becomes a problem.
    pub(crate) fn load(files: &TlsFiles, problems: &mut Vec<Problem>) -> Self {
        let authority = files.certificate.as_ref().and_then(|setting| {
            report(
                setting,
                "using the system's root certificates",
                certificates(setting),
                problems,
            )
        });
        let identity = match (&files.client_certificate, &files.client_key) {
            (Some(certificate), Some(key)) => {
                let without = "connecting without a client certificate";
                let certificate = report(certificate, without, certificates(certificate), problems);
                let key = report(key, without, private_key(key), problems);
                certificate.zip(key)
            }
            (Some(alone), None) | (None, Some(alone)) => {
                let missing = if alone.variable.contains("KEY") {
                    "its client certificate"
                } else {
                    "its client key"
                };
                problems.push(Problem {
                    variable: alone.variable,
                    value: alone.value.clone(),
                    why: format!(
                        "{missing} is not set (OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE and \
                         OTEL_EXPORTER_OTLP_CLIENT_KEY go together); connecting without a \
                         client certificate"
                    ),
                });
                None
            }
            (None, None) => None,
        };
        Tls {
            authority,
            identity,
        }
    }

    /// The settings for tonic, for an `https` endpoint (tonic ignores them
    /// for `http`).
    #[cfg(feature = "otlp-grpc")]
    pub(crate) fn grpc(&self) -> ClientTlsConfig {
        let config = match &self.authority {
            Some(authority) => {
                ClientTlsConfig::new().ca_certificate(Certificate::from_pem(&authority.text))
            }
            None => ClientTlsConfig::new().with_native_roots(),
        };
        match &self.identity {
            Some((certificate, key)) => {
                config.identity(Identity::from_pem(&certificate.text, &key.text))
            }
            None => config,
        }
    }

    /// The HTTP exporter's client: hyper, speaking TLS with these
    /// certificates to an `https` endpoint.
    #[cfg(feature = "otlp-http")]
    pub(crate) fn http_client(&self, timeout: std::time::Duration) -> Result<HttpClient, String> {
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(self.rustls()?)
            .https_or_http()
            .enable_http1()
            .build();
        Ok(HttpClient::new(connector, timeout, None))
    }

    fn rustls(&self) -> Result<rustls::ClientConfig, String> {
        let mut roots = rustls::RootCertStore::empty();
        match &self.authority {
            Some(authority) => {
                for certificate in &authority.parsed {
                    roots
                        .add(certificate.clone())
                        .map_err(|error| format!("the certificate authority: {error}"))?;
                }
            }
            None => {
                roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
            }
        }
        // The provider a program installed, else ring; never installing
        // one ourselves, which would change the program's choice.
        let provider = rustls::crypto::CryptoProvider::get_default()
            .cloned()
            .unwrap_or_else(|| Arc::new(rustls::crypto::ring::default_provider()));
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|error| error.to_string())?
            .with_root_certificates(roots);
        match &self.identity {
            Some((certificate, key)) => config
                .with_client_auth_cert(certificate.parsed.clone(), key.parsed.clone_key())
                .map_err(|error| format!("the client certificate: {error}")),
            None => Ok(config.with_no_client_auth()),
        }
    }
}

/// `Ok` as `Some`; an error as a problem with `instead`, and `None`.
fn report<T>(
    setting: &Setting,
    instead: &str,
    loaded: Result<T, String>,
    problems: &mut Vec<Problem>,
) -> Option<T> {
    loaded
        .map_err(|why| {
            problems.push(Problem {
                variable: setting.variable,
                value: setting.value.clone(),
                why: format!("{why}; {instead}"),
            });
        })
        .ok()
}

fn read(setting: &Setting) -> Result<Vec<u8>, String> {
    std::fs::read(&setting.value).map_err(|error| format!("cannot read the file: {error}"))
}

/// One or more PEM certificates.
fn certificates(setting: &Setting) -> Result<Pem<Vec<CertificateDer<'static>>>, String> {
    let text = read(setting)?;
    let parsed = CertificateDer::pem_slice_iter(&text)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| format!("not a PEM certificate file: {error}"))?;
    if parsed.is_empty() {
        return Err("the file holds no PEM certificate".to_owned());
    }
    Ok(Pem { text, parsed })
}

/// A PEM private key (PKCS#8, PKCS#1 or SEC1).
fn private_key(setting: &Setting) -> Result<Pem<PrivateKeyDer<'static>>, String> {
    let text = read(setting)?;
    let parsed = PrivateKeyDer::from_pem_slice(&text)
        .map_err(|error| format!("not a PEM private key file: {error}"))?;
    Ok(Pem { text, parsed })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setting(variable: &'static str, value: &str) -> Option<Setting> {
        Some(Setting {
            variable,
            value: value.to_owned(),
        })
    }

    fn problems_of(files: &TlsFiles) -> Vec<String> {
        let mut problems = Vec::new();
        let _ = Tls::load(files, &mut problems);
        problems.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn files_that_cannot_be_used_are_reported_by_variable() {
        let not_pem = std::env::temp_dir().join(format!("otel-not-pem-{}", std::process::id()));
        std::fs::write(&not_pem, "hello").unwrap();
        let not_pem = not_pem.to_str().unwrap();
        let shown = problems_of(&TlsFiles {
            certificate: setting("OTEL_EXPORTER_OTLP_CERTIFICATE", "/no/such/ca.pem"),
            client_certificate: setting("OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", not_pem),
            client_key: setting("OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY", not_pem),
        });
        assert_eq!(shown.len(), 3, "{shown:#?}");
        assert!(
            shown[0].starts_with(
                "OTEL_EXPORTER_OTLP_CERTIFICATE=\"/no/such/ca.pem\": cannot read the file"
            ),
            "{}",
            shown[0]
        );
        assert!(shown[0].ends_with("; using the system's root certificates"));
        assert!(shown[1].starts_with("OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE="));
        assert!(shown[1].contains("the file holds no PEM certificate; connecting without"));
        assert!(shown[2].starts_with("OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY="));
        assert!(shown[2].contains("not a PEM private key file"));
    }

    #[test]
    fn a_client_certificate_needs_its_key() {
        let shown = problems_of(&TlsFiles {
            client_certificate: setting("OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", "/c.pem"),
            ..TlsFiles::default()
        });
        assert_eq!(shown.len(), 1);
        assert!(
            shown[0].contains("its client key is not set"),
            "{}",
            shown[0]
        );
    }

    #[test]
    #[cfg(all(feature = "otlp-grpc", feature = "otlp-http"))]
    fn with_nothing_set_the_system_roots_make_a_client() {
        let tls = Tls::load(&TlsFiles::default(), &mut Vec::new());
        tls.http_client(std::time::Duration::from_secs(1)).unwrap();
        let _ = tls.grpc();
    }
}
