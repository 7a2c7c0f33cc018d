//! The namespace controller: namespaces created in the federation appear in every member.
