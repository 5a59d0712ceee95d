//! RFC 2136 dynamic UPDATE signed with TSIG (RFC 8945), over TCP to the
//! configured primary. Messages, TSIG signing and verification come from
//! hickory-proto; this module only frames them on the wire.
//!
//! Adding one TXT record is an UPDATE "add to an RRset" (an identical record
//! is a no-op, other values stay); removing is "delete an RR from an RRset"
//! for exactly our value. The zone is the closest enclosing name the server
//! answers an SOA for. The token is the base64 TSIG secret.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use hickory_proto::op::{update_message, Message, MessageType, Query, ResponseCode};
use hickory_proto::rr::rdata::tsig::TsigAlgorithm;
use hickory_proto::rr::rdata::TXT;
use hickory_proto::rr::{Name, RData, Record, RecordSet, RecordType, TSigner};
use shared::secret::SecretString;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use zeroize::Zeroizing;

use super::{names, AdapterError, AdapterResult, TxtApi, Zone};
use crate::providers::config::Rfc2136Config;

/// TTL of records we add.
const TTL: u32 = 60;
/// TSIG fudge (allowed clock skew), seconds.
const FUDGE: u16 = 300;
/// Connect, write and read timeout of one exchange.
const IO_TIMEOUT: Duration = Duration::from_secs(10);

/// The RFC 2136 adapter.
pub struct Rfc2136 {
    server: String,
    signer: TSigner,
}

impl Rfc2136 {
    /// An adapter for `config`; `token` is the base64 TSIG secret.
    pub fn new(config: &Rfc2136Config, token: SecretString) -> AdapterResult<Self> {
        let key = Zeroizing::new(
            base64::engine::general_purpose::STANDARD
                .decode(token.expose().trim())
                .map_err(|_| AdapterError::Config("the TSIG secret is not valid base64".into()))?,
        );
        let algorithm = Name::from_ascii(config.tsig_algorithm.as_str())
            .map(TsigAlgorithm::from_name)
            .map_err(|_| AdapterError::Config("tsigAlgorithm is not a valid name".into()))?;
        let key_name = Name::from_ascii(&config.tsig_key_name)
            .map_err(|_| AdapterError::Config("tsigKeyName is not a valid DNS name".into()))?;
        let signer = TSigner::new(key.to_vec(), algorithm, key_name, FUDGE).map_err(|_| {
            AdapterError::Config(format!(
                "TSIG algorithm {} is not supported (use hmac-sha256, hmac-sha384 or hmac-sha512)",
                config.tsig_algorithm.as_str()
            ))
        })?;
        Ok(Self {
            server: config.server.clone(),
            signer,
        })
    }

    /// Sends `message` (TSIG-signed when `sign`) and returns the verified answer.
    async fn exchange(&self, mut message: Message, sign: bool) -> AdapterResult<Message> {
        let id = message.metadata.id;
        let mut verifier = if sign {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_err(|_| AdapterError::Config("system clock is before 1970".into()))?
                .as_secs();
            message
                .finalize(&self.signer, now)
                .map_err(|e| AdapterError::Config(format!("TSIG signing failed: {e}")))?
        } else {
            None
        };
        let bytes = message
            .to_vec()
            .map_err(|e| AdapterError::Config(format!("DNS message cannot be encoded: {e}")))?;
        let answer = tokio::time::timeout(IO_TIMEOUT, self.round_trip(&bytes))
            .await
            .map_err(|_| {
                AdapterError::Transport(format!(
                    "no answer from {} within {} s",
                    self.server,
                    IO_TIMEOUT.as_secs()
                ))
            })??;
        let parsed = Message::from_vec(&answer)
            .map_err(|e| AdapterError::Protocol(format!("DNS answer unreadable: {e}")))?;
        if parsed.metadata.id != id || parsed.metadata.message_type != MessageType::Response {
            return Err(AdapterError::Protocol(
                "DNS answer does not match the request".into(),
            ));
        }
        if parsed.metadata.response_code == ResponseCode::NotAuth {
            return Err(AdapterError::Auth(
                "the server rejected the TSIG key or secret (NOTAUTH)".into(),
            ));
        }
        if let Some(v) = verifier.as_mut() {
            v.verify(&answer).map_err(|e| {
                AdapterError::Auth(format!("the answer's TSIG signature does not verify: {e}"))
            })?;
        }
        Ok(parsed)
    }

    async fn round_trip(&self, bytes: &[u8]) -> AdapterResult<Vec<u8>> {
        let len = u16::try_from(bytes.len())
            .map_err(|_| AdapterError::Config("DNS message too large".into()))?;
        let mut stream = TcpStream::connect(&self.server)
            .await
            .map_err(|e| AdapterError::Transport(format!("{}: {e}", self.server)))?;
        let io = |e: std::io::Error| AdapterError::Transport(format!("{}: {e}", self.server));
        stream.write_all(&len.to_be_bytes()).await.map_err(io)?;
        stream.write_all(bytes).await.map_err(io)?;
        let mut len = [0u8; 2];
        stream.read_exact(&mut len).await.map_err(io)?;
        let mut answer = vec![0u8; usize::from(u16::from_be_bytes(len))];
        stream.read_exact(&mut answer).await.map_err(io)?;
        Ok(answer)
    }

    fn name(fqdn: &str) -> AdapterResult<Name> {
        Name::from_ascii(names::dotted(fqdn))
            .map_err(|e| AdapterError::Config(format!("{fqdn} is not a valid DNS name: {e}")))
    }

    fn query(name: Name, ty: RecordType) -> Message {
        let mut m = Message::query();
        m.metadata.recursion_desired = false;
        m.add_query(Query::query(name, ty));
        m
    }

    fn txt_set(zone: &Zone, fqdn: &str, value: &str) -> AdapterResult<(RecordSet, Name)> {
        let name = Self::name(fqdn)?;
        let origin = Self::name(&zone.name)?;
        if !origin.zone_of(&name) {
            return Err(AdapterError::Config(format!(
                "{fqdn} is not inside the zone {}",
                zone.name
            )));
        }
        let mut set = RecordSet::with_ttl(name.clone(), RecordType::TXT, TTL);
        set.insert(
            Record::from_rdata(name, TTL, RData::TXT(TXT::new(chunks(value)))),
            0,
        );
        Ok((set, origin))
    }

    fn check_update(&self, answer: &Message) -> AdapterResult<()> {
        match answer.metadata.response_code {
            ResponseCode::NoError => Ok(()),
            ResponseCode::Refused => Err(AdapterError::Refused(
                "the server refused the update (is allow-update set for this key and zone?)".into(),
            )),
            ResponseCode::NotZone => Err(AdapterError::ZoneNotFound {
                name: "the name is not in a zone this server is primary for".into(),
            }),
            other => Err(AdapterError::Refused(format!("UPDATE answered {other}"))),
        }
    }
}

/// `value` as character-strings of at most 255 bytes.
fn chunks(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for c in value.chars() {
        if cur.len() + c.len_utf8() > 255 {
            out.push(std::mem::take(&mut cur));
        }
        cur.push(c);
    }
    out.push(cur);
    out
}

impl TxtApi for Rfc2136 {
    async fn find_zone(&self, name: &str) -> AdapterResult<Zone> {
        for candidate in names::zone_candidates(name) {
            let answer = self
                .exchange(Self::query(Self::name(&candidate)?, RecordType::SOA), false)
                .await?;
            let found = answer.answers.iter().any(|r| {
                r.record_type() == RecordType::SOA && names::bare(&r.name.to_ascii()) == candidate
            });
            if found {
                return Ok(Zone {
                    id: candidate.clone(),
                    name: candidate,
                });
            }
        }
        Err(AdapterError::ZoneNotFound {
            name: names::bare(name),
        })
    }

    async fn add_txt(&self, zone: &Zone, fqdn: &str, value: &str) -> AdapterResult<()> {
        let (set, origin) = Self::txt_set(zone, fqdn, value)?;
        let answer = self
            .exchange(update_message::append(set, origin, false, false), true)
            .await?;
        self.check_update(&answer)
    }

    async fn remove_txt(&self, zone: &Zone, fqdn: &str, value: &str) -> AdapterResult<()> {
        let (set, origin) = Self::txt_set(zone, fqdn, value)?;
        let answer = self
            .exchange(update_message::delete_by_rdata(set, origin, false), true)
            .await?;
        self.check_update(&answer)
    }

    async fn list_txt(&self, _zone: &Zone, fqdn: &str) -> AdapterResult<Vec<String>> {
        let answer = self
            .exchange(Self::query(Self::name(fqdn)?, RecordType::TXT), false)
            .await?;
        Ok(super::txt::values_of(&answer.answers))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_values_are_split_into_strings() {
        let v = "a".repeat(600);
        let c = chunks(&v);
        assert_eq!(
            c.iter().map(String::len).collect::<Vec<_>>(),
            vec![255, 255, 90]
        );
        let name = Name::from_ascii("a.test.").unwrap();
        let record = Record::from_rdata(name, TTL, RData::TXT(TXT::new(c)));
        assert_eq!(super::super::txt::values_of(&[record]), vec![v]);
    }

    #[test]
    fn bad_secret_and_algorithm_are_config_errors() {
        let config = Rfc2136Config {
            server: "127.0.0.1:53".into(),
            tsig_key_name: "k".into(),
            tsig_algorithm: crate::providers::config::TsigAlgorithm::HmacSha256,
        };
        assert!(matches!(
            Rfc2136::new(&config, "not base64!".into()),
            Err(AdapterError::Config(_))
        ));
        // An algorithm outside the enum cannot even be configured.
        assert!(crate::providers::config::ProviderConfig::parse(
            shared::protocol::dns::ProviderType::Rfc2136,
            Some(
                r#"{"server":"h:53","tsigKeyName":"k","tsigAlgorithm":"hmac-md5.sig-alg.reg.int"}"#
            ),
        )
        .is_err());
    }
}
