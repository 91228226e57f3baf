#include "wire/mime.hpp"

#include <algorithm>
#include <cctype>
#include <string_view>
#include <utility>

namespace switchboard::wire {

std::string mime_type_for(const std::filesystem::path& file) {
    std::string ext = file.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
    static const std::pair<std::string_view, std::string_view> known[] = {
        {".pdf", "application/pdf"},  {".txt", "text/plain"},       {".md", "text/markdown"},
        {".markdown", "text/markdown"}, {".html", "text/html"},     {".htm", "text/html"},
        {".json", "application/json"}, {".csv", "text/csv"},
        {".doc", "application/msword"},
        {".docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
        {".pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"},
        {".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
        {".png", "image/png"},        {".jpg", "image/jpeg"},       {".jpeg", "image/jpeg"},
    };
    for (auto [e, mime] : known) {
        if (e == ext) return std::string(mime);
    }
    return "application/octet-stream";
}

}  // namespace switchboard::wire
