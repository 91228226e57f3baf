#pragma once

#include <chrono>
#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "cost/budget.hpp"
#include "cost/money.hpp"
#include "cost/pricing.hpp"
#include "ledger/ledger.hpp"
#include "switchboard/host_services.hpp"
#include "switchboard/result.hpp"
#include "switchboard/task.hpp"
#include "switchboard/types.hpp"

namespace switchboard::cost {

// What the router holds for one attempt on a backend, from admit() until the call is over.
struct Admission {
    Reservation reservation;  // inactive when nothing was held (a free backend without limits)
    Estimate estimate;
};

enum class CallKind { embeddings, parse, json };

// An attempt that failed after its request may have been billed (a timeout, a garbled answer):
// it counts at its estimate, on its own ledger row, against its own backend's caps.
struct BilledAttempt {
    Admission admission;
    std::string backend;
    std::string outcome;  // the ErrorKind name of its failure
};

// One routed call, as the router reports it when it is over.
struct FinishedCall {
    CallKind kind = CallKind::json;
    std::string request_id;
    std::string client;
    std::string service;
    std::string mode;             // "mock", "real" or "hybrid"
    std::string backend;          // who answered; "" when nobody did
    std::string fallback_reason;  // of the last backend passed over; "" when none was
    std::string requested;        // the request's model (embeddings) or mode (parse); "" for none
    std::string served_model;     // the response's model (embeddings); "" otherwise
    const Usage* usage = nullptr; // the answer's usage when the call succeeded, else null
    std::string outcome;          // "ok" or the ErrorKind name
    WallTime started;
    std::chrono::nanoseconds latency{0};
    std::optional<Admission> admission;  // the answering backend's, if it was admitted
    std::vector<BilledAttempt> maybe_billed;  // other backends' attempts that may have been billed
};

struct CallCost {
    Money cost;         // real spend, possibly billed failed attempts included
    Money shadow_cost;  // priced on the service's first real backend when a mock answered
    bool durable = true;  // the ledger rows committed before finish() returned (false for a call
                          // that spent nothing, and for every call with cost.ledger_sync = "normal":
                          // their rows are written without waiting)
};

// The cost gate between the router and the plugins: prices calls, holds their estimates against
// the budget before they run, settles them after, and writes one ledger row per call. Built from
// the config; totals are restored from the ledger so caps hold across restarts. Thread-safe.
// `ledger` (may be null: nothing is recorded), `clock`, `logger` and `metrics` outlive it, and
// `logger` outlives `ledger` too: with cost.ledger_sync = "normal" the ledger's writer reports a
// row it could not write through `logger`, possibly after the policy is gone (~Ledger writes the
// rows still queued).
class CostPolicy {
public:
    // Runs work on some thread's event loop.
    using Resumer = std::function<void(std::function<void()>)>;
    // Called on a call's thread: how to get back to that thread's event loop, or null for "any
    // host thread" (the clock's loop). A call that waits for its ledger commit resumes there, so
    // it ends on the loop it ran on.
    using ResumerOfThisThread = std::function<Resumer()>;

    CostPolicy(const config::Config& config, ledger::Ledger* ledger, Clock& clock, Logger& logger,
               Metrics* metrics = nullptr, ResumerOfThisThread resumer_of_this_thread = {});
    ~CostPolicy();
    CostPolicy(const CostPolicy&) = delete;
    CostPolicy& operator=(const CostPolicy&) = delete;

    // Before a call to `backend` for `service`: estimate it and hold the estimate against every
    // cap and rate limit. Errors: budget_exceeded, rate_limited, bad_request (an unpriced model,
    // an estimate that can never fit), unavailable (a paid call while the ledger is failed and
    // cost.on_ledger_failure is "closed").
    // `client` is who asked; its caps ([server.clients.NAME.caps]) apply as well.
    Result<Admission> admit(std::string_view service, std::string_view backend, const EmbeddingsRequest& request,
                            std::string_view client = {});
    Result<Admission> admit(std::string_view service, std::string_view backend, const ParseRequest& request,
                            std::string_view client = {});
    Result<Admission> admit(std::string_view service, std::string_view backend, const JsonRequest& request,
                            std::string_view client = {});

    // After the call: settle (or release) the admission, price shadow spend, write the call's
    // ledger row (and one per possibly billed attempt) and complete once they are durable (or the
    // ledger has failed), resuming on a host thread. A call that spent nothing, and every call
    // with cost.ledger_sync = "normal", completes at once, before its rows are committed.
    Task<CallCost> finish(FinishedCall call);

    std::vector<CapState> caps() const;
    std::vector<RateState> rates() const;
    const TimeZone& zone() const noexcept;
    bool ledger_healthy() const noexcept;
    std::optional<std::string> ledger_failure() const;

private:
    template <class Request>
    Result<Admission> admit_request(std::string_view service, std::string_view backend, const Request& request,
                                    std::string_view client);
    // Rebuilds the budget's hour, day and month totals from the ledger, once: at start, or when a
    // ledger that failed at start works again. Then only rows `before` this policy started count:
    // the later ones, kept in memory while the ledger failed, are in the budget already. False
    // while it cannot (the ledger is failed or unreadable); `why` then says so.
    bool restore_totals(std::optional<WallTime> before, std::string* why = nullptr);

    struct BackendCost {
        std::unique_ptr<Pricing> pricing;  // null for an unpriced backend (mocks)
        bool limited = false;              // has rate limits
    };

    Clock& clock_;
    Logger& logger_;
    Metrics* metrics_;
    ledger::Ledger* ledger_;
    bool fail_open_;
    bool wait_for_commit_;  // cost.ledger_sync = "full": paid calls complete once their rows commit
    const ResumerOfThisThread resumer_of_this_thread_;
    const WallTime started_;            // rows before this were spent by earlier runs of the host
    std::mutex restore_mutex_;
    std::atomic<bool> restored_{false};  // the totals from earlier runs are in the budget
    Clock::time_point next_restore_{};   // after a failed read, when to try again (restore_mutex_)
    std::string restore_failure_;        // why the last read failed (restore_mutex_)
    Budget budget_;
    std::map<std::string, BackendCost, std::less<>> backends_;
    struct ServiceBackends {
        std::string first_real;  // prices the shadow spend of calls the mock answers
        std::string mock;
    };
    std::map<std::string, ServiceBackends, std::less<>> services_;
};

}  // namespace switchboard::cost
