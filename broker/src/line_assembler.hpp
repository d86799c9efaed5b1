// Turns the bytes a worker writes to one of its pipes into lines: reads come in any
// size, so a partial line waits for the rest (bounded: a line longer than the limit is
// cut, marked, and the rest of it dropped up to its newline); every line is escaped
// (mob::escape_log_text) before it leaves.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace mob::detail {

class line_assembler {
  public:
    /// What a cut line ends with.
    static constexpr std::string_view cut_mark = " [mob: line cut]";

    explicit line_assembler(std::size_t max_line) : max_line_(max_line) {}

    /// Takes `bytes`; calls `emit(std::string line)` for each line they complete.
    template <typename F>
    void feed(std::string_view bytes, F&& emit) {
        while (!bytes.empty()) {
            auto nl = bytes.find('\n');
            auto piece = bytes.substr(0, nl);
            if (cutting_) {
                // The rest of a line already cut: dropped up to its newline.
            } else if (partial_.size() + piece.size() > max_line_) {
                partial_.append(piece.substr(0, max_line_ - partial_.size()));
                emit(finish(true));
                cutting_ = true;
                ++cut_;
            } else {
                partial_.append(piece);
            }
            if (nl == std::string_view::npos)
                return;
            if (!cutting_)
                emit(finish(false));
            cutting_ = false;
            bytes.remove_prefix(nl + 1);
        }
    }

    /// At end of file: the partial line, if any, as a line.
    template <typename F>
    void flush(F&& emit) {
        if (!partial_.empty() && !cutting_)
            emit(finish(false));
        partial_.clear();
        cutting_ = false;
    }

    /// Lines cut so far.
    std::uint64_t cut() const { return cut_; }

  private:
    std::string finish(bool cut);

    std::size_t max_line_;
    std::string partial_;
    bool cutting_ = false;
    std::uint64_t cut_ = 0;
};

}  // namespace mob::detail
