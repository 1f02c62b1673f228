//! timbral-features
