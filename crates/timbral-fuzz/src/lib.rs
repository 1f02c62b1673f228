//! Mutation fuzzing of every input timbral ingests, on the stable toolchain: seeded byte and
//! structure mutations of real seed files ([`mutate`]), fed to the real entry points
//! ([`targets`]), each run isolated with a time limit and its peak memory measured
//! ([`campaign`], [`alloc`]). `bench/fuzz.sh N` runs the `timbral-fuzz` binary; the crate's
//! tests run a short seeded campaign and replay the committed regression inputs.

pub mod alloc;
pub mod campaign;
pub mod mutate;
pub mod targets;
