//! Pass-throughs on loopback in front of the store: the recording one and the fault-injecting one.

pub mod faults;
pub mod passthrough;
