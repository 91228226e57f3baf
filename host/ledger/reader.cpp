#include <sqlite3.h>

#include <algorithm>
#include <limits>
#include <string>

#include "ledger/file_problem.hpp"
#include "ledger/ledger.hpp"
#include "ledger/schema.hpp"
#include "ledger/sqlite_handle.hpp"

namespace switchboard::ledger {
namespace {

constexpr int busy_timeout_ms = 5'000;

// " WHERE ..." for the query's filters, as named parameters bind_filters fills.
std::string where_clause(const Query& query) {
    std::string where;
    auto add = [&](const char* condition) { where += (where.empty() ? " WHERE " : " AND ") + std::string(condition); };
    if (query.since) add("time_us >= :since");
    if (query.until) add("time_us < :until");
    if (query.service) add("service = :service");
    return where;
}

void bind_filters(Statement& statement, const Query& query) {
    if (query.since) statement.bind(statement.parameter(":since"), schema::to_micros(*query.since));
    if (query.until) statement.bind(statement.parameter(":until"), schema::to_micros(*query.until));
    if (query.service) statement.bind(statement.parameter(":service"), std::string_view(*query.service));
}

}  // namespace

struct Reader::State {
    explicit State(const std::filesystem::path& file) : path(file), db(file, SQLITE_OPEN_READONLY) {}

    std::filesystem::path path;
    Connection db;

    // Runs `read`, turning SQLite's failures into a LedgerError that names the file.
    template <class Read>
    auto guarded(Read&& read) const {
        try {
            return read();
        } catch (const SqliteError& error) {
            throw LedgerError(file_problem::from_sqlite(path, error, file_problem::Access::read));
        }
    }
};

Reader::Reader(const std::filesystem::path& path) {
    std::error_code ignored;
    if (!std::filesystem::exists(path, ignored)) throw LedgerError(file_problem::missing(path));
    try {
        state_ = std::make_unique<State>(path);
        sqlite3_busy_timeout(state_->db.get(), busy_timeout_ms);
        const int version = schema::version_of(state_->db);
        if (version > Ledger::schema_version) throw LedgerError(file_problem::newer_schema(path, version));
        if (version < Ledger::schema_version) throw LedgerError(file_problem::older_schema(path, version));
        state_->db.prepare("SELECT id FROM calls LIMIT 0");  // reads the schema: a damaged one fails here
    } catch (const SqliteError& error) {
        throw LedgerError(file_problem::from_sqlite(path, error, file_problem::Access::read));
    }
}

Reader::~Reader() = default;

void Reader::for_each(const Query& query, const std::function<void(const Row&)>& visit) const {
    state_->guarded([&] {
        auto select = state_->db.prepare("SELECT " + std::string(schema::row_columns) + " FROM calls" +
                                         where_clause(query) + " ORDER BY time_us, id");
        bind_filters(select, query);
        while (select.step()) visit(schema::read_row(select));
    });
}

std::vector<SpendTotal> Reader::spend_since(WallTime hour_start, WallTime day_start, WallTime month_start,
                                            std::optional<WallTime> before) const {
    return state_->guarded([&] {
        // INDEXED BY: left alone, the planner picks (service, time_us) for the GROUP BY and scans
        // the whole table; the time range is what keeps this proportional to one month.
        auto select = state_->db.prepare(
            "SELECT service, backend, client,"
            " SUM(CASE WHEN time_us >= :hour THEN cost_nanos ELSE 0 END),"
            " SUM(CASE WHEN time_us >= :day THEN cost_nanos ELSE 0 END),"
            " SUM(CASE WHEN time_us >= :month THEN cost_nanos ELSE 0 END)"
            " FROM calls INDEXED BY calls_by_time WHERE time_us >= :earliest AND time_us < :before"
            " GROUP BY service, backend, client ORDER BY service, backend, client");
        select.bind(select.parameter(":hour"), schema::to_micros(hour_start));
        select.bind(select.parameter(":day"), schema::to_micros(day_start));
        select.bind(select.parameter(":month"), schema::to_micros(month_start));
        select.bind(select.parameter(":earliest"), schema::to_micros(std::min({hour_start, day_start, month_start})));
        select.bind(select.parameter(":before"),
                    before ? schema::to_micros(*before) : std::numeric_limits<std::int64_t>::max());
        std::vector<SpendTotal> totals;
        while (select.step()) {
            totals.push_back(SpendTotal{select.column_text(0), select.column_text(1), select.column_text(2),
                                        cost::Money::from_nanos(select.column_int64(3)),
                                        cost::Money::from_nanos(select.column_int64(4)),
                                        cost::Money::from_nanos(select.column_int64(5))});
        }
        return totals;
    });
}

cost::Money Reader::spend_between(WallTime since, WallTime until, const std::optional<std::string>& service) const {
    return state_->guarded([&] {
        const Query query{since, until, service};
        auto select = state_->db.prepare("SELECT COALESCE(SUM(cost_nanos), 0) FROM calls" + where_clause(query));
        bind_filters(select, query);
        return cost::Money::from_nanos(select.step() ? select.column_int64(0) : 0);
    });
}

std::optional<WallTime> Reader::first_time() const {
    return state_->guarded([&]() -> std::optional<WallTime> {
        auto select = state_->db.prepare("SELECT MIN(time_us) FROM calls");
        if (!select.step() || select.column_is_null(0)) return std::nullopt;
        return schema::from_micros(select.column_int64(0));
    });
}

std::int64_t Reader::count(const Query& query) const {
    return state_->guarded([&] {
        auto select = state_->db.prepare("SELECT COUNT(*) FROM calls" + where_clause(query));
        bind_filters(select, query);
        return select.step() ? select.column_int64(0) : std::int64_t{0};
    });
}

}  // namespace switchboard::ledger
