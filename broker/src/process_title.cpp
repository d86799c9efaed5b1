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
    // The area, found on the first call and kept: a worker forked by the fork server
    // sets its title again over the server's, in the same area.
    static char* begin = nullptr;
    static std::size_t room = 0;
    if (begin == nullptr) {
        if (argc <= 0 || argv == nullptr || argv[0] == nullptr)
            return;
        // The area runs from argv[0] through every string laid out right after it.
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
        }
        begin = argv[0];
        room = static_cast<std::size_t>(end - begin);
        // What lies in the area is about to be overwritten: argv (argv[0] too, so the
        // program still finds its own name there) and the environment move to the heap.
        if (environ != nullptr) {
            for (int i = 0; environ[i] != nullptr; ++i) {
                if (environ[i] >= begin && environ[i] < end)
                    environ[i] = ::strdup(environ[i]);
            }
        }
        for (int i = 0; i < argc; ++i) {
            if (argv[i] >= begin && argv[i] < end)
                argv[i] = ::strdup(argv[i]);
        }
    }
    auto n = std::min(title.size(), room - 1);
    std::memcpy(begin, title.data(), n);
    std::memset(begin + n, 0, room - n);
}

}  // namespace mob::detail
