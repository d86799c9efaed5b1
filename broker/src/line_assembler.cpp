#include "line_assembler.hpp"

#include "mob/log_line.hpp"

namespace mob::detail {

std::string line_assembler::finish(bool cut) {
    auto line = escape_log_text(partial_);
    partial_.clear();
    if (cut)
        line += cut_mark;
    return line;
}

}  // namespace mob::detail
