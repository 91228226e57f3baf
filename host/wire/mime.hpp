#pragma once

#include <filesystem>
#include <string>

namespace switchboard::wire {

// The MIME type a document upload carries, from its file name's extension (case-insensitive);
// "application/octet-stream" when the extension is unknown.
std::string mime_type_for(const std::filesystem::path& file);

}  // namespace switchboard::wire
