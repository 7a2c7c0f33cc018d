//! `flotilla join` and `flotilla unjoin`.

use anyhow::Result;
use clap::Args;

#[derive(Args, Debug)]
pub struct JoinOptions {}

#[derive(Args, Debug)]
pub struct UnjoinOptions {}

pub async fn run_join(_opts: JoinOptions) -> Result<()> {
    anyhow::bail!("join is being built")
}

pub async fn run_unjoin(_opts: UnjoinOptions) -> Result<()> {
    anyhow::bail!("unjoin is being built")
}
