#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace switchboard::wire {

// One part of a multipart/form-data body.
struct FormPart {
    std::string name;                      // Content-Disposition name, unescaped
    std::optional<std::string> file_name;  // filename* (RFC 5987) or filename, directories stripped;
                                           // nullopt for a plain field
    std::string content_type;              // the part's Content-Type as sent; "" when absent
    std::string_view data;                 // the part's bytes: a view into the parsed body
};

struct FormLimits {
    std::size_t max_parts = 1000;
    std::size_t max_part_header_bytes = 16 * 1024;  // one part's header block
    std::size_t max_field_bytes = 1024 * 1024;      // a part without a filename
};

// Why a body was refused: 400 when it is malformed, 413 past a limit. The message names the
// part (by number and name) and what is wrong.
struct FormError {
    int status = 400;
    std::string message;
};

// A multipart/form-data body read as RFC 7578 (and RFC 2046 for the framing) says: boundary
// quoted or not, preamble and epilogue ignored, header names in any case, folded header lines,
// names and filenames as quoted strings (backslash escapes, and the %22 %0D %0A that browsers
// and Node's FormData write) or tokens, filename* in UTF-8 or ISO-8859-1. A deprecated
// Content-Transfer-Encoding other than 7bit/8bit/binary is refused rather than guessed at.
class MultipartForm {
public:
    // Parts are views into `body`, which must outlive the form. On failure `error` says why.
    static std::optional<MultipartForm> parse(std::string_view content_type, std::string_view body,
                                              FormError& error, const FormLimits& limits = {});

    // The boundary parameter of a multipart/form-data Content-Type; nullopt with `why` set when
    // the type is another one or the boundary is missing or malformed.
    static std::optional<std::string> boundary_of(std::string_view content_type, std::string& why);

    const std::vector<FormPart>& parts() const noexcept { return parts_; }
    const FormPart* first(std::string_view name) const;         // nullptr when absent
    std::vector<const FormPart*> all(std::string_view name) const;  // in body order

private:
    std::vector<FormPart> parts_;
};

}  // namespace switchboard::wire
