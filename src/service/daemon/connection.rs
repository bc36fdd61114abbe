//! One wizard's (or operator's) connection: the handshake, then one
//! request at a time. The sessions a connection opened are the only ones
//! it may name, and they close when it ends.

use super::Shared;
use super::origin::{ConnectionSlot, Origin};
use super::peer::{Peer, Trusted};
use crate::operator::{Operator, OperatorCommand, OperatorFailure};
pub use crate::service::frame::Link;
use crate::service::frame::{self, FRAME_TIMEOUT, FrameError, MAX_FRAME};
use crate::service::protocol::{
    Answer, Hello, MAX_REQUEST, PROTOCOL, Reply, Request, Rules, Welcome,
};
use crate::service::{RecoveryService, SecretString, ServiceError, SessionId};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::net::UnixStream;
use tokio::sync::watch;

/// What the config says of peers, for `config`.
pub(super) fn trusted(config: &crate::config::Config, daemon_uid: u32) -> Trusted<'_> {
    Trusted {
        daemon_uid,
        admin_group: &config.daemon.admin_group,
        shared_uids: &config.daemon.shared_uids,
        admin_names: &config.tls.admins,
        shared_names: &config.tls.shared,
    }
}

/// Refused operator commands of one uid are audited at most this often
/// (each is logged).
const REFUSAL_AUDIT_EVERY_MS: u64 = 60_000;

/// A wizard opens a new session each time the person starts over; older
/// ones beyond this are closed.
const SESSIONS_PER_CONNECTION: usize = 2;

pub struct Connection {
    stream: Box<dyn Link>,
    peer: Peer,
    /// The uid, until a session of a shared uid names its place.
    origin: Origin,
    /// The counts this connection holds: its uid's, and its place's once
    /// it has one.
    slots: Vec<ConnectionSlot>,
    sessions: Vec<SessionId>,
    shared: Arc<Shared>,
}

/// Serves one connection until the peer leaves, idles out, breaks the
/// protocol, or the daemon stops.
pub async fn serve(stream: UnixStream, shared: Arc<Shared>, shutdown: watch::Receiver<bool>) {
    let peer = match Peer::of(&stream).await {
        Ok(peer) => peer,
        Err(e) => {
            tracing::warn!("a connection without credentials was refused: {e}");
            return;
        }
    };
    serve_peer(Box::new(stream), peer, shared, shutdown).await;
}

/// Serves a connection whose peer is known (the socket's credentials, a
/// TLS client's certificate).
pub async fn serve_peer(
    stream: Box<dyn Link>,
    peer: Peer,
    shared: Arc<Shared>,
    shutdown: watch::Receiver<bool>,
) {
    let config = shared.service.config();
    let uid = Origin::whole(peer.principal());
    let limit = if peer.is_shared(&trusted(&config, shared.daemon_uid)) {
        config.daemon.shared_uid_connections
    } else {
        config.daemon.connections_per_origin
    };
    let Some(slot) = shared.connections.take(uid.clone(), limit) else {
        tracing::warn!(
            peer = %peer.describe(),
            limit,
            "a connection was refused: the origin holds as many as it may"
        );
        refuse_busy(stream).await;
        return;
    };
    let mut connection = Connection {
        stream,
        peer,
        origin: uid,
        slots: vec![slot],
        sessions: Vec::new(),
        shared,
    };
    let ended = connection.run(shutdown).await;
    if let Err(e) = &ended {
        tracing::info!(peer = %connection.peer.describe(), "dropped the connection: {e}");
    }
    // The wizard left (or idled out, or broke the protocol): its sessions
    // end. On a fleet's shared store, a daemon that stops, or a link that
    // broke, leaves them for the next daemon the wizard reaches; the idle
    // sweep ends the rest. A TLS wizard that exits says no close_notify:
    // an end of stream like any other.
    let link_broke = match &ended {
        Ok(Ended::Stopping) => true,
        Ok(Ended::Left) => false,
        Err(FrameError::Io(e)) => e.kind() != std::io::ErrorKind::UnexpectedEof,
        Err(_) => false,
    };
    if !link_broke || !connection.shared.store.is_shared() {
        connection.close_sessions().await;
    } else {
        connection.forget_sessions();
    }
}

/// Why a connection's loop ended.
enum Ended {
    /// The wizard closed it, or it sat idle too long.
    Left,
    /// The daemon is stopping.
    Stopping,
}

/// Sessions still counted when a connection ends without closing them
/// (its task panicked) are given back, so the count cannot creep up.
impl Drop for Connection {
    fn drop(&mut self) {
        let left = self.sessions.len();
        if left > 0 {
            self.shared.open_sessions.fetch_sub(left, Ordering::SeqCst);
        }
    }
}

/// Eight hex digits of the session id's SHA-256.
fn session_tag(id: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(&Sha256::digest(id.as_bytes())[..4])
}

/// A wizard beyond `max_connections`: its handshake is answered with
/// "busy", and the connection closed.
pub async fn refuse_busy(mut stream: impl Link) {
    let refusal = async {
        frame::read_message::<_, Hello>(&mut stream, 1024).await?;
        let busy = Welcome::Refused {
            message: "rekey is serving as many people as it can; please try again in a minute"
                .into(),
        };
        frame::write_message(&mut stream, &busy).await
    };
    let _ = tokio::time::timeout(Duration::from_secs(2), refusal).await;
}

impl Connection {
    async fn run(&mut self, mut shutdown: watch::Receiver<bool>) -> Result<Ended, FrameError> {
        if !self.handshake().await? {
            return Ok(Ended::Left);
        }
        loop {
            let config = self.shared.service.config();
            let idle = Duration::from_secs(if self.sessions.is_empty() {
                config.daemon.idle_without_session_secs
            } else {
                config.service.session_idle_secs
            });
            let read = frame::read_message::<_, Request>(&mut self.stream, MAX_REQUEST);
            let request = tokio::select! {
                read = tokio::time::timeout(idle, read) => match read {
                    Err(_) | Ok(Ok(None)) => return Ok(Ended::Left),
                    Ok(Ok(Some(request))) => request,
                    Ok(Err(e)) => return Err(e),
                },
                _ = shutdown.changed() => return Ok(Ended::Stopping),
            };
            let kind = request.kind();
            // A session id is a handle its connection holds: the log gets
            // a short digest, enough to follow one session's steps.
            let session = request.session().map(session_tag).unwrap_or_default();
            let reply = self.answer(request).await.map_err(|e| match e {
                // The detail (a store error, a path) is the operator's, not
                // the client's.
                ServiceError::Internal(detail) => {
                    tracing::error!(peer = %self.peer.describe(), "a request failed: {detail}");
                    ServiceError::Internal("see the rekey daemon's log".into())
                }
                other => other,
            });
            match &reply {
                Ok(_) => tracing::debug!(peer = %self.peer.describe(), session, kind, "ok"),
                Err(e) => {
                    tracing::debug!(peer = %self.peer.describe(), session, kind, "refused: {e}")
                }
            }
            frame::write_message(&mut self.stream, &reply).await?;
            if *shutdown.borrow() {
                return Ok(Ended::Stopping);
            }
        }
    }

    /// False when the wizard speaks another protocol (it was told why).
    async fn handshake(&mut self) -> Result<bool, FrameError> {
        let hello = tokio::time::timeout(
            FRAME_TIMEOUT,
            frame::read_message::<_, Hello>(&mut self.stream, 1024),
        )
        .await
        .map_err(|_| FrameError::Truncated)??;
        let Some(hello) = hello else {
            return Ok(false);
        };
        let version = env!("CARGO_PKG_VERSION");
        let config = self.shared.service.config();
        let welcome = if hello.protocol == PROTOCOL {
            Welcome::Ready {
                protocol: PROTOCOL,
                version: version.to_string(),
                rules: Rules {
                    policy: self.shared.service.password_policy(),
                    slide: config.slide,
                },
            }
        } else {
            let theirs: String = hello.version.chars().take(32).collect();
            Welcome::Refused {
                message: format!(
                    "this wizard is rekey {theirs} (protocol {}) and the daemon is rekey \
                     {version} (protocol {PROTOCOL}); install the same version on both sides",
                    hello.protocol
                ),
            }
        };
        let ready = matches!(welcome, Welcome::Ready { .. });
        frame::write_message(&mut self.stream, &welcome).await?;
        Ok(ready)
    }

    async fn answer(&mut self, request: Request) -> Reply {
        let config = self.shared.service.config();
        let limits = &config.daemon;
        let uid = Origin::whole(self.peer.principal());
        let shared_uid = self
            .peer
            .is_shared(&trusted(&config, self.shared.daemon_uid));
        let own: &[(&Origin, u32)] = match (&self.origin.place, shared_uid) {
            (Some(_), _) => &[
                (&self.origin, limits.origin_requests_per_sec),
                (&uid, limits.shared_uid_requests_per_sec),
            ],
            (None, true) => &[(&uid, limits.shared_uid_requests_per_sec)],
            (None, false) => &[(&uid, limits.origin_requests_per_sec)],
        };
        if !self.shared.rates.admit(own, limits.requests_per_sec) {
            return Err(ServiceError::Busy);
        }
        if let Some(id) = request.session()
            && !self.sessions.iter().any(|s| s == id)
        {
            return Err(ServiceError::NoSession);
        }
        let shared = self.shared.clone();
        let service = &shared.service;
        use Request as R;
        match request {
            R::OpenSession {
                client,
                language,
                plain,
            } => self
                .open(&client, &language, plain, &config)
                .await
                .map(Answer::Session),
            R::SubmitAddress { session, address } => service
                .submit_address(&session, &address)
                .await
                .map(Answer::Address),
            R::CheckSlide { session, evidence } => service
                .check_slide(&session, &evidence)
                .await
                .map(Answer::Slide),
            R::Request { session } => service.request(&session).await.map(Answer::Flow),
            R::ChooseEmail { session } => service.choose_email(&session).await.map(Answer::Flow),
            R::OpenTicket { session, contact } => service
                .open_ticket(&session, contact.as_deref())
                .await
                .map(Answer::Flow),
            R::SignIn {
                session,
                address,
                password,
            } => service
                .sign_in(&session, &address, &SecretString::from(password.as_str()))
                .await
                .map(Answer::SignIn),
            R::SendCode { session } => service.send_code(&session).await.map(Answer::Flow),
            R::ConfirmCode { session, code } => service
                .confirm_code(&session, &SecretString::from(code.as_str()))
                .await
                .map(Answer::Flow),
            R::FlowStatus { session } => service.flow_status(&session).await.map(Answer::Flow),
            R::AssessPassword { session, password } => service
                .assess_password(&session, &SecretString::from(password.as_str()))
                .await
                .map(Answer::Verdict),
            R::SetPassword {
                session,
                password,
                again,
            } => service
                .set_password(
                    &session,
                    &SecretString::from(password.as_str()),
                    &SecretString::from(again.as_str()),
                )
                .await
                .map(Answer::Flow),
            R::CloseSession { session } => {
                self.forget(&session);
                service
                    .close_session(&session)
                    .await
                    .map(|()| Answer::Closed)
            }
            R::Resume { session, client } => self
                .resume(&session, &client, &config)
                .await
                .map(|()| Answer::Resumed),
            R::Operator(command) => self.operator(command, &config).await,
        }
    }

    /// Takes over a session another daemon of the fleet opened, when it is
    /// live and from this connection's origin: a wizard whose daemon went
    /// away goes on where it was. Its limits were counted in the shared
    /// store all along.
    async fn resume(
        &mut self,
        session: &str,
        client: &str,
        config: &crate::config::Config,
    ) -> Result<(), ServiceError> {
        if self.sessions.iter().any(|s| s == session) {
            return Ok(());
        }
        let claim = crate::recovery::text::visible(client, 60);
        self.take_origin(&claim, config)?;
        if self.sessions.len() >= SESSIONS_PER_CONNECTION {
            return Err(ServiceError::Busy);
        }
        let open = self.shared.open_sessions.fetch_add(1, Ordering::SeqCst);
        if open >= config.daemon.max_sessions {
            self.shared.open_sessions.fetch_sub(1, Ordering::SeqCst);
            return Err(ServiceError::Busy);
        }
        let origin = self.origin.describe();
        match self.shared.service.resume_session(session, &origin).await {
            Ok(()) => {
                self.sessions.push(session.to_string());
                Ok(())
            }
            Err(e) => {
                self.shared.open_sessions.fetch_sub(1, Ordering::SeqCst);
                Err(e)
            }
        }
    }

    async fn open(
        &mut self,
        client: &str,
        language: &str,
        plain: bool,
        config: &crate::config::Config,
    ) -> Result<SessionId, ServiceError> {
        let claim = crate::recovery::text::visible(client, 60);
        self.take_origin(&claim, config)?;
        let max_sessions = config.daemon.max_sessions;
        if self.sessions.len() >= SESSIONS_PER_CONNECTION {
            let oldest = self.sessions.remove(0);
            self.shared.open_sessions.fetch_sub(1, Ordering::SeqCst);
            let _ = self.shared.service.close_session(&oldest).await;
        }
        let open = self.shared.open_sessions.fetch_add(1, Ordering::SeqCst);
        if open >= max_sessions {
            self.shared.open_sessions.fetch_sub(1, Ordering::SeqCst);
            return Err(ServiceError::Busy);
        }
        // What the wizard says of itself is kept, but the kernel's word on
        // who connected goes beside it.
        let who = format!("{claim}; {}", self.peer.describe());
        let origin = self.origin.describe();
        match self
            .shared
            .service
            .open_session_from(&origin, &who, language, plain)
            .await
        {
            Ok(id) => {
                self.sessions.push(id.clone());
                Ok(id)
            }
            Err(e) => {
                self.shared.open_sessions.fetch_sub(1, Ordering::SeqCst);
                Err(e)
            }
        }
    }

    /// Makes `claim`'s origin this connection's, taking its slot.
    fn take_origin(
        &mut self,
        claim: &str,
        config: &crate::config::Config,
    ) -> Result<(), ServiceError> {
        let shared = self
            .peer
            .is_shared(&trusted(config, self.shared.daemon_uid));
        let origin = Origin::of_session(&self.peer.principal(), claim, shared);
        if origin != self.origin {
            // A place of a shared uid: counted on its own, under the uid's
            // ceiling (the uid's slot is kept). The new place's slot is
            // taken before the old one is given back: refused, the
            // connection stays counted where it was.
            let place_slot = match origin.place {
                None => None,
                Some(_) => {
                    let limit = config.daemon.connections_per_origin;
                    let Some(slot) = self.shared.connections.take(origin.clone(), limit) else {
                        tracing::warn!(
                            origin = %origin.describe(),
                            limit,
                            "a session was refused: the origin holds as many connections as it may"
                        );
                        return Err(ServiceError::Busy);
                    };
                    Some(slot)
                }
            };
            self.slots.truncate(1);
            self.slots.extend(place_slot);
            self.origin = origin;
        }
        Ok(())
    }

    fn forget(&mut self, session: &str) {
        let before = self.sessions.len();
        self.sessions.retain(|s| s != session);
        if self.sessions.len() < before {
            self.shared.open_sessions.fetch_sub(1, Ordering::SeqCst);
        }
    }

    /// Gives back this connection's count of sessions, leaving the
    /// sessions themselves in the store.
    fn forget_sessions(&mut self) {
        let left = std::mem::take(&mut self.sessions).len();
        self.shared.open_sessions.fetch_sub(left, Ordering::SeqCst);
    }

    async fn close_sessions(&mut self) {
        for session in std::mem::take(&mut self.sessions) {
            self.shared.open_sessions.fetch_sub(1, Ordering::SeqCst);
            let _ = self.shared.service.close_session(&session).await;
        }
    }

    async fn operator(&self, command: OperatorCommand, config: &crate::config::Config) -> Reply {
        let admin_group = config.daemon.admin_group.as_str();
        if !self
            .peer
            .may_administer(&trusted(config, self.shared.daemon_uid))
        {
            let group = if admin_group.is_empty() {
                String::new()
            } else {
                format!(" and members of the group {admin_group}")
            };
            let who = self.peer.describe();
            let name = command.name();
            tracing::warn!(peer = %who, command = name, "an operator command was refused");
            let now = self.shared.clock.now();
            let client = format!("operator, {who}");
            // One audited refusal a minute per uid: each is a flushed
            // write, and the trail is kept for a long time.
            let audit_now = {
                let mut last = self
                    .shared
                    .refusals_audited
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                if last.len() > 4096 {
                    last.retain(|_, at| now.saturating_sub(*at) < REFUSAL_AUDIT_EVERY_MS);
                }
                let who = self.peer.principal();
                let due = last
                    .get(&who)
                    .is_none_or(|at| now.saturating_sub(*at) >= REFUSAL_AUDIT_EVERY_MS);
                if due {
                    last.insert(who, now);
                }
                due
            };
            let audited = if !audit_now {
                Ok(())
            } else {
                self.shared.store.transact(
                    |tx| -> crate::store::TxResult<(), crate::store::StoreError> {
                        tx.audit(
                            crate::store::audit::AuditDraft::new(
                                crate::store::audit::AuditKind::OperatorRefused,
                                None,
                                &client,
                            )
                            .refused(format!("{name}: not an operator")),
                            now,
                        )?;
                        Ok(())
                    },
                )
            };
            if let Err(e) = audited {
                tracing::error!("the refusal could not be audited: {e}");
            }
            return Err(ServiceError::Forbidden(match &self.peer {
                Peer::Unix { .. } => format!(
                    "operator commands through the rekey daemon are for root, the daemon's own \
                     user{group}; {} is none of these",
                    self.peer.describe()
                ),
                Peer::Tls { .. } => format!(
                    "operator commands over TLS are for the certificates tls.admins names; {} \
                     is not one",
                    self.peer.describe()
                ),
            }));
        }
        let name = command.name();
        let shared = self.shared.clone();
        let client = format!("operator, {}", self.peer.describe());
        // Operator commands hash on a thread of their own; they are few.
        let runtime = tokio::runtime::Handle::current();
        let outcome = tokio::task::spawn_blocking(move || {
            let config = shared.service.config();
            let operator = Operator {
                store: &shared.store,
                directory: shared.directory.as_ref(),
                config: &config,
                clock: shared.clock.as_ref(),
                client,
            };
            runtime.block_on(operator.run(command))
        })
        .await
        .map_err(|e| ServiceError::Internal(format!("the operator command failed: {e}")))?;
        // A listing too long for one answer would drop the connection.
        let encoded = serde_json::to_vec(&outcome).map_or(usize::MAX, |v| v.len());
        let outcome = if encoded > MAX_FRAME - 1024 {
            Err(OperatorFailure::Error(
                "the answer is too long to send over the socket; stop the daemon and run the \
                 command on the store"
                    .into(),
            ))
        } else {
            outcome
        };
        if outcome.as_ref().is_ok_and(|report| report.requeued > 0) {
            self.shared.mail_waker.notify_one();
        }
        tracing::info!(peer = %self.peer.describe(), command = name, "operator command");
        Ok(Answer::Operator(outcome))
    }
}
