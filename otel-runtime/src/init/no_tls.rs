//! The TLS interface of a build without the `tls` feature: certificate
//! files are refused, each with a problem that names the feature, and the
//! HTTP exporter's client speaks plain HTTP.

use super::env::{Problem, TlsFiles};

/// No certificates: this build cannot use them.
#[derive(Default)]
pub(crate) struct Tls;

impl Tls {
    /// Reports each certificate file that is set: none can be used.
    pub(crate) fn load(files: &TlsFiles, problems: &mut Vec<Problem>) -> Self {
        let set = [
            &files.certificate,
            &files.client_certificate,
            &files.client_key,
        ];
        for setting in set.into_iter().flatten() {
            problems.push(Problem {
                variable: setting.variable,
                value: setting.value.clone(),
                why: "otel-runtime was built without its `tls` feature; ignored".to_owned(),
            });
        }
        Tls
    }

    /// The HTTP exporter's client: hyper, plain HTTP only.
    #[cfg(feature = "otlp-http")]
    pub(crate) fn http_client(&self, timeout: std::time::Duration) -> Result<HttpClient, String> {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        Ok(HttpClient::new(connector, timeout, None))
    }
}

/// The HTTP exporter's client.
#[cfg(feature = "otlp-http")]
pub(crate) type HttpClient =
    opentelemetry_http::hyper::HyperClient<hyper_util::client::legacy::connect::HttpConnector>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::init::env::Setting;

    #[test]
    fn each_certificate_file_set_is_refused_by_its_variable() {
        let files = TlsFiles {
            certificate: Some(Setting {
                variable: "OTEL_EXPORTER_OTLP_CERTIFICATE",
                value: "/etc/ca.pem".to_owned(),
            }),
            ..TlsFiles::default()
        };
        let mut problems = Vec::new();
        Tls::load(&files, &mut problems);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].variable, "OTEL_EXPORTER_OTLP_CERTIFICATE");
        assert!(
            problems[0].why.contains("`tls` feature"),
            "{}",
            problems[0].why
        );
    }
}
