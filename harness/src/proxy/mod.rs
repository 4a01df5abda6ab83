//! Pass-throughs on loopback: the recording one and the fault-injecting one in front of the
//! store, the browsers' forward proxy, and the TLS front that makes a local store look remote.

pub mod faults;
pub mod forward;
pub mod passthrough;
pub mod tls_front;
