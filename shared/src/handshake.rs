//! The handshake that opens every connection: version, role, kernel peer
//! credentials, and a mutual HMAC challenge–response over fresh nonces.
//!
//! The server proves it holds the role's capability key before the client
//! proves it; each side's proof covers both nonces, so a recorded response is
//! useless on a new connection. A failed handshake closes the connection.

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use thiserror::Error;
use tokio::io::{AsyncRead, AsyncWrite};

use crate::frame::{read_frame, write_frame, FrameError};
use crate::ids::random_bytes;
use crate::protocol::control::PeerGrant;
use crate::protocol::{Role, PROTOCOL_VERSION};
use crate::secret::Key32;
use crate::transport::PeerIdentity;

/// Handshake messages, in order: Hello → Challenge → Proof → Accepted.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum HandshakeMsg {
    /// Client: who I am.
    Hello {
        /// Client's protocol version.
        version: u32,
        /// Claimed role.
        role: Role,
        /// Fresh client nonce.
        client_nonce: [u8; 32],
    },
    /// Server: my nonce and my proof that I hold the role's key.
    Challenge {
        /// Server's protocol version.
        version: u32,
        /// Fresh server nonce.
        server_nonce: [u8; 32],
        /// HMAC proving the server holds the key.
        server_proof: [u8; 32],
    },
    /// Client: my proof that I hold the role's key.
    Proof {
        /// HMAC proving the client holds the key.
        proof: [u8; 32],
    },
    /// Server: the connection is authenticated.
    Accepted,
    /// Either side: refused, with a reason free of secrets.
    Rejected {
        /// Why.
        reason: String,
    },
}

/// Why a handshake failed.
#[derive(Debug, Error)]
pub enum HandshakeError {
    /// Framing or I/O failure.
    #[error(transparent)]
    Frame(#[from] FrameError),
    /// The peer speaks another protocol version.
    #[error("protocol version mismatch: ours {ours}, theirs {theirs}")]
    Version {
        /// Our version.
        ours: u32,
        /// Their version.
        theirs: u32,
    },
    /// The claimed role may not connect here.
    #[error("role {0} may not connect here")]
    Role(&'static str),
    /// Kernel credentials do not match the expected process.
    #[error("peer credentials rejected: {0}")]
    Peer(String),
    /// The HMAC proof did not verify.
    #[error("capability proof did not verify")]
    BadProof,
    /// The peer sent something out of order.
    #[error("unexpected handshake message")]
    Unexpected,
    /// The peer refused us.
    #[error("rejected by peer: {0}")]
    Rejected(String),
    /// No randomness.
    #[error("random source failed")]
    Random,
}

const SERVER_LABEL: &[u8] = b"sslboard/handshake/v1/server";
const CLIENT_LABEL: &[u8] = b"sslboard/handshake/v1/client";

/// The HMAC over one side's transcript: label, role, both nonces in that side's order.
fn transcript_mac(
    key: &Key32,
    label: &[u8],
    role: Role,
    first: &[u8; 32],
    second: &[u8; 32],
) -> Result<Hmac<Sha256>, HandshakeError> {
    // EXPOSE: the capability key keys the HMAC; it never leaves this function.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key.expose())
        .map_err(|_| HandshakeError::BadProof)?;
    mac.update(label);
    mac.update(role.as_str().as_bytes());
    mac.update(&[0]);
    mac.update(first);
    mac.update(second);
    Ok(mac)
}

fn proof(
    key: &Key32,
    label: &[u8],
    role: Role,
    first: &[u8; 32],
    second: &[u8; 32],
) -> Result<[u8; 32], HandshakeError> {
    Ok(transcript_mac(key, label, role, first, second)?
        .finalize()
        .into_bytes()
        .into())
}

fn verify(
    key: &Key32,
    label: &[u8],
    role: Role,
    first: &[u8; 32],
    second: &[u8; 32],
    got: &[u8; 32],
) -> Result<(), HandshakeError> {
    // verify_slice compares in constant time.
    transcript_mac(key, label, role, first, second)?
        .verify_slice(got)
        .map_err(|_| HandshakeError::BadProof)
}

fn check_peer(
    peer: PeerIdentity,
    expected_pid: u32,
    own_uid: Option<u32>,
) -> Result<(), HandshakeError> {
    if own_uid.is_some() && peer.uid != own_uid {
        return Err(HandshakeError::Peer(format!(
            "uid {:?} is not ours",
            peer.uid
        )));
    }
    if peer.pid != Some(expected_pid) {
        return Err(HandshakeError::Peer(format!(
            "pid {:?} is not the expected {expected_pid}",
            peer.pid
        )));
    }
    Ok(())
}

async fn reject<W: AsyncWrite + Unpin>(w: &mut W, err: HandshakeError) -> HandshakeError {
    let _ = write_frame(
        w,
        &HandshakeMsg::Rejected {
            reason: err.to_string(),
        },
    )
    .await;
    err
}

/// Server side. `grant_for` returns the grant of a role allowed to connect here.
/// Returns the authenticated role.
pub async fn server<R, W, G>(
    r: &mut R,
    w: &mut W,
    peer: PeerIdentity,
    grant_for: G,
) -> Result<Role, HandshakeError>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
    G: Fn(Role) -> Option<PeerGrant>,
{
    let (version, role, client_nonce) = match read_frame(r).await? {
        HandshakeMsg::Hello {
            version,
            role,
            client_nonce,
        } => (version, role, client_nonce),
        _ => return Err(reject(w, HandshakeError::Unexpected).await),
    };
    if version != PROTOCOL_VERSION {
        return Err(reject(
            w,
            HandshakeError::Version {
                ours: PROTOCOL_VERSION,
                theirs: version,
            },
        )
        .await);
    }
    let Some(grant) = grant_for(role) else {
        return Err(reject(w, HandshakeError::Role(role.as_str())).await);
    };
    if let Err(e) = check_peer(peer, grant.pid, crate::transport::own_uid()) {
        return Err(reject(w, e).await);
    }
    let server_nonce: [u8; 32] = random_bytes().map_err(|_| HandshakeError::Random)?;
    let server_proof = proof(&grant.key, SERVER_LABEL, role, &client_nonce, &server_nonce)?;
    write_frame(
        w,
        &HandshakeMsg::Challenge {
            version: PROTOCOL_VERSION,
            server_nonce,
            server_proof,
        },
    )
    .await?;
    let got = match read_frame(r).await? {
        HandshakeMsg::Proof { proof } => proof,
        _ => return Err(reject(w, HandshakeError::Unexpected).await),
    };
    if let Err(e) = verify(
        &grant.key,
        CLIENT_LABEL,
        role,
        &server_nonce,
        &client_nonce,
        &got,
    ) {
        return Err(reject(w, e).await);
    }
    write_frame(w, &HandshakeMsg::Accepted).await?;
    Ok(role)
}

/// Client side: authenticates as `role` with `key` to the server whose kernel
/// credentials are `peer`, which must be process `expected_pid`.
pub async fn client<R, W>(
    r: &mut R,
    w: &mut W,
    peer: PeerIdentity,
    role: Role,
    key: &Key32,
    expected_pid: u32,
) -> Result<(), HandshakeError>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    check_peer(peer, expected_pid, crate::transport::own_uid())?;
    let client_nonce: [u8; 32] = random_bytes().map_err(|_| HandshakeError::Random)?;
    write_frame(
        w,
        &HandshakeMsg::Hello {
            version: PROTOCOL_VERSION,
            role,
            client_nonce,
        },
    )
    .await?;
    let (server_nonce, server_proof) = match read_frame(r).await? {
        HandshakeMsg::Challenge {
            version,
            server_nonce,
            server_proof,
        } => {
            if version != PROTOCOL_VERSION {
                return Err(HandshakeError::Version {
                    ours: PROTOCOL_VERSION,
                    theirs: version,
                });
            }
            (server_nonce, server_proof)
        }
        HandshakeMsg::Rejected { reason } => return Err(HandshakeError::Rejected(reason)),
        _ => return Err(HandshakeError::Unexpected),
    };
    if let Err(e) = verify(
        key,
        SERVER_LABEL,
        role,
        &client_nonce,
        &server_nonce,
        &server_proof,
    ) {
        return Err(reject(w, e).await);
    }
    let p = proof(key, CLIENT_LABEL, role, &server_nonce, &client_nonce)?;
    write_frame(w, &HandshakeMsg::Proof { proof: p }).await?;
    match read_frame(r).await? {
        HandshakeMsg::Accepted => Ok(()),
        HandshakeMsg::Rejected { reason } => Err(HandshakeError::Rejected(reason)),
        _ => Err(HandshakeError::Unexpected),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn me() -> PeerIdentity {
        PeerIdentity {
            pid: Some(std::process::id()),
            uid: crate::transport::own_uid(),
        }
    }

    async fn run(
        client_key: Key32,
        server_key: Key32,
        role: Role,
        allowed: Role,
    ) -> (Result<Role, HandshakeError>, Result<(), HandshakeError>) {
        let (a, b) = tokio::io::duplex(4096);
        let (mut ar, mut aw) = tokio::io::split(a);
        let (mut br, mut bw) = tokio::io::split(b);
        let grant = PeerGrant {
            pid: std::process::id(),
            key: server_key,
        };
        let srv = server(&mut ar, &mut aw, me(), move |r| {
            (r == allowed).then(|| grant.clone())
        });
        let cli = client(
            &mut br,
            &mut bw,
            me(),
            role,
            &client_key,
            std::process::id(),
        );
        tokio::join!(srv, cli)
    }

    #[tokio::test]
    async fn good_key_is_accepted() {
        let k = Key32::from_bytes([1; 32]);
        let (s, c) = run(k.clone(), k, Role::Dns, Role::Dns).await;
        assert!(matches!(s, Ok(Role::Dns)));
        assert!(c.is_ok());
    }

    #[tokio::test]
    async fn wrong_key_and_wrong_role_are_refused() {
        let (s, c) = run(
            Key32::from_bytes([1; 32]),
            Key32::from_bytes([2; 32]),
            Role::Dns,
            Role::Dns,
        )
        .await;
        assert!(s.is_err() && c.is_err());
        let k = Key32::from_bytes([1; 32]);
        let (s, c) = run(k.clone(), k, Role::Broker, Role::Dns).await;
        assert!(matches!(s, Err(HandshakeError::Role(_))));
        assert!(matches!(c, Err(HandshakeError::Rejected(_))));
    }

    #[tokio::test]
    async fn a_server_refuses_another_protocol_version_before_anything_else() {
        let (a, b) = tokio::io::duplex(4096);
        let (mut ar, mut aw) = tokio::io::split(a);
        let (mut br, mut bw) = tokio::io::split(b);
        let theirs = PROTOCOL_VERSION.wrapping_add(1);
        let hello = HandshakeMsg::Hello {
            version: theirs,
            role: Role::Dns,
            client_nonce: [7; 32],
        };
        let send = write_frame(&mut bw, &hello);
        // The grant would accept this role and pid: only the version is wrong.
        let grant = PeerGrant {
            pid: std::process::id(),
            key: Key32::from_bytes([1; 32]),
        };
        let srv = server(&mut ar, &mut aw, me(), move |_| Some(grant.clone()));
        let (sent, s) = tokio::join!(send, srv);
        assert!(sent.is_ok());
        match s {
            Err(HandshakeError::Version { ours, theirs: t }) => {
                assert_eq!((ours, t), (PROTOCOL_VERSION, theirs));
            }
            other => panic!("expected a version refusal, got {other:?}"),
        }
        match read_frame::<HandshakeMsg, _>(&mut br).await {
            Ok(HandshakeMsg::Rejected { reason }) => {
                assert!(reason.contains("version"), "{reason}")
            }
            other => panic!("expected Rejected, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn a_client_refuses_a_challenge_of_another_protocol_version() {
        let (a, b) = tokio::io::duplex(4096);
        let (mut ar, mut aw) = tokio::io::split(a);
        let (mut br, mut bw) = tokio::io::split(b);
        let key = Key32::from_bytes([1; 32]);
        let theirs = PROTOCOL_VERSION.wrapping_add(1);
        let fake_server = async {
            let _hello: Result<HandshakeMsg, _> = read_frame(&mut ar).await;
            write_frame(
                &mut aw,
                &HandshakeMsg::Challenge {
                    version: theirs,
                    server_nonce: [3; 32],
                    server_proof: [0; 32],
                },
            )
            .await
        };
        let cli = client(&mut br, &mut bw, me(), Role::Dns, &key, std::process::id());
        let (_, c) = tokio::join!(fake_server, cli);
        assert!(
            matches!(c, Err(HandshakeError::Version { theirs: t, .. }) if t == theirs),
            "{c:?}"
        );
    }

    #[test]
    fn peer_checks() {
        assert!(check_peer(
            PeerIdentity {
                pid: Some(5),
                uid: Some(1)
            },
            5,
            Some(1)
        )
        .is_ok());
        assert!(check_peer(
            PeerIdentity {
                pid: Some(6),
                uid: Some(1)
            },
            5,
            Some(1)
        )
        .is_err());
        assert!(check_peer(
            PeerIdentity {
                pid: Some(5),
                uid: Some(2)
            },
            5,
            Some(1)
        )
        .is_err());
        assert!(check_peer(
            PeerIdentity {
                pid: None,
                uid: Some(1)
            },
            5,
            Some(1)
        )
        .is_err());
    }

    #[test]
    fn proofs_are_bound_to_nonces_and_role() -> Result<(), HandshakeError> {
        let k = Key32::from_bytes([9; 32]);
        let p = proof(&k, CLIENT_LABEL, Role::Dns, &[1; 32], &[2; 32])?;
        assert!(verify(&k, CLIENT_LABEL, Role::Dns, &[1; 32], &[2; 32], &p).is_ok());
        // Replay against a fresh server nonce fails.
        assert!(verify(&k, CLIENT_LABEL, Role::Dns, &[3; 32], &[2; 32], &p).is_err());
        assert!(verify(&k, CLIENT_LABEL, Role::Broker, &[1; 32], &[2; 32], &p).is_err());
        assert!(verify(&k, SERVER_LABEL, Role::Dns, &[1; 32], &[2; 32], &p).is_err());
        Ok(())
    }
}
