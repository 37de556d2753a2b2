// What a command prints: its stdout and stderr are forwarded line by line with a "[job id] "
// prefix, and the end of its stderr is kept for last_error.
#pragma once

#include <string>
#include <string_view>

namespace libqueue::exec {

// Splits a stream into whole lines and writes each, prefixed, to `fd`. Lines from concurrent jobs
// never interleave mid-line: every batch of whole lines goes out in one write under a
// process-wide lock.
class LineForwarder {
  public:
    // fd < 0 disables forwarding. On a terminal, control characters are shown escaped
    // (escape_controls), as `q log` shows them: a handler's bytes must not drive the terminal.
    LineForwarder(int fd, std::string prefix);

    void feed(std::string_view data);
    // Writes the unterminated last line, if any, with a newline.
    void finish();

  private:
    void emit(std::string_view lines_or_partial, bool add_newline);

    // A line's text as it is written: escaped on a terminal.
    std::string shown(std::string_view text) const;

    int fd_;
    bool terminal_;
    std::string prefix_;
    std::string partial_;
};

// The last `limit` bytes of a stream.
class TailBuffer {
  public:
    explicit TailBuffer(std::size_t limit) : limit_(limit) {}

    void feed(std::string_view data);
    // The tail, starting on a UTF-8 character boundary, trailing whitespace removed.
    std::string text() const;

  private:
    std::size_t limit_;
    std::string data_;
};

// Writes all of `data` to fd (retrying short writes, EINTR and EAGAIN); drops it on other errors.
void write_fully(int fd, std::string_view data);

}  // namespace libqueue::exec
