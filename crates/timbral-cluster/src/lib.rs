//! timbral-cluster
