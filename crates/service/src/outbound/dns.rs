//! TXT records, for the proof that an organization controls a domain
//! (`_roster-challenge.DOMAIN`). Asked with hickory-resolver, the Rust DNS
//! stub resolver most of the field uses, so that Roster does not parse DNS
//! itself: the system's resolver by default, or the server the operator
//! names (`[outbound] dns_server`; tests start one on loopback). A new
//! resolver per question, so an admin who has just published a record is
//! not answered from a cache.

use hickory_resolver::config::{NameServerConfigGroup, ResolverConfig, ResolverOpts};
use hickory_resolver::name_server::TokioConnectionProvider;
use hickory_resolver::Resolver;

use super::{Outbound, OutboundError};

impl Outbound {
    /// The TXT records at `name` (each record's strings joined, as RFC 7208
    /// reads them); none when the name has no TXT records or does not exist.
    pub async fn txt_records(&self, name: &str) -> Result<Vec<String>, OutboundError> {
        let mut options = ResolverOpts::default();
        options.timeout = self.config.deadline.min(std::time::Duration::from_secs(5));
        options.attempts = 1;
        options.cache_size = 0;
        let builder = match self.config.dns_server {
            Some(server) => Resolver::builder_with_config(
                ResolverConfig::from_parts(
                    None,
                    vec![],
                    NameServerConfigGroup::from_ips_clear(&[server.ip()], server.port(), true),
                ),
                TokioConnectionProvider::default(),
            ),
            None => Resolver::builder_tokio().map_err(|e| OutboundError::Transport {
                url: format!("dns:{name}"),
                why: format!("the system's DNS configuration does not read: {e}"),
            })?,
        };
        let resolver = builder.with_options(options).build();
        // A fully qualified name: no search domains appended.
        let fqdn = format!("{}.", name.trim_end_matches('.'));
        let lookup = tokio::time::timeout(self.config.deadline, resolver.txt_lookup(fqdn)).await;
        match lookup {
            Err(_) => Err(OutboundError::Deadline {
                url: format!("dns:{name}"),
                deadline: self.config.deadline,
            }),
            Ok(Err(e)) if e.is_no_records_found() => Ok(Vec::new()),
            Ok(Err(e)) => Err(OutboundError::Transport {
                url: format!("dns:{name}"),
                why: e.to_string(),
            }),
            Ok(Ok(found)) => Ok(found
                .iter()
                .map(|txt| {
                    txt.txt_data()
                        .iter()
                        .map(|part| String::from_utf8_lossy(part).into_owned())
                        .collect::<String>()
                })
                .collect()),
        }
    }
}
