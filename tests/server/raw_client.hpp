#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace switchboard::testing {

// An HTTP response as a RawClient read it.
struct RawResponse {
    int status = 0;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;

    std::optional<std::string> header(std::string_view name) const {
        for (const auto& [key, value] : headers) {
            if (key.size() == name.size() &&
                std::equal(key.begin(), key.end(), name.begin(), [](char a, char b) { return tolower(a) == tolower(b); })) {
                return value;
            }
        }
        return std::nullopt;
    }
};

// A blocking loopback TCP client that writes exact bytes and reads with deadlines, so tests can
// misbehave the way real clients do (drip bytes, lie about Content-Length, never send a body).
class RawClient {
public:
    enum class Event { data, closed, timeout };

    // Connects to 127.0.0.1:port; connected() says whether that worked.
    explicit RawClient(std::uint16_t port) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(port);
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        connected_ = fd_ >= 0 && ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    }
    ~RawClient() {
        if (fd_ >= 0) ::close(fd_);
    }
    RawClient(const RawClient&) = delete;
    RawClient& operator=(const RawClient&) = delete;

    bool connected() const { return connected_; }

    // Sends every byte; false if the connection is gone.
    bool send(std::string_view bytes) {
        while (!bytes.empty()) {
            ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
            if (n <= 0) return false;
            bytes.remove_prefix(static_cast<std::size_t>(n));
        }
        return true;
    }

    // The next response (100 Continue skipped), or nothing if the connection closed or the
    // deadline passed first.
    std::optional<RawResponse> read_response(std::chrono::milliseconds limit = std::chrono::seconds(10)) {
        auto deadline = std::chrono::steady_clock::now() + limit;
        for (;;) {
            std::size_t end = buffer_.find("\r\n\r\n");
            while (end == std::string::npos) {
                if (receive(deadline) != Event::data) return std::nullopt;
                end = buffer_.find("\r\n\r\n");
            }
            RawResponse response;
            std::string head = buffer_.substr(0, end + 2);
            std::size_t line_end = head.find("\r\n");
            std::string status_line = head.substr(0, line_end);
            response.status = std::stoi(status_line.substr(status_line.find(' ') + 1, 3));
            for (std::size_t pos = line_end + 2; pos < head.size();) {
                std::size_t next = head.find("\r\n", pos);
                std::string line = head.substr(pos, next - pos);
                std::size_t colon = line.find(':');
                std::size_t value_start = line.find_first_not_of(' ', colon + 1);
                response.headers.emplace_back(line.substr(0, colon),
                                              value_start == std::string::npos ? "" : line.substr(value_start));
                pos = next + 2;
            }
            buffer_.erase(0, end + 4);
            if (response.status == 100) continue;
            if (response.header("transfer-encoding") == "chunked") {
                if (!read_chunks(response.body, deadline)) return std::nullopt;
                return response;
            }
            if (!response.header("content-length") && response.status != 204 && response.status != 304 &&
                response.header("connection") == "close") {  // the body runs to the close
                while (receive(deadline) == Event::data) {
                }
                response.body = std::exchange(buffer_, {});
                return response;
            }
            std::size_t length = std::stoul(response.header("content-length").value_or("0"));
            while (buffer_.size() < length) {
                if (receive(deadline) != Event::data) return std::nullopt;
            }
            response.body = buffer_.substr(0, length);
            buffer_.erase(0, length);
            return response;
        }
    }

    // Waits up to `limit` for the server to close the connection. Returns data if bytes arrive
    // instead (they stay buffered for read_response).
    Event wait_closed(std::chrono::milliseconds limit) {
        if (!buffer_.empty()) return Event::data;
        return receive(std::chrono::steady_clock::now() + limit);
    }

    const std::string& unread() const { return buffer_; }

private:
    // A chunked body to its last chunk (no trailers); false if the connection ends before.
    bool read_chunks(std::string& body, std::chrono::steady_clock::time_point deadline) {
        for (;;) {
            std::size_t line_end = buffer_.find("\r\n");
            while (line_end == std::string::npos) {
                if (receive(deadline) != Event::data) return false;
                line_end = buffer_.find("\r\n");
            }
            const std::size_t size = std::stoul(buffer_.substr(0, line_end), nullptr, 16);
            while (buffer_.size() < line_end + 2 + size + 2) {
                if (receive(deadline) != Event::data) return false;
            }
            body.append(buffer_, line_end + 2, size);
            buffer_.erase(0, line_end + 2 + size + 2);
            if (size == 0) return true;
        }
    }

    Event receive(std::chrono::steady_clock::time_point deadline) {
        for (;;) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            if (left.count() < 0) return Event::timeout;
            pollfd entry{fd_, POLLIN, 0};
            int ready = ::poll(&entry, 1, static_cast<int>(left.count()));
            if (ready < 0 && errno == EINTR) continue;
            if (ready == 0) return Event::timeout;
            char chunk[16 * 1024];
            ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
            if (n > 0) {
                buffer_.append(chunk, static_cast<std::size_t>(n));
                return Event::data;
            }
            if (n < 0 && errno == EINTR) continue;
            return Event::closed;  // orderly close or reset
        }
    }

    int fd_ = -1;
    bool connected_ = false;
    std::string buffer_;
};

}  // namespace switchboard::testing
