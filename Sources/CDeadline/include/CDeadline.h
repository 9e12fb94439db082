#pragma once

/// Ends the process with `exit_code` after `seconds`, writing `message` (one line) to stderr
/// first, whatever its threads are doing: SIGALRM with an async-signal-safe handler, so neither a
/// blocked thread nor a busy cooperative pool can keep a command past its overall deadline.
/// A second call replaces the first; `seconds` 0 disarms.
void cloudwal_arm_deadline(unsigned int seconds, int exit_code, const char *message);
