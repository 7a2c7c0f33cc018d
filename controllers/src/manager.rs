//! Runs the controllers of the controller-manager, chosen by name (`--controllers=*,-name`).
