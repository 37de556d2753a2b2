#include "libqueue/cron.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <chrono>
#include <vector>

#include "libqueue/errors.hpp"
#include "libqueue/text.hpp"

namespace libqueue {

namespace {

using std::chrono::days;
using std::chrono::floor;
using std::chrono::hours;
using std::chrono::minutes;

struct Field {
    const char* name;
    unsigned low;
    unsigned high;
    const char* const* names;  // lowercase, for low..low+count-1; nullptr: numbers only
    unsigned name_count;
};

constexpr const char* kMonthNames[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                       "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr const char* kDayNames[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

// Day of week takes 0..7: 7 is Sunday again, folded into 0 once parsed.
constexpr std::array<Field, 5> kFields = {{{"minute", 0, 59, nullptr, 0},
                                           {"hour", 0, 23, nullptr, 0},
                                           {"day-of-month", 1, 31, nullptr, 0},
                                           {"month", 1, 12, kMonthNames, 12},
                                           {"day-of-week", 0, 7, kDayNames, 7}}};

struct Alias {
    const char* name;
    const char* fields;
};
constexpr Alias kAliases[] = {{"@yearly", "0 0 1 1 *"},  {"@annually", "0 0 1 1 *"},
                              {"@monthly", "0 0 1 * *"}, {"@weekly", "0 0 * * 0"},
                              {"@daily", "0 0 * * *"},   {"@midnight", "0 0 * * *"},
                              {"@hourly", "0 * * * *"}};

// How far next_after looks before deciding an expression never fires: leap days come every
// four years, and at most eight apart (2096 to 2104).
constexpr int kSearchYears = 8;

class FieldParser {
  public:
    FieldParser(std::string_view expression, const Field& field, std::string_view text)
        : expression_(expression), field_(field), text_(text) {}

    std::uint64_t parse() const {
        std::uint64_t bits = 0;
        std::size_t start = 0;
        while (true) {
            const auto comma = text_.find(',', start);
            bits |= element(text_.substr(
                start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
            if (comma == std::string_view::npos)
                return bits;
            start = comma + 1;
        }
    }

  private:
    [[noreturn]] void fail(const std::string& why) const {
        throw UsageError("bad cron expression " + quoted(expression_) + ": " + field_.name +
                         " field " + quoted(text_) + ": " + why);
    }

    // `*`, `*/n`, `a`, `a-b`, `a-b/n` or `a/n` (a to the highest value, every n).
    std::uint64_t element(std::string_view text) const {
        if (text.empty())
            fail("an empty list item");
        unsigned step = 1;
        if (const auto slash = text.find('/'); slash != std::string_view::npos) {
            step = number(text.substr(slash + 1), "step");
            if (step == 0)
                fail("a step of 0");
            text = text.substr(0, slash);
        }
        unsigned low = field_.low;
        unsigned high = field_.high;
        if (text == "*") {
            if (field_.high == 7)  // day of week: `*` is 0..6, without Sunday twice
                high = 6;
        } else if (const auto dash = text.find('-'); dash != std::string_view::npos) {
            low = value(text.substr(0, dash));
            high = value(text.substr(dash + 1));
            if (low > high)
                fail("the range " + std::string(text) + " runs backwards");
        } else {
            low = value(text);
            high = step > 1 ? field_.high : low;
        }
        std::uint64_t bits = 0;
        for (unsigned v = low; v <= high; v += step)
            bits |= std::uint64_t{1} << (v == 7 && field_.high == 7 ? 0 : v);
        return bits;
    }

    unsigned value(std::string_view text) const {
        if (field_.names != nullptr && !text.empty() &&
            std::isalpha(static_cast<unsigned char>(text[0]))) {
            std::string lower;
            for (char c : text) lower += char(std::tolower(static_cast<unsigned char>(c)));
            for (unsigned i = 0; i < field_.name_count; ++i) {
                if (lower == field_.names[i])
                    return (field_.high == 7 ? 0 : field_.low) + i;
            }
            fail("unknown name " + quoted(text));
        }
        const unsigned v = number(text, "value");
        if (v < field_.low || v > field_.high) {
            fail(std::to_string(v) + " is out of " + std::to_string(field_.low) + "-" +
                 std::to_string(field_.high));
        }
        return v;
    }

    unsigned number(std::string_view text, const char* what) const {
        unsigned v = 0;
        const auto* end = text.data() + text.size();
        const auto [ptr, ec] = std::from_chars(text.data(), end, v);
        if (text.empty() || ec != std::errc{} || ptr != end)
            fail(std::string("bad ") + what + " " + quoted(text));
        return v;
    }

    std::string_view expression_;
    const Field& field_;
    std::string_view text_;
};

std::vector<std::string_view> split_fields(std::string_view text) {
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
        const auto start = i;
        while (i < text.size() && text[i] != ' ' && text[i] != '\t') ++i;
        if (i > start)
            out.push_back(text.substr(start, i - start));
    }
    return out;
}

bool has(std::uint64_t bits, unsigned value) {
    return (bits >> value) & 1U;
}

}  // namespace

CronExpression CronExpression::parse(std::string_view text) {
    CronExpression cron;
    cron.text_ = std::string(text);
    std::string_view fields_text = text;
    if (!text.empty() && text.front() == '@') {
        const auto* alias = std::find_if(std::begin(kAliases), std::end(kAliases),
                                         [&](const Alias& a) { return text == a.name; });
        if (alias == std::end(kAliases)) {
            throw UsageError("bad cron expression " + quoted(cron.text_) +
                             " (the @ forms are @yearly, @annually, @monthly, @weekly, @daily, "
                             "@midnight and @hourly)");
        }
        fields_text = alias->fields;
    }
    const auto fields = split_fields(fields_text);
    if (fields.size() != kFields.size()) {
        throw UsageError("bad cron expression " + quoted(cron.text_) + ": " +
                         std::to_string(fields.size()) +
                         " fields, expected 5 (minute hour day-of-month month day-of-week)");
    }
    std::array<std::uint64_t, 5> bits{};
    for (std::size_t i = 0; i < fields.size(); ++i)
        bits[i] = FieldParser(cron.text_, kFields[i], fields[i]).parse();
    cron.minutes_ = bits[0];
    cron.hours_ = bits[1];
    cron.days_ = bits[2];
    cron.months_ = bits[3];
    cron.weekdays_ = bits[4];
    // As Vixie cron (and cronie) decide it: a field starting with `*` (also `*/2`) leaves the
    // choice of days to the other field.
    cron.any_day_ = fields[2].front() == '*';
    cron.any_weekday_ = fields[4].front() == '*';
    return cron;
}

bool CronExpression::day_matches(unsigned day_of_month, unsigned weekday) const {
    const bool day = has(days_, day_of_month);
    const bool week = has(weekdays_, weekday);
    if (!any_day_ && !any_weekday_)
        return day || week;
    return day && week;
}

std::optional<TimePoint> CronExpression::next_after(TimePoint after, const LocalZone& zone) const {
    using LocalMinutes = std::chrono::local_time<minutes>;
    LocalMinutes t = floor<minutes>(zone.to_local(after)) + minutes{1};
    const LocalMinutes give_up = t + days{366 * kSearchYears};
    while (t < give_up) {
        const auto day = floor<days>(t);
        const std::chrono::year_month_day date{day};
        if (!has(months_, unsigned(date.month()))) {
            const auto next_month = std::chrono::year_month_day{date.year() / date.month() / 1} +
                                    std::chrono::months{1};
            t = std::chrono::local_days{next_month};
            continue;
        }
        if (!day_matches(unsigned(date.day()), std::chrono::weekday{day}.c_encoding())) {
            t = day + days{1};
            continue;
        }
        const auto hour = unsigned(floor<hours>(t - day).count());
        if (!has(hours_, hour)) {
            t = floor<hours>(t) + hours{1};
            continue;
        }
        const auto minute = unsigned((t - floor<hours>(t)).count());
        if (!has(minutes_, minute)) {
            t += minutes{1};
            continue;
        }
        const TimePoint at = zone.to_sys(LocalTime{t.time_since_epoch()});
        if (at > after)
            return at;
        t += minutes{1};  // a repeated wall-clock time, already past
    }
    return std::nullopt;
}

}  // namespace libqueue
