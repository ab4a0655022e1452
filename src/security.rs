//! Who may call us and how often: per-gateway caller authentication (shared secret, IP
//! allowlist) and a per-phone rate limit. All traffic arrives from a few aggregator IPs, so
//! limits are keyed on the caller's phone number, never on the IP.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

use crate::config::GatewaySettings;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use ipnet::IpNet;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("forbidden: missing or wrong gateway key")]
    BadKey,
    #[error("forbidden: missing or wrong admin key")]
    BadAdminKey,
    #[error("forbidden: caller address not allowed")]
    AddressNotAllowed,
}

/// A gateway's rules, parsed once.
#[derive(Debug, Clone, Default)]
pub struct Guard {
    secret: Option<Vec<u8>>,
    networks: Vec<IpNet>,
}

/// Compares without leaking through timing how much of the secret matched.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Whether `presented` opens the operators' endpoints: only the configured admin key does;
/// with none configured, nothing does.
pub fn admin_allowed(admin_key: Option<&str>, presented: Option<&str>) -> bool {
    match (admin_key.filter(|k| !k.is_empty()), presented) {
        (Some(key), Some(presented)) => constant_time_eq(key.as_bytes(), presented.as_bytes()),
        _ => false,
    }
}

impl Guard {
    pub fn new(auth: &GatewaySettings) -> Result<Guard, String> {
        let networks = auth
            .allow_ips
            .iter()
            .map(|entry| {
                entry
                    .parse::<IpNet>()
                    .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| format!("allow_ips: '{entry}' is not an IP address or CIDR"))
            })
            .collect::<Result<_, _>>()?;
        Ok(Guard {
            secret: auth
                .secret
                .as_ref()
                .filter(|s| !s.is_empty())
                .map(|s| s.as_bytes().to_vec()),
            networks,
        })
    }

    /// Checks one request: the key it presented (query or header) and where it came from.
    pub fn admit(&self, presented_key: Option<&str>, peer: Option<IpAddr>) -> Result<(), Refusal> {
        if !self.networks.is_empty() {
            let allowed = peer.is_some_and(|ip| {
                let ip = match ip {
                    IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
                    v4 => v4,
                };
                self.networks.iter().any(|n| n.contains(&ip))
            });
            if !allowed {
                return Err(Refusal::AddressNotAllowed);
            }
        }
        if let Some(secret) = &self.secret {
            let presented = presented_key.unwrap_or_default().as_bytes();
            if !constant_time_eq(presented, secret) {
                return Err(Refusal::BadKey);
            }
        }
        Ok(())
    }
}

/// Hops allowed per phone number per minute (a person types far slower).
pub struct PhoneLimiter {
    limiter: Option<DefaultKeyedRateLimiter<String>>,
}

impl PhoneLimiter {
    /// `per_minute = 0` disables the limit.
    pub fn new(per_minute: u32) -> Arc<PhoneLimiter> {
        let limiter = NonZeroU32::new(per_minute).map(|n| RateLimiter::keyed(Quota::per_minute(n)));
        Arc::new(PhoneLimiter { limiter })
    }

    pub fn allow(&self, phone: &str) -> bool {
        match &self.limiter {
            Some(l) => l.check_key(&phone.to_string()).is_ok(),
            None => true,
        }
    }

    /// Forgets phones whose allowance is full again (keeps memory flat under a storm).
    pub fn forget_idle(&self) {
        if let Some(l) = &self.limiter {
            l.retain_recent();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_configured_admin_key_opens_admin_endpoints() {
        assert!(admin_allowed(Some("s3cret"), Some("s3cret")));
        assert!(!admin_allowed(Some("s3cret"), Some("s3cre")));
        assert!(!admin_allowed(Some("s3cret"), None));
        assert!(!admin_allowed(None, Some("")));
        assert!(
            !admin_allowed(Some(""), Some("")),
            "an empty key opens nothing"
        );
    }

    #[test]
    fn secret_and_allowlist() {
        let guard = Guard::new(&GatewaySettings {
            secret: Some("s3cret".into()),
            allow_ips: vec!["10.1.0.0/16".into(), "192.0.2.7".into()],
            ..Default::default()
        })
        .unwrap();
        let inside = Some("10.1.2.3".parse().unwrap());
        assert_eq!(guard.admit(Some("s3cret"), inside), Ok(()));
        assert_eq!(guard.admit(Some("s3cre"), inside), Err(Refusal::BadKey));
        assert_eq!(guard.admit(None, inside), Err(Refusal::BadKey));
        assert_eq!(
            guard.admit(Some("s3cret"), Some("10.2.0.1".parse().unwrap())),
            Err(Refusal::AddressNotAllowed)
        );
        assert_eq!(
            guard.admit(Some("s3cret"), Some("::ffff:192.0.2.7".parse().unwrap())),
            Ok(())
        );
        assert!(
            Guard::new(&GatewaySettings {
                allow_ips: vec!["nope".into()],
                ..Default::default()
            })
            .is_err()
        );
        assert_eq!(Guard::default().admit(None, None), Ok(()));
    }

    #[test]
    fn phone_limit_is_per_phone() {
        let limiter = PhoneLimiter::new(3);
        for _ in 0..3 {
            assert!(limiter.allow("+221700000001"));
        }
        assert!(!limiter.allow("+221700000001"));
        assert!(limiter.allow("+221700000002"));
        assert!(PhoneLimiter::new(0).allow("+221700000001"));
    }
}
