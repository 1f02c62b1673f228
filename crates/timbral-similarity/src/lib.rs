//! timbral-similarity
