//! Execution: per-member workers that apply Works, restore and report drift, and reflect member status into Work status.
