//! Reads a `ScheduleInput` as JSON on stdin and prints the explained `ScheduleOutcome` as JSON:
//! a quick way to ask "where would this go, and why?" without a control plane.
//!
//! ```text
//! cargo run -p flotilla-scheduler --example explain < input.json
//! ```

use std::io::Read;

use flotilla_scheduler::{ScheduleInput, schedule};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut text = String::new();
    std::io::stdin().read_to_string(&mut text)?;
    let input: ScheduleInput = serde_json::from_str(&text)?;
    let outcome = schedule(&input);
    println!("{}", serde_json::to_string_pretty(&outcome)?);
    Ok(())
}
