#include "process_title.hpp"

#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <string>

extern char** environ;

namespace mob::detail {

void set_process_title(int argc, char** argv, std::string_view title) {
    std::string comm{title.substr(0, 15)};
    ::prctl(PR_SET_NAME, comm.c_str(), 0, 0, 0);
    if (argc <= 0 || argv == nullptr || argv[0] == nullptr)
        return;

    // The area runs from argv[0] through every string laid out right after it.
    char* begin = argv[0];
    char* end = argv[0] + std::strlen(argv[0]) + 1;
    for (int i = 1; i < argc; ++i) {
        if (argv[i] != end)
            break;
        end = argv[i] + std::strlen(argv[i]) + 1;
    }
    if (environ != nullptr) {
        for (int i = 0; environ[i] != nullptr; ++i) {
            if (environ[i] != end)
                break;
            end = environ[i] + std::strlen(environ[i]) + 1;
        }
        // The environment strings may now be overwritten: move them to the heap.
        for (int i = 0; environ[i] != nullptr; ++i) {
            if (environ[i] >= begin && environ[i] < end)
                environ[i] = ::strdup(environ[i]);
        }
    }
    for (int i = 1; i < argc; ++i) {
        if (argv[i] >= begin && argv[i] < end)
            argv[i] = ::strdup(argv[i]);
    }
    auto room = static_cast<std::size_t>(end - begin);
    auto n = std::min(title.size(), room - 1);
    std::memcpy(begin, title.data(), n);
    std::memset(begin + n, 0, room - n);
}

}  // namespace mob::detail
