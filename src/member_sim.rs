//! `flotilla member-sim`: a simulated member cluster.

use anyhow::Result;
use clap::Args;

#[derive(Args, Debug)]
pub struct MemberSimOptions {}

pub async fn run(_opts: MemberSimOptions) -> Result<()> {
    anyhow::bail!("member-sim is being built")
}
