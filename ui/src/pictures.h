// Pictures: JPEG and PNG attachments decoded for the screen with stb_image (Debian's libstb), and
// shrunk to fit a thumbnail or the viewer. Pure functions; any thread.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

namespace outpost::ui {

struct Rgba {
    int width = 0;
    int height = 0;
    std::vector<unsigned char> pixels;  // width * height * 4
};

// Decodes an image and shrinks it (box filter) so neither side passes `max_side`; nothing when the
// bytes are not an image stb_image reads.
[[nodiscard]] std::optional<Rgba> decode_picture(std::string_view bytes, int max_side);
[[nodiscard]] bool is_picture_mime(std::string_view mime);

}  // namespace outpost::ui
