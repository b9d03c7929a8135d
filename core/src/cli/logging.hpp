// The stderr logger every command logs through.
#pragma once

namespace tally::cli {

// Installs the default logger: "level: message" on stderr, coloured on a
// terminal, with control characters in messages (which quote config values,
// data and plugin text) escaped so they cannot drive the terminal.
void install_stderr_logger();

}  // namespace tally::cli
