//! timbral-report
