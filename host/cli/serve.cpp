// `switchboard serve`: the host behind its HTTP service until SIGINT or SIGTERM.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <csignal>
#include <functional>
#include <thread>

#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "cli/session.hpp"
#include "server/api.hpp"
#include "server/http_server.hpp"

namespace switchboard::cli {
namespace {

bool is_loopback(const std::string& address) {
    if (address == "localhost") return true;
    boost::system::error_code ec;
    auto parsed = boost::asio::ip::make_address(address, ec);
    return !ec && parsed.is_loopback();
}

}  // namespace

int serve_command(const ServeOptions& options, std::ostream& out, std::ostream& err) {
    const unsigned threads = options.threads != 0 ? options.threads : std::max(1u, std::thread::hardware_concurrency());
    Session session(options.host, threads);
    auto& io = session.io;
    auto& logger = session.logger;
    auto& runtime = *session.runtime;
    for (const auto& problem : runtime.problems()) err << problem.to_string() << '\n';
    if (!runtime.ok()) {
        err << "error: the configuration has errors; run `switchboard check-config` for the full report\n";
        return exit_usage;
    }

    const auto& config = *runtime.config();
    server::ServerOptions server_options;
    server_options.address = config.server.address;
    server_options.port = config.server.port;
    server_options.loops = session.loops.all();
    server_options.routes = server::Api::route_options();
    if (!options.listen.empty()) {
        std::string why;
        auto listen = config::parse_listen(options.listen, why);
        if (!listen) {
            err << "error: --listen " << options.listen << ": " << why << '\n';
            return exit_usage;
        }
        server_options.address = listen->first;
        server_options.port = listen->second;
    }
    // Without client keys nobody has to authenticate, so the service never leaves this machine.
    const bool open_to_all = config.server.clients.empty();
    if (open_to_all && !is_loopback(server_options.address)) {
        err << "error: cannot listen on " << server_options.address
            << ": no client keys are configured ([server.clients]), so the host serves loopback only; listen on "
               "127.0.0.1 or ::1, or add client keys\n";
        return exit_usage;
    }

    log::ComponentLogger audit(logger, "audit");
    server::Api api(runtime, audit);
    server::HttpServer server(io, server_options, [&api](server::Request request) { return api.handle(std::move(request)); },
                              logger);
    try {
        server.start();
    } catch (const std::runtime_error& e) {
        err << "error: " << e.what() << '\n';
        return exit_failure;
    }
    const std::string host = server_options.address.find(':') != std::string::npos ? "[" + server_options.address + "]"
                                                                                    : server_options.address;
    const std::string url = "http://" + host + ":" + std::to_string(server.port());
    out << "Switchboard is serving on " << url
        << (open_to_all ? " (loopback only, no client keys; Ctrl-C to stop)\n"
                        : " (" + std::to_string(config.server.clients.size()) + " client key(s); Ctrl-C to stop)\n")
        << "  curl " << url << "/v1/embeddings -H 'Content-Type: application/json' \\\n"
        << (open_to_all ? "" : "       -H \"Authorization: Bearer $SWITCHBOARD_KEY\" \\\n")
        << "       -d '{\"model\":\"text-embedding-3-small\",\"input\":\"hello\"}'\n"
        << "  OpenAI clients: base URL " << url << "/v1; LlamaParse clients: base URL " << url << "\n"
        << std::flush;

    // A stop: no new connections; calls in flight, parse jobs included, get the grace period; then
    // the ledger is flushed and the loop ends.
    constexpr auto grace = std::chrono::seconds(10);
    boost::asio::steady_timer jobs_timer(io);
    std::chrono::steady_clock::time_point give_up{};
    std::function<void()> wait_for_jobs = [&] {
        const std::size_t running = api.running_jobs();
        if (running > 0 && std::chrono::steady_clock::now() < give_up) {
            jobs_timer.expires_after(std::chrono::milliseconds(50));
            jobs_timer.async_wait([&](const boost::system::error_code&) { wait_for_jobs(); });
            return;
        }
        if (running > 0) {
            logger.log(LogLevel::warn, "",
                       std::to_string(running) + " parse job(s) still running after the grace period are abandoned; "
                                                 "the upstream may bill them, but they are not in the ledger");
        }
        runtime.ledger().flush();
        io.stop();
    };
    boost::asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code& ec, int signal) {
        if (ec) return;
        logger.log(LogLevel::info, "", std::string("got ") + (signal == SIGINT ? "SIGINT" : "SIGTERM") +
                                           ": no new connections; finishing the calls in flight (up to 10 s)");
        give_up = std::chrono::steady_clock::now() + grace;
        server.stop(grace, [&] { boost::asio::post(io, wait_for_jobs); });
    });

    session.loops.start();
    io.run();
    // Calls abandoned at the stop end now, while the routes they answer through (metrics, audit)
    // still exist.
    session.settle();
    out << "stopped\n";
    return exit_ok;
}

}  // namespace switchboard::cli
