// The shop's front role: serves HTTP (port $SHOP_HTTP_PORT, default 1337) and, for
// GET /factor/N, calls the back role twice: `factor` with a result, and `primes_below`
// with a callback that the back runs here. Any front and any back may serve a request:
// the broker picks the least recently used back.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <charconv>
#include <cstdio>
#include <future>
#include <memory>
#include <optional>

#include "health.hpp"
#include "roles.hpp"

using namespace std::chrono_literals;

namespace shop {

namespace {

constexpr auto call_timeout = 10s;

std::optional<std::uint64_t> number_in(const std::string& text) {
    std::uint64_t n = 0;
    auto [at, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (text.empty() || ec != std::errc{} || at != text.data() + text.size())
        return std::nullopt;
    return n;
}

struct counted {
    std::uint64_t primes = 0;
    std::string by;
};

http_response factor_page(mob::worker& w, const mob::proxy& back, std::uint64_t n) {
    // Counting primes answers through a callback, run on this worker when the back
    // calls it; the promise is shared because it may come after this request gave up.
    auto count = std::make_shared<std::promise<counted>>();
    auto counted_later = count->get_future();
    if (n <= primes_limit) {
        back.cast("primes_below", n,
                  mob::callback<void(std::uint64_t, std::string)>{
                      [count](std::uint64_t primes, std::string by) {
                          count->set_value({primes, std::move(by)});
                      },
                      call_timeout});
    }

    auto factors = back.call(factor, n).get(call_timeout);
    if (!factors)
        return {502, fmt::format("factor {}: {}\n", n, factors.error().message)};
    std::string body = fmt::format("{} = {} (factored by {})\n", n, fmt::join(*factors, " x "),
                                   factors.served_by());
    if (n > primes_limit) {
        body += fmt::format("primes below {}: not counted (at most {})\n", n, primes_limit);
    } else if (counted_later.wait_for(call_timeout) != std::future_status::ready) {
        return {502, body + fmt::format("primes below {}: no callback within {} s\n", n,
                                        call_timeout.count())};
    } else {
        auto c = counted_later.get();
        body += fmt::format("{} primes below {} (counted by {})\n", c.primes, n, c.by);
    }
    fmt::print("front {} served /factor/{}\n", w.id(), n);
    std::fflush(stdout);
    return {200, body};
}

}  // namespace

void front_main(mob::worker& w) {
    http_server http{port_from_env("SHOP_HTTP_PORT", 1337)};
    health_port health{port_from_env("SHOP_HEALTH_PORT", 8081), w};

    // Idempotent: a back that dies with a call in flight costs a retry on another back,
    // not an error; the result names the back that served it.
    auto back =
        w.require("back", {.timeout = call_timeout, .idempotent = true, .report_server = true});

    fmt::print("front {} serving http://0.0.0.0:{}/factor/N (health port {})\n", w.id(),
               http.port(), health.port());
    std::fflush(stdout);
    w.ready();
    http.serve([&w] { return w.stopping(); },
               [&](const std::string& path) -> http_response {
                   constexpr std::string_view prefix = "/factor/";
                   if (!path.starts_with(prefix))
                       return {404, "try /factor/N, e.g. /factor/360\n"};
                   auto n = number_in(path.substr(prefix.size()));
                   if (!n || *n < 2)
                       return {400, "N must be a whole number of at least 2\n"};
                   return factor_page(w, back, *n);
               });
}

}  // namespace shop
