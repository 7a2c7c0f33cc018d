//! Prints the OpenAPI v3 component schemas of every served kind: `cargo run -p flotilla-api --example dump_openapi`.

fn main() {
    let c = flotilla_api::resources::openapi_components();
    println!("{}", serde_json::to_string_pretty(&c).unwrap());
}
