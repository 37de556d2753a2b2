// How q work and q run write job events for people on stderr: each line starts with the local
// time to the millisecond, and on a colour terminal the event word is coloured by outcome
// (completed green, retrying yellow, dead red). NO_COLOR (any value), TERM=dumb or a stderr that
// is not a terminal give plain text.
#pragma once

#include <chrono>
#include <string>

namespace q {

enum class Tone { plain, good, warning, bad };

// Whether stderr gets colour: a terminal, NO_COLOR unset, TERM not "dumb". Read once.
bool stderr_wants_colour();

// "15:04:05.123" in the local zone.
std::string local_clock_text(std::chrono::system_clock::time_point when);

// "15:04:05.123 completed ID NAME in 12ms": `word` (the event) coloured by `tone` when
// `colour`, then `rest`.
std::string event_line(std::chrono::system_clock::time_point when, Tone tone,
                       const std::string& word, const std::string& rest, bool colour);

}  // namespace q
