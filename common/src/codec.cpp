#include "mob/codec.hpp"

#include <cxxabi.h>

#include <cstdlib>
#include <memory>

namespace mob::detail {

std::string demangle(const char* mangled) {
    int status = 0;
    std::unique_ptr<char, void (*)(void*)> out{
        abi::__cxa_demangle(mangled, nullptr, nullptr, &status), std::free};
    if (status != 0 || !out) return mangled;
    std::string name{out.get()};
    // libstdc++ spells std::string out in full; say it the way people write it.
    const std::string long_string =
        "std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >";
    for (auto pos = name.find(long_string); pos != std::string::npos;
         pos = name.find(long_string, pos)) {
        name.replace(pos, long_string.size(), "std::string");
    }
    return name;
}

}  // namespace mob::detail
