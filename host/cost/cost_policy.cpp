#include "cost/cost_policy.hpp"

#include <atomic>
#include <memory>
#include <utility>

#include <fmt/format.h>

namespace switchboard::cost {
namespace {

template <class... Args>
void log_line(Logger& logger, LogLevel level, std::string_view request_id, fmt::format_string<Args...> format,
              Args&&... args) {
    if (!logger.enabled(level)) return;
    logger.log(level, request_id, fmt::format(format, std::forward<Args>(args)...));
}

// A paid call whose ledger rows could not be written, with the ledger's reason.
constexpr std::string_view kUnrecorded = "the spend ledger could not record this call now: {}";

TimeZone zone_of(const config::Config& config) {
    try {
        return TimeZone::load(config.cost.timezone);
    } catch (const std::invalid_argument&) {
        return TimeZone::utc();  // the loader has reported it; a config with errors never serves
    }
}

}  // namespace

CostPolicy::CostPolicy(const config::Config& config, ledger::Ledger* ledger, Clock& clock, Logger& logger,
                       Metrics* metrics, ResumerOfThisThread resumer_of_this_thread)
    : clock_(clock),
      logger_(logger),
      metrics_(metrics),
      ledger_(ledger),
      fail_open_(config.cost.on_ledger_failure == config::LedgerFailure::open),
      wait_for_commit_(config.cost.ledger_sync == config::LedgerSync::full),
      resumer_of_this_thread_(std::move(resumer_of_this_thread)),
      started_(clock.wall_now()),
      budget_(Limits::from(config), zone_of(config)) {
    for (const auto& [name, backend] : config.backends) {
        BackendCost entry;
        if (backend.price.priced()) entry.pricing = std::make_unique<Pricing>(name, backend.price, backend.settings);
        entry.limited = backend.limits.any();
        backends_.emplace(name, std::move(entry));
    }
    for (const auto& [name, service] : config.services) {
        services_.emplace(name, ServiceBackends{service.real.empty() ? "" : service.real.front(), service.mock});
    }

    budget_.on_alert([this](const Alert& alert) {
        log_line(logger_, LogLevel::warn, "", "{} is {}% used: spent {} of {}; resets at {}", describe(alert.cap),
                 alert.percent, format_usd(alert.spent), format_usd(alert.limit), budget_.zone().format(alert.resets_at));
        if (metrics_ != nullptr) {
            metrics_->add(fmt::format("budget_alerts_total{{cap=\"{}\",percent=\"{}\"}}", id_of(alert.cap), alert.percent), 1);
        }
    });

    if (ledger_ != nullptr && !ledger_->healthy()) {
        log_line(logger_, LogLevel::error, "", "the spend ledger cannot be used: {}; {}",
                 ledger_->failure().value_or("unknown failure"),
                 fail_open_ ? "paid calls go on unrecorded (cost.on_ledger_failure = \"open\")"
                            : "paid calls are refused until it can (cost.on_ledger_failure = \"closed\"); mock calls go on");
    }
    restore_totals(std::nullopt);  // nothing of this run is in the ledger yet
}

bool CostPolicy::restore_totals(std::optional<WallTime> before, std::string* why) {
    if (restored_.load(std::memory_order_acquire)) return true;
    std::lock_guard lock(restore_mutex_);
    if (restored_.load(std::memory_order_relaxed)) return true;
    if (ledger_ == nullptr) {
        restored_.store(true, std::memory_order_release);
        return true;
    }
    if (!ledger_->healthy()) {
        if (why) *why = ledger_->failure().value_or("the spend ledger cannot be used");
        return false;
    }
    if (clock_.now() < next_restore_) {  // a read failed moments ago: do not hammer the file
        if (why) *why = restore_failure_;
        return false;
    }
    const auto now = clock_.wall_now();
    const TimeZone& zone = budget_.zone();
    try {
        for (const auto& total : ledger_->spend_since(zone.window_start(Window::hour, now),
                                                      zone.window_start(Window::day, now),
                                                      zone.window_start(Window::month, now), before)) {
            budget_.restore(total.service, total.backend, total.client, total.hour, total.day, total.month, now);
        }
    } catch (const ledger::LedgerError& e) {
        restore_failure_ = std::string("cannot read the spend totals from the ledger: ") + e.what();
        next_restore_ = clock_.now() + std::chrono::seconds(5);
        log_line(logger_, LogLevel::error, "", "{}; paid calls wait until they can be read", restore_failure_);
        if (why) *why = restore_failure_;
        return false;
    }
    restored_.store(true, std::memory_order_release);
    return true;
}

CostPolicy::~CostPolicy() = default;

Result<Admission> CostPolicy::admit(std::string_view service, std::string_view backend,
                                    const EmbeddingsRequest& request, std::string_view client) {
    return admit_request(service, backend, request, client);
}

Result<Admission> CostPolicy::admit(std::string_view service, std::string_view backend, const ParseRequest& request,
                                    std::string_view client) {
    return admit_request(service, backend, request, client);
}

Result<Admission> CostPolicy::admit(std::string_view service, std::string_view backend, const JsonRequest& request,
                                    std::string_view client) {
    return admit_request(service, backend, request, client);
}

template <class Request>
Result<Admission> CostPolicy::admit_request(std::string_view service, std::string_view backend,
                                            const Request& request, std::string_view client) {
    auto it = backends_.find(backend);
    if (it == backends_.end()) return Admission{};
    const BackendCost& entry = it->second;
    const bool paid = entry.pricing != nullptr && !entry.pricing->free();
    if (!paid && !entry.limited) return Admission{};  // free and unlimited: nothing to hold

    Admission admission;
    if (entry.pricing != nullptr) {
        auto estimate = entry.pricing->estimate(request);
        if (!estimate) return std::move(estimate).error();
        admission.estimate = std::move(estimate).value();
    }
    // Paid calls need a ledger that records them and the spend of earlier runs in the budget, or
    // caps would count from zero.
    std::string why;
    if (paid && !fail_open_ && ledger_ != nullptr && (!ledger_->healthy() || !restore_totals(started_, &why))) {
        if (why.empty()) why = ledger_->failure().value_or("unknown failure");
        return Error::make(ErrorKind::unavailable,
                           fmt::format("backend '{}' is paid and the spend ledger cannot be used ({}); paid calls "
                                       "are refused until it can (cost.on_ledger_failure = \"closed\")",
                                       backend, why));
    }
    if (paid && fail_open_) restore_totals(started_);
    auto held = budget_.reserve(
        Ask{service, backend, paid ? admission.estimate.cost : Money{}, admission.estimate.tokens, client},
        clock_.wall_now());
    if (!held) return std::move(held).error();
    admission.reservation = std::move(held).value();
    return admission;
}

Task<CallCost> CostPolicy::finish(FinishedCall call) {
    CallCost result;
    ledger::Row row;
    row.time = call.started;
    row.latency = std::chrono::duration_cast<std::chrono::microseconds>(call.latency);
    row.outcome = call.outcome;

    const auto now = clock_.wall_now();
    auto priced = [this](const std::string& backend) -> const Pricing* {
        auto it = backends_.find(backend);
        return it == backends_.end() ? nullptr : it->second.pricing.get();
    };
    auto charge = [&](const Pricing& prices, bool credits_reported) -> Result<Charge> {
        switch (call.kind) {
            case CallKind::embeddings:
                return prices.charge_embeddings(*call.usage, call.served_model, prices.model_for(call.requested));
            case CallKind::parse: {
                Usage usage = *call.usage;
                // Credits the upstream did not report are priced by pages; with no pages either,
                // by the pages estimated, so the call never counts as free by mistake.
                if (credits_reported && usage.credits < 0 && usage.pages == 0 && call.admission) {
                    usage.pages = call.admission->estimate.pages;
                }
                return prices.charge_parse(usage, prices.tier_for(call.requested), credits_reported);
            }
            case CallKind::json:
                break;
        }
        return Charge{};
    };

    if (call.admission) row.model = call.admission->estimate.model;
    if (call.usage != nullptr) {
        row.input_tokens = call.usage->prompt_tokens;
        row.pages = call.usage->pages;
    }
    const Pricing* pricing = priced(call.backend);
    if (call.usage != nullptr && pricing != nullptr && !pricing->free()) {
        auto charged = charge(*pricing, true);
        if (charged) {
            result.cost = charged->cost;
            row.model = charged->model;
            row.credits_milli = charged->credits_milli;
        } else {
            // The call ran; it must still count. Keep the estimate, which bounds it.
            log_line(logger_, LogLevel::error, call.request_id, "cannot price the answer of backend '{}': {}; "
                     "counting the estimate of {}", call.backend, charged.error().message,
                     format_usd(call.admission ? call.admission->estimate.cost : Money{}));
            if (call.admission) result.cost = call.admission->estimate.cost;
        }
    }
    if (call.admission && call.admission->reservation.active()) {
        if (call.usage != nullptr) {
            budget_.settle(call.admission->reservation, result.cost, call.usage->prompt_tokens, now);
        } else {
            budget_.release(call.admission->reservation);
        }
    }

    std::vector<ledger::Row> attempt_rows;
    for (auto& attempt : call.maybe_billed) {
        const Estimate& estimate = attempt.admission.estimate;
        if (!attempt.admission.reservation.active() || estimate.cost.nanos == 0) continue;
        budget_.settle(attempt.admission.reservation, estimate.cost, estimate.tokens, now);
        result.cost += estimate.cost;
        log_line(logger_, LogLevel::info, call.request_id,
                 "backend '{}' failed ({}) after the request may have been billed; counting its estimate of {} as "
                 "spent", attempt.backend, attempt.outcome, format_usd(estimate.cost));
        ledger::Row billed;
        billed.time = call.started;
        billed.backend = attempt.backend;
        billed.model = estimate.model;
        billed.input_tokens = estimate.tokens;
        billed.pages = estimate.pages;
        billed.cost = estimate.cost;
        billed.outcome = attempt.outcome;
        attempt_rows.push_back(std::move(billed));
    }

    // A call the service's mock answered is priced on the service's first real backend: what
    // REAL mode would have cost.
    auto service = services_.find(call.service);
    if (call.usage != nullptr && service != services_.end() && !call.backend.empty() &&
        call.backend == service->second.mock) {
        const Pricing* real = priced(service->second.first_real);
        if (real != nullptr && !real->free()) {
            auto charged = charge(*real, false);
            if (charged) {
                result.shadow_cost = charged->cost;
                row.model = charged->model;
                row.credits_milli = charged->credits_milli;
            }
        }
    }

    if (metrics_ != nullptr) {
        if (result.cost.nanos > 0) metrics_->add("spend_usd_total", static_cast<double>(result.cost.nanos) / 1e9);
        if (result.shadow_cost.nanos > 0) {
            metrics_->add("shadow_spend_usd_total", static_cast<double>(result.shadow_cost.nanos) / 1e9);
        }
    }
    if (ledger_ == nullptr) co_return result;

    row.cost = result.cost;
    for (const auto& billed : attempt_rows) row.cost -= billed.cost;  // each on its own row
    row.shadow_cost = result.shadow_cost;
    row.backend = std::move(call.backend);
    row.fallback_reason = std::move(call.fallback_reason);
    std::vector<ledger::Row> rows = std::move(attempt_rows);
    rows.push_back(std::move(row));
    for (auto& each : rows) {
        each.request_id = call.request_id;
        each.client = call.client;
        each.service = call.service;
        each.mode = call.mode;
    }

    // Not held for the commit: a call that spent nothing (a mock, a free backend), since no cap
    // depends on its row and waiting would add the disk's latency to every mock call; and with
    // cost.ledger_sync = "normal" a paid one too (the caps are in the budget already; only a
    // restart reads the rows). A crash can lose the last few rows. A paid row the writer cannot
    // write is logged, once per call; a free one is the ledger's to report. The answer may come
    // after this policy is gone (~Ledger writes what is queued), so it holds only what outlives
    // the ledger: the logger (see the class comment) and its own copy of the request id.
    if (result.cost.nanos == 0 || !wait_for_commit_) {
        std::function<void(const Status&)> report;
        if (result.cost.nanos != 0) {
            struct Unwritten {
                Logger& logger;
                std::string request_id;
                std::atomic<bool> reported{false};
            };
            auto unwritten = std::make_shared<Unwritten>(logger_, call.request_id);
            report = [unwritten](const Status& status) {
                if (status.ok() || unwritten->reported.exchange(true)) return;
                log_line(unwritten->logger, LogLevel::error, unwritten->request_id, kUnrecorded,
                         status.error().message);
            };
        }
        for (auto& each : rows) ledger_->append(std::move(each), report);
        result.durable = false;
        co_return result;
    }

    // Acknowledged only once every row is durable. The ledger answers on its writer thread; hop
    // back to this call's loop (or any host thread) before the caller's coroutine goes on.
    Resumer back = resumer_of_this_thread_ ? resumer_of_this_thread_() : nullptr;
    if (!back) {
        back = [&clock = clock_](std::function<void()> fn) {
            clock.call_after(Clock::duration::zero(), std::move(fn));
        };
    }
    auto durable = await_callback<Status>([&](auto resume) {
        struct Pending {
            std::mutex mutex;
            std::size_t left;
            Status status;
        };
        auto pending = std::make_shared<Pending>();
        pending->left = rows.size();
        for (auto& each : rows) {
            ledger_->append(std::move(each), [pending, resume, back](const Status& status) mutable {
                {
                    std::lock_guard lock(pending->mutex);
                    if (!status && pending->status) pending->status = status;
                    if (--pending->left > 0) return;
                }
                back([resume, status = pending->status]() mutable { resume(status); });
            });
        }
    });
    Status status = co_await durable;
    if (!status) {
        result.durable = false;
        log_line(logger_, LogLevel::error, call.request_id, kUnrecorded, status.error().message);
    }
    co_return result;
}

std::vector<CapState> CostPolicy::caps() const { return budget_.caps(clock_.wall_now()); }

std::vector<RateState> CostPolicy::rates() const { return budget_.rates(clock_.wall_now()); }

const TimeZone& CostPolicy::zone() const noexcept { return budget_.zone(); }

bool CostPolicy::ledger_healthy() const noexcept { return ledger_ == nullptr || ledger_->healthy(); }

std::optional<std::string> CostPolicy::ledger_failure() const {
    return ledger_ == nullptr ? std::nullopt : ledger_->failure();
}

}  // namespace switchboard::cost
