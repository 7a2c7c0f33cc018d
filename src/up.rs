//! `flotilla up`: a whole local fleet in one command.

use anyhow::Result;
use clap::Args;

#[derive(Args, Debug)]
pub struct UpOptions {}

pub async fn run(_opts: UpOptions) -> Result<()> {
    anyhow::bail!("up is being built")
}
