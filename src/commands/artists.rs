use super::Context;

#[derive(Debug, Clone, clap::Args)]
pub struct Args {}

pub fn execute(_ctx: &Context, _args: &Args) -> anyhow::Result<()> {
    anyhow::bail!("not implemented yet")
}
