#include "drivers/sqlite/rows.hpp"

#include <date/date.h>

#include "libqueue/errors.hpp"

namespace libqueue::sqlite {

namespace {

void put_digits(char* out, long value, int width) {
    for (int i = width - 1; i >= 0; --i) {
        out[i] = char('0' + value % 10);
        value /= 10;
    }
}

// A time that does not parse is noted on the job (Job::unreadable) and read as unset: one foreign
// row must not stop every listing and every worker.
std::optional<TimePoint> optional_time(const SQLite::Statement& row, int column, Job& job,
                                       const char* name) {
    if (row.isColumnNull(column))
        return std::nullopt;
    try {
        return parse_time_text(row.getColumn(column).getText());
    } catch (const DataError& e) {
        note_unreadable(job, name, e.what());
        return std::nullopt;
    }
}

std::optional<std::string> optional_text(const SQLite::Statement& row, int column) {
    if (row.isColumnNull(column))
        return std::nullopt;
    return row.getColumn(column).getString();
}

}  // namespace

std::string time_text(TimePoint t) {
    auto days = date::floor<date::days>(t);
    date::year_month_day ymd{days};
    auto in_day = t - days;
    long ms = long(in_day.count());
    std::string out = "0000-00-00T00:00:00.000Z";
    put_digits(out.data(), int(ymd.year()), 4);
    put_digits(out.data() + 5, long(unsigned(ymd.month())), 2);
    put_digits(out.data() + 8, long(unsigned(ymd.day())), 2);
    put_digits(out.data() + 11, ms / 3'600'000, 2);
    put_digits(out.data() + 14, ms / 60'000 % 60, 2);
    put_digits(out.data() + 17, ms / 1000 % 60, 2);
    put_digits(out.data() + 20, ms % 1000, 3);
    return out;
}

bool is_time_text(std::string_view text) {
    // time_text's layout, character by character: '9' stands for a digit.
    constexpr std::string_view layout = "9999-99-99T99:99:99.999Z";
    if (text.size() != layout.size())
        return false;
    for (std::size_t i = 0; i < layout.size(); ++i) {
        const bool digit = text[i] >= '0' && text[i] <= '9';
        if (layout[i] == '9' ? !digit : text[i] != layout[i])
            return false;
    }
    return true;
}

TimePoint parse_time_text(std::string_view text) {
    return parse_stored_time(text);
}

Job read_job(const SQLite::Statement& row) {
    Job job;
    job.id = row.getColumn(0).getString();
    job.name = row.getColumn(1).getString();
    job.queue = row.getColumn(2).getString();
    try {
        job.status = status_from_string(row.getColumn(3).getText());
    } catch (const DataError& e) {
        note_unreadable(job, "status", e.what());
    }
    job.attempts = row.getColumn(4).getInt();
    job.max_retries = row.getColumn(5).getInt();
    // A NULL payload (other programs may write one) reads as JSON null, the closest truth.
    job.payload = row.isColumnNull(6) ? "null" : row.getColumn(6).getString();
    job.last_error = optional_text(row, 7);
    job.created_at = optional_time(row, 8, job, "created_at").value_or(TimePoint{});
    job.available_at = optional_time(row, 9, job, "available_at");
    job.finished_at = optional_time(row, 10, job, "finished_at");
    job.reserved_by = optional_text(row, 11);
    if (row.getColumnCount() > 12)
        job.priority = row.getColumn(12).getInt();
    return job;
}

void bind_optional(SQLite::Statement& statement, int index, const std::optional<std::string>& v) {
    if (v) {
        statement.bind(index, *v);
    } else {
        statement.bind(index);
    }
}

}  // namespace libqueue::sqlite
