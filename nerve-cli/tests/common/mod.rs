//! What the CLI's test files share.

/// The subcommands `nerve --help` lists, but `help`: every command an operator can run.
pub fn subcommands() -> Vec<String> {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_nerve"))
        .arg("--help")
        .env_remove("DATABASE_URL")
        .output()
        .expect("nerve --help runs");
    let help = String::from_utf8_lossy(&out.stdout);
    let listed = help.split("Commands:").nth(1).unwrap_or_default();
    let listed = listed.split("Options:").next().unwrap_or_default();
    listed
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_string)
        .collect()
}
