#include "wire/multipart_form.hpp"

#include <utility>

namespace switchboard::wire {
namespace {

constexpr std::size_t max_boundary_length = 70;  // RFC 2046 §5.1.1

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::string lowercase(std::string_view text) {
    std::string out(text);
    for (char& c : out) c = lower(c);
    return out;
}

std::string_view trim(std::string_view text) {
    auto first = text.find_first_not_of(" \t");
    if (first == std::string_view::npos) return {};
    return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    c = lower(c);
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

// The %22 %0D %0A escapes browsers and Node's FormData write for '"', CR and LF inside a quoted
// name; nothing else is decoded, so a filename that really holds "%41" keeps it.
std::string unescape_form_quotes(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '%' && i + 2 < text.size()) {
            const std::string code = lowercase(text.substr(i + 1, 2));
            if (code == "22" || code == "0d" || code == "0a") {
                out += code == "22" ? '"' : code == "0d" ? '\r' : '\n';
                i += 2;
                continue;
            }
        }
        out += text[i];
    }
    return out;
}

struct Parameter {
    std::string name;  // lowercase
    std::string value;
    bool quoted = false;
};

// "; name=value; other=\"quoted; value\"" after a media type or disposition type. A backslash in
// a quoted value escapes only '"' and '\' (so a Windows path sent unescaped survives).
std::optional<std::vector<Parameter>> parameters(std::string_view text, std::string& why) {
    std::vector<Parameter> out;
    std::size_t at = 0;
    auto skip_space = [&] {
        while (at < text.size() && (text[at] == ' ' || text[at] == '\t')) ++at;
    };
    while (true) {
        skip_space();
        if (at == text.size()) return out;
        if (text[at] != ';') {
            why = "expected ';' before '" + std::string(text.substr(at, 20)) + "'";
            return std::nullopt;
        }
        ++at;
        skip_space();
        if (at == text.size()) return out;  // a trailing ';' is harmless
        auto eq = text.find('=', at);
        if (eq == std::string_view::npos) {
            why = "parameter '" + std::string(trim(text.substr(at))) + "' has no '=value'";
            return std::nullopt;
        }
        Parameter parameter;
        parameter.name = lowercase(trim(text.substr(at, eq - at)));
        at = eq + 1;
        skip_space();
        if (at < text.size() && text[at] == '"') {
            parameter.quoted = true;
            ++at;
            bool closed = false;
            while (at < text.size()) {
                char c = text[at++];
                if (c == '"') {
                    closed = true;
                    break;
                }
                if (c == '\\' && at < text.size() && (text[at] == '"' || text[at] == '\\')) c = text[at++];
                parameter.value += c;
            }
            if (!closed) {
                why = "the quoted value of '" + parameter.name + "' has no closing quote";
                return std::nullopt;
            }
        } else {
            auto end = text.find(';', at);
            parameter.value = std::string(trim(text.substr(at, end == std::string_view::npos ? end : end - at)));
            at = end == std::string_view::npos ? text.size() : end;
        }
        out.push_back(std::move(parameter));
    }
}

const Parameter* find_parameter(const std::vector<Parameter>& list, std::string_view name) {
    for (const auto& parameter : list) {
        if (parameter.name == name) return &parameter;
    }
    return nullptr;
}

// filename*=UTF-8''na%C3%AFve.pdf (RFC 5987 / 8187): charset, language, percent-encoded bytes.
std::optional<std::string> extended_value(std::string_view text, std::string& why) {
    auto first = text.find('\'');
    auto second = first == std::string_view::npos ? first : text.find('\'', first + 1);
    if (second == std::string_view::npos) {
        why = "filename* must read CHARSET'LANGUAGE'VALUE, e.g. UTF-8''report.pdf";
        return std::nullopt;
    }
    const std::string charset = lowercase(text.substr(0, first));
    if (charset != "utf-8" && charset != "iso-8859-1" && charset != "us-ascii") {
        why = "filename* charset '" + std::string(text.substr(0, first)) + "' is not supported; use UTF-8";
        return std::nullopt;
    }
    std::string bytes;
    std::string_view value = text.substr(second + 1);
    for (std::size_t i = 0; i < value.size(); ++i) {
        if (value[i] != '%') {
            bytes += value[i];
            continue;
        }
        const bool complete = i + 2 < value.size();
        const int high = complete ? hex_value(value[i + 1]) : -1;
        const int low = complete ? hex_value(value[i + 2]) : -1;
        if (high < 0 || low < 0) {
            why = "filename* has a '%' not followed by two hex digits";
            return std::nullopt;
        }
        bytes += static_cast<char>(high * 16 + low);
        i += 2;
    }
    if (charset != "iso-8859-1") return bytes;
    std::string utf8;  // Latin-1 code points are the byte values
    for (unsigned char c : bytes) {
        if (c < 0x80) {
            utf8 += static_cast<char>(c);
        } else {
            utf8 += static_cast<char>(0xC0 | (c >> 6));
            utf8 += static_cast<char>(0x80 | (c & 0x3F));
        }
    }
    return utf8;
}

// RFC 7578 §4.2: a receiver must not use directories from the filename.
std::string base_name(std::string name) {
    auto slash = name.find_last_of("/\\");
    return slash == std::string::npos ? name : name.substr(slash + 1);
}

std::string printable(std::string_view text, std::size_t max = 40) {
    std::string out;
    for (char c : text.substr(0, max)) out += (c == '\r' ? std::string("\\r") : c == '\n' ? std::string("\\n") : std::string(1, c));
    if (text.size() > max) out += "…";
    return out;
}

class Reader {
public:
    Reader(std::string_view body, std::string boundary, const FormLimits& limits, FormError& error)
        : body_(body), dash_boundary_("--" + std::move(boundary)), limits_(limits), error_(error) {}

    std::optional<std::vector<FormPart>> read() {
        std::size_t at = 0;
        if (body_.substr(0, dash_boundary_.size()) != dash_boundary_) {
            auto first = body_.find("\r\n" + dash_boundary_);
            if (first == std::string_view::npos) {
                return fail(400, "the body has no boundary line '" + dash_boundary_ +
                                     "': check that the Content-Type's boundary is the one the body uses");
            }
            at = first + 2;  // the preamble is ignored
        }
        at += dash_boundary_.size();
        std::vector<FormPart> parts;
        while (true) {
            if (body_.substr(at, 2) == "--") return parts;  // the close delimiter; the epilogue is ignored
            while (at < body_.size() && (body_[at] == ' ' || body_[at] == '\t')) ++at;  // transport padding
            if (body_.substr(at, 2) != "\r\n") {
                return fail(400, "a boundary line is followed by '" + printable(body_.substr(at, 10)) +
                                     "' instead of a line break (after part " + std::to_string(parts.size()) + ")");
            }
            at += 2;
            if (parts.size() == limits_.max_parts) {
                return fail(413, "the form has more than " + std::to_string(limits_.max_parts) + " parts");
            }
            const std::size_t number = parts.size() + 1;
            std::size_t data_start = 0;
            std::string_view headers;
            if (body_.substr(at, 2) == "\r\n") {
                data_start = at + 2;
            } else {
                auto end = body_.find("\r\n\r\n", at);
                if (end == std::string_view::npos || end - at > limits_.max_part_header_bytes) {
                    if (end == std::string_view::npos && body_.size() - at <= limits_.max_part_header_bytes) {
                        return fail(400, "part " + std::to_string(number) +
                                             ": the headers never end (no blank line); the body may be cut short");
                    }
                    return fail(413, "part " + std::to_string(number) + ": the headers are longer than " +
                                         std::to_string(limits_.max_part_header_bytes) + " bytes");
                }
                headers = body_.substr(at, end - at);
                data_start = end + 4;
                // RFC 2046: body-part := headers [CRLF *OCTET]. Without that CRLF the part has no
                // body, and the blank line's second CRLF is the next delimiter's own.
                if (body_.compare(end + 2, 2 + dash_boundary_.size(), "\r\n" + dash_boundary_) == 0) {
                    data_start = end + 2;
                }
            }
            FormPart part;
            if (!read_headers(headers, number, part)) return std::nullopt;
            auto next = body_.find("\r\n" + dash_boundary_, data_start);
            if (next == std::string_view::npos) {
                return fail(400, "the body ends inside " + describe(number, part) + ": the closing boundary '" +
                                     dash_boundary_ + "--' is missing; the body may be cut short");
            }
            part.data = body_.substr(data_start, next - data_start);
            if (!part.file_name && part.data.size() > limits_.max_field_bytes) {
                return fail(413, "field '" + part.name + "' (part " + std::to_string(number) + ") is " +
                                     std::to_string(part.data.size()) + " bytes; a field may hold at most " +
                                     std::to_string(limits_.max_field_bytes) + " (send large content as a file)");
            }
            parts.push_back(std::move(part));
            at = next + 2 + dash_boundary_.size();
        }
    }

private:
    static std::string describe(std::size_t number, const FormPart& part) {
        return "part " + std::to_string(number) + (part.name.empty() ? "" : " ('" + part.name + "')");
    }

    std::nullopt_t fail(int status, std::string message) {
        error_.status = status;
        error_.message = std::move(message);
        return std::nullopt;
    }

    bool read_headers(std::string_view block, std::size_t number, FormPart& part) {
        std::vector<std::pair<std::string, std::string>> lines;  // name (lowercase), value
        while (!block.empty()) {
            auto end = block.find("\r\n");
            std::string_view line = block.substr(0, end);
            block = end == std::string_view::npos ? std::string_view{} : block.substr(end + 2);
            if (!line.empty() && (line.front() == ' ' || line.front() == '\t') && !lines.empty()) {
                lines.back().second += " " + std::string(trim(line));  // an obsolete folded line
                continue;
            }
            auto colon = line.find(':');
            if (colon == std::string_view::npos || trim(line.substr(0, colon)).empty()) {
                fail(400, "part " + std::to_string(number) + ": header line '" + printable(line) +
                              "' is not 'Name: value'");
                return false;
            }
            lines.emplace_back(lowercase(trim(line.substr(0, colon))), std::string(trim(line.substr(colon + 1))));
        }
        bool disposed = false;
        for (const auto& [name, value] : lines) {
            if (name == "content-type") {
                part.content_type = value;
            } else if (name == "content-transfer-encoding") {
                const std::string encoding = lowercase(value);
                if (encoding != "7bit" && encoding != "8bit" && encoding != "binary") {
                    fail(400, "part " + std::to_string(number) + ": Content-Transfer-Encoding '" + value +
                                  "' is not supported (RFC 7578 deprecates it); send the bytes as they are");
                    return false;
                }
            } else if (name == "content-disposition" && !disposed) {
                disposed = true;
                if (!read_disposition(value, number, part)) return false;
            }
        }
        if (!disposed) {
            fail(400, "part " + std::to_string(number) +
                          " has no Content-Disposition header; each part needs 'Content-Disposition: form-data; "
                          "name=\"...\"'");
            return false;
        }
        return true;
    }

    bool read_disposition(std::string_view value, std::size_t number, FormPart& part) {
        const auto semicolon = value.find(';');
        const std::string type = lowercase(trim(value.substr(0, semicolon)));
        const std::string where = "part " + std::to_string(number) + ": Content-Disposition";
        if (type != "form-data") {
            fail(400, where + " is '" + type + "'; a form part must be 'form-data'");
            return false;
        }
        std::string why;
        auto list = parameters(semicolon == std::string_view::npos ? std::string_view{} : value.substr(semicolon), why);
        if (!list) {
            fail(400, where + ": " + why);
            return false;
        }
        const Parameter* name = find_parameter(*list, "name");
        if (!name || name->value.empty()) {
            fail(400, where + " has no name parameter (form-data; name=\"...\")");
            return false;
        }
        part.name = unescape_form_quotes(name->value);
        if (const Parameter* extended = find_parameter(*list, "filename*")) {
            auto decoded = extended_value(extended->value, why);
            if (!decoded) {
                fail(400, where + " of '" + part.name + "': " + why);
                return false;
            }
            part.file_name = base_name(std::move(*decoded));
        } else if (const Parameter* file_name = find_parameter(*list, "filename")) {
            part.file_name = base_name(unescape_form_quotes(file_name->value));
        }
        return true;
    }

    std::string_view body_;
    std::string dash_boundary_;
    const FormLimits& limits_;
    FormError& error_;
};

}  // namespace

std::optional<std::string> MultipartForm::boundary_of(std::string_view content_type, std::string& why) {
    const auto semicolon = content_type.find(';');
    const std::string type = lowercase(trim(content_type.substr(0, semicolon)));
    if (type != "multipart/form-data") {
        why = type.empty() ? "the request has no Content-Type; send the form as multipart/form-data"
                           : "the Content-Type is '" + type + "'; send the form as multipart/form-data";
        return std::nullopt;
    }
    auto list = parameters(semicolon == std::string_view::npos ? std::string_view{} : content_type.substr(semicolon), why);
    if (!list) {
        why = "the Content-Type's parameters are malformed: " + why;
        return std::nullopt;
    }
    const Parameter* boundary = find_parameter(*list, "boundary");
    if (!boundary || boundary->value.empty()) {
        why = "the multipart/form-data Content-Type has no boundary parameter";
        return std::nullopt;
    }
    if (boundary->value.size() > max_boundary_length || boundary->value.back() == ' ' ||
        boundary->value.find_first_of("\r\n") != std::string::npos) {
        why = "the boundary '" + printable(boundary->value, 80) +
              "' is not valid: 1 to 70 characters, no line breaks, not ending in a space (RFC 2046)";
        return std::nullopt;
    }
    return boundary->value;
}

std::optional<MultipartForm> MultipartForm::parse(std::string_view content_type, std::string_view body,
                                                  FormError& error, const FormLimits& limits) {
    std::string why;
    auto boundary = boundary_of(content_type, why);
    if (!boundary) {
        error = FormError{400, std::move(why)};
        return std::nullopt;
    }
    auto parts = Reader(body, std::move(*boundary), limits, error).read();
    if (!parts) return std::nullopt;
    MultipartForm form;
    form.parts_ = std::move(*parts);
    return form;
}

const FormPart* MultipartForm::first(std::string_view name) const {
    for (const auto& part : parts_) {
        if (part.name == name) return &part;
    }
    return nullptr;
}

std::vector<const FormPart*> MultipartForm::all(std::string_view name) const {
    std::vector<const FormPart*> out;
    for (const auto& part : parts_) {
        if (part.name == name) out.push_back(&part);
    }
    return out;
}

}  // namespace switchboard::wire
