#include "plugin/file_trust.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <vector>

#include <fmt/format.h>
#include <openssl/evp.h>

namespace switchboard::plugin {

namespace {

// `what` is "file" or "folder <path>", as the reason will show it.
std::optional<std::string> check_one(const std::filesystem::path& path, const std::string& what) {
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0) {
        return fmt::format("cannot stat {} {}: {}", what, path.string(), std::strerror(errno));
    }
    const uid_t me = ::geteuid();
    if (info.st_uid != me && info.st_uid != 0) {
        return fmt::format(
            "{} is owned by uid {}, neither this user (uid {}) nor root: only load code you own; "
            "run `chown {} {}` if you trust it",
            what, info.st_uid, me, me, path.string());
    }
    if ((info.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
        return fmt::format(
            "{} is writable by group or others (mode {:04o}): whoever can write it can run code "
            "in the host; run `chmod go-w {}`",
            what, info.st_mode & 07777, path.string());
    }
    return std::nullopt;
}

std::string digest_failed(const std::filesystem::path& file) {
    return fmt::format("OpenSSL failed computing the sha256 of {}: check the host's OpenSSL (libcrypto) "
                       "installation, then load the plugin again",
                       file.string());
}

}  // namespace

std::optional<std::string> trust_problem(const std::filesystem::path& file) {
    if (auto problem = check_one(file, "file")) return problem;

    std::vector<std::filesystem::path> folders{file.has_parent_path() ? file.parent_path() : "."};
    std::error_code ec;
    auto real = std::filesystem::canonical(file, ec);
    if (!ec && real.parent_path() != std::filesystem::absolute(folders.front()).lexically_normal()) {
        folders.push_back(real.parent_path());
    }
    for (const auto& folder : folders) {
        if (auto problem = check_one(folder, "folder " + folder.string())) return problem;
    }
    // Whoever can write an ancestor can rename the plugin folder away and put another in its
    // place. World-writable ancestors are refused unless sticky (like /tmp, where only owners
    // may rename); group-writable ones are allowed (e.g. a setgid /usr/local of group staff).
    auto canonical_folder = std::filesystem::weakly_canonical(std::filesystem::absolute(folders.back()), ec);
    for (auto dir = canonical_folder.parent_path(); !ec && !dir.empty(); dir = dir.parent_path()) {
        struct stat info {};
        if (::stat(dir.c_str(), &info) == 0 && (info.st_mode & S_IWOTH) != 0 && (info.st_mode & S_ISVTX) == 0) {
            return fmt::format(
                "folder {} above the plugin is writable by anyone (mode {:04o}) without the sticky bit: "
                "anyone could swap the plugin folder; run `chmod o-w {}`",
                dir.string(), info.st_mode & 07777, dir.string());
        }
        if (dir == dir.root_path()) break;
    }
    return std::nullopt;
}

Result<std::string> sha256_of_file(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        return Error::make(ErrorKind::internal,
                           fmt::format("cannot read {} to hash it: {}", file.string(), std::strerror(errno)));
    }
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    if (!context || EVP_DigestInit_ex(context.get(), EVP_sha256(), nullptr) != 1) {
        return Error::make(ErrorKind::internal,
                           fmt::format("OpenSSL could not start a sha256 digest to hash {}: check that the "
                                       "host's OpenSSL (libcrypto) is installed and supports sha256",
                                       file.string()));
    }
    std::array<char, 64 * 1024> buffer{};
    while (in) {
        in.read(buffer.data(), buffer.size());
        if (in.gcount() > 0 &&
            EVP_DigestUpdate(context.get(), buffer.data(), static_cast<std::size_t>(in.gcount())) != 1) {
            return Error::make(ErrorKind::internal, digest_failed(file));
        }
    }
    if (in.bad()) {
        return Error::make(ErrorKind::internal,
                           fmt::format("reading {} failed while hashing it: check that the file is readable "
                                       "and the disk is healthy",
                                       file.string()));
    }
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    if (EVP_DigestFinal_ex(context.get(), digest.data(), &length) != 1) {
        return Error::make(ErrorKind::internal, digest_failed(file));
    }
    std::string hex;
    hex.reserve(length * 2);
    for (unsigned int i = 0; i < length; ++i) hex += fmt::format("{:02x}", digest[i]);
    return hex;
}

}  // namespace switchboard::plugin
