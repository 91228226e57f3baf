#pragma once

#include <random>
#include <string>
#include <string_view>

#include "switchboard/visibility.hpp"

namespace switchboard {

// Builds a multipart/form-data body (RFC 7578): text fields and file parts, in the order added.
//   MultipartBody form;
//   form.add_field("language", "en");
//   form.add_file("file", "report.pdf", "application/pdf", bytes);
//   request.headers.push_back({"Content-Type", form.content_type()});
//   request.body = std::move(form).finish();
class MultipartBody {
public:
    // A random boundary that cannot plausibly occur in the parts.
    MultipartBody() : boundary_("----switchboard-" + random_token()) {}
    explicit MultipartBody(std::string boundary) : boundary_(std::move(boundary)) {}

    const std::string& boundary() const noexcept { return boundary_; }
    std::string content_type() const { return "multipart/form-data; boundary=" + boundary_; }

    void add_field(std::string_view name, std::string_view value) {
        open_part(name);
        body_ += "\r\n\r\n";  // the part's headers end with a blank line
        body_ += value;
        body_ += "\r\n";
    }

    void add_file(std::string_view name, std::string_view file_name, std::string_view content_type,
                  std::string_view data) {
        open_part(name);
        body_ += "; filename=\"";
        append_quoted(file_name);
        body_ += "\"\r\nContent-Type: ";
        body_ += content_type.empty() ? std::string_view("application/octet-stream") : content_type;
        body_ += "\r\n\r\n";
        body_ += data;
        body_ += "\r\n";
    }

    // The finished body; the builder is spent.
    std::string finish() && {
        body_ += "--" + boundary_ + "--\r\n";
        return std::move(body_);
    }

private:
    void open_part(std::string_view name) {
        body_ += "--" + boundary_ + "\r\nContent-Disposition: form-data; name=\"";
        append_quoted(name);
        body_ += "\"";
    }

    // Quotes and line breaks cannot appear inside a quoted name: percent-encode them, as
    // browsers do (WHATWG multipart/form-data encoding).
    void append_quoted(std::string_view text) {
        for (char c : text) {
            if (c == '"') body_ += "%22";
            else if (c == '\r') body_ += "%0D";
            else if (c == '\n') body_ += "%0A";
            else body_ += c;
        }
    }

    static std::string random_token() {
        static constexpr char kAlphabet[] = "0123456789abcdefghijklmnopqrstuvwxyz";
        std::random_device device;
        std::string token;
        for (int i = 0; i < 24; ++i) token += kAlphabet[device() % 36];
        return token;
    }

    std::string boundary_;
    std::string body_;
};

}  // namespace switchboard
