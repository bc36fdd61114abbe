//! Settings: the policy numbers, their defaults and the TOML file that
//! overrides them. `assets/rekey.example.toml` documents every key.
