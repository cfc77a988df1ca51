#include "pictures.h"

#include <stb/stb_image.h>

#include <algorithm>

namespace outpost::ui {

bool is_picture_mime(std::string_view mime) {
    return mime == "image/jpeg" || mime == "image/png" || mime == "image/gif";
}

std::optional<Rgba> decode_picture(std::string_view bytes, int max_side) {
    int w = 0;
    int h = 0;
    int channels = 0;
    // A picture's header can claim any size: refuse more than 64 million pixels before decoding.
    if (stbi_info_from_memory(reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()), &w,
                              &h, &channels) == 0 ||
        static_cast<long long>(w) * h > 64LL * 1000 * 1000) {
        return std::nullopt;
    }
    unsigned char* px = stbi_load_from_memory(reinterpret_cast<const unsigned char*>(bytes.data()),
                                              static_cast<int>(bytes.size()), &w, &h, &channels, 4);
    if (px == nullptr || w <= 0 || h <= 0) {
        if (px != nullptr) {
            stbi_image_free(px);
        }
        return std::nullopt;
    }
    const int step = std::max(1, (std::max(w, h) + max_side - 1) / max_side);  // whole-pixel boxes
    Rgba out;
    out.width = std::max(1, w / step);
    out.height = std::max(1, h / step);
    out.pixels.resize(static_cast<std::size_t>(out.width) * static_cast<std::size_t>(out.height) * 4);
    for (int y = 0; y < out.height; ++y) {
        for (int x = 0; x < out.width; ++x) {
            // A box of up to step x step source pixels, cut at the picture's edges (a 10000 x 1
            // picture has boxes one row high).
            const int box_h = std::min(step, h - y * step);
            const int box_w = std::min(step, w - x * step);
            unsigned sum[4] = {0, 0, 0, 0};
            for (int dy = 0; dy < box_h; ++dy) {
                for (int dx = 0; dx < box_w; ++dx) {
                    const unsigned char* p =
                        px + (static_cast<std::size_t>(y * step + dy) * static_cast<std::size_t>(w) +
                              static_cast<std::size_t>(x * step + dx)) *
                                 4;
                    for (int c = 0; c < 4; ++c) {
                        sum[c] += p[c];
                    }
                }
            }
            unsigned char* o =
                out.pixels.data() +
                (static_cast<std::size_t>(y) * static_cast<std::size_t>(out.width) + static_cast<std::size_t>(x)) * 4;
            const auto count = static_cast<unsigned>(std::max(1, box_w * box_h));
            for (int c = 0; c < 4; ++c) {
                o[c] = static_cast<unsigned char>(sum[c] / count);
            }
        }
    }
    stbi_image_free(px);
    return out;
}

}  // namespace outpost::ui
