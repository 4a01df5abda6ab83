//! A vendor-like endpoint before a local store: TLS on a name that is not loopback-looking,
//! with a certificate from the run's own authority, passing the bytes through unchanged.
//!
//! The store sees the Host the client signed (`bucket.s3.vendor.localhost:PORT`), so it must
//! know that name for virtual-host addressing (the local Ceph does: `rgw dns name`).

use crate::tls::authority::Authority;
use std::net::SocketAddr;

/// A running TLS front; dropping it stops accepting connections.
pub struct TlsFront {
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TlsFront {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl TlsFront {
    /// Listens on 127.0.0.1 (a free port) with a certificate for `name` and `*.name`, and
    /// passes every connection on to the plain-HTTP store at `upstream`.
    pub async fn start(
        name: &str,
        authority: &Authority,
        upstream: SocketAddr,
    ) -> Result<Self, String> {
        let config = authority.server_config(&[name.to_string(), format!("*.{name}")])?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| format!("TLS front: {e}"))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        let acceptor = tokio_rustls::TlsAcceptor::from(config);
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let Ok(mut tls) = acceptor.accept(stream).await else {
                        return;
                    };
                    let Ok(mut store) = tokio::net::TcpStream::connect(upstream).await else {
                        return;
                    };
                    let _ = store.set_nodelay(true);
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut store).await;
                });
            }
        });
        Ok(Self { addr, task })
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }
}
