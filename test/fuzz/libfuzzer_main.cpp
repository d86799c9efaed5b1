// libFuzzer's entry for the broker target (built only with MOB_FUZZ, by clang).
#include "broker_fuzz.hpp"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    mob::fuzz::run_broker_input({data, size});
    return 0;
}
