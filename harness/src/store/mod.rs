//! The store: targets, the client that addresses, signs and sends (S3 SigV4 and OSS V1/V4),
//! the bucket CORS API, browser form policies, and starting a local store.

pub mod bucket_hook;
pub mod client;
pub mod local;
pub mod oss_sign;
pub mod post_policy;
pub mod s3_sign;
pub mod target;
