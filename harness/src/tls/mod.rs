//! TLS for a run: rustls with the ring provider, and the run's own certificate authority.

pub mod authority;

/// Makes ring rustls's provider for the process; every TLS client and server needs one, and
/// reqwest is built without its own so that aws-lc's long C build is not paid.
pub fn install_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // Err means another part of the process installed one first; any provider will do.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}
