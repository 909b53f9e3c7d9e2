//! The `lucid` command-line tool.

fn main() {
    eprintln!("lucid: no commands yet");
    std::process::exit(2);
}
