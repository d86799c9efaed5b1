// Just enough HTTP/1.0 for the shop's front and its health port: bind, accept, read the
// request line, answer with a status and a text body. One connection at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace shop {

struct http_response {
    int status = 200;
    std::string body;
};

class http_server {
  public:
    /// Binds 0.0.0.0:`port` (SO_REUSEADDR, so a restarted container binds again at once;
    /// 0: a free port the kernel picks, which port() then tells).
    /// Throws std::runtime_error naming the port if it cannot.
    explicit http_server(std::uint16_t port);
    http_server(const http_server&) = delete;
    http_server& operator=(const http_server&) = delete;
    ~http_server();

    /// Answers requests with `handle(path)` until `stopping()` is true (checked at least
    /// every 100 ms).
    void serve(const std::function<bool()>& stopping,
               const std::function<http_response(const std::string& path)>& handle);

    std::uint16_t port() const { return port_; }

  private:
    int fd_ = -1;
    std::uint16_t port_ = 0;
};

/// The status of GET `path` on 127.0.0.1:`port`, or 0 if there was no answer within
/// `timeout_s` seconds (refused, closed, silent).
int http_status(std::uint16_t port, const std::string& path, int timeout_s);

/// $`name` as a port number (0: any free one), else `fallback`; throws
/// std::runtime_error if it is not one.
std::uint16_t port_from_env(const char* name, std::uint16_t fallback);

}  // namespace shop
