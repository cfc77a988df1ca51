// Pictures (ui/src/pictures.h): attachments decoded with stb_image and shrunk for thumbnails.
#include "pictures.h"

#include <doctest/doctest.h>
#include <stb/stb_image_write.h>

#include <string>
#include <vector>

using namespace outpost::ui;

namespace {

// A PNG of `w` x `h` pixels, all of one colour, in memory.
std::string png(int w, int h, unsigned char r, unsigned char g, unsigned char b) {
    std::vector<unsigned char> px(static_cast<std::size_t>(w * h * 3));
    for (std::size_t i = 0; i < px.size(); i += 3) {
        px[i] = r;
        px[i + 1] = g;
        px[i + 2] = b;
    }
    std::string out;
    REQUIRE(stbi_write_png_to_func(
                [](void* ctx, void* data, int size) {
                    static_cast<std::string*>(ctx)->append(static_cast<const char*>(data),
                                                           static_cast<std::size_t>(size));
                },
                &out, w, h, 3, px.data(), w * 3) != 0);
    return out;
}

}  // namespace

TEST_CASE("Pictures: a PNG is decoded and shrunk to fit, keeping its colour and shape") {
    const auto pic = decode_picture(png(400, 200, 200, 40, 10), 96);
    REQUIRE(pic.has_value());
    CHECK(pic->width <= 96);
    CHECK(pic->height <= 96);
    CHECK(pic->width == 2 * pic->height);
    REQUIRE(pic->pixels.size() == static_cast<std::size_t>(pic->width * pic->height * 4));
    CHECK(pic->pixels[0] == 200);
    CHECK(pic->pixels[1] == 40);
    CHECK(pic->pixels[2] == 10);
    CHECK(pic->pixels[3] == 255);
    const auto small = decode_picture(png(20, 10, 1, 2, 3), 96);  // small ones stay as they are
    REQUIRE(small.has_value());
    CHECK(small->width == 20);
    CHECK(small->height == 10);
}

TEST_CASE("Pictures: bytes that are not a picture give no picture, and nothing breaks") {
    CHECK_FALSE(decode_picture("%PDF-1.7 not a picture", 96).has_value());
    CHECK_FALSE(decode_picture("", 96).has_value());
    std::string cut = png(64, 64, 9, 9, 9);
    cut.resize(cut.size() / 3);  // a truncated file
    const auto broken = decode_picture(cut, 96);
    CHECK((!broken.has_value() || broken->width == 64));  // stb may fill a cut PNG; never crashes
    CHECK(is_picture_mime("image/jpeg"));
    CHECK_FALSE(is_picture_mime("application/pdf"));
}

TEST_CASE("Pictures: regression - a very thin picture was read past its end when shrunk") {
    const auto thin = decode_picture(png(10000, 1, 7, 8, 9), 96);
    REQUIRE(thin.has_value());
    CHECK(thin->width <= 96);
    CHECK(thin->height == 1);
    CHECK(thin->pixels[0] == 7);
    CHECK(thin->pixels[2] == 9);
    const auto tall = decode_picture(png(3, 5000, 1, 2, 3), 96);
    REQUIRE(tall.has_value());
    CHECK(tall->width == 1);
    CHECK(tall->height <= 96);
}

TEST_CASE("Pictures: a JPEG from a camera is decoded too") {
    std::vector<unsigned char> px(64 * 48 * 3, 0);
    for (std::size_t i = 0; i < px.size(); i += 3) {
        px[i] = 220;  // a red wall
    }
    std::string jpg;
    REQUIRE(stbi_write_jpg_to_func(
                [](void* ctx, void* data, int size) {
                    static_cast<std::string*>(ctx)->append(static_cast<const char*>(data),
                                                           static_cast<std::size_t>(size));
                },
                &jpg, 64, 48, 3, px.data(), 90) != 0);
    REQUIRE(jpg.substr(0, 2) == "\xFF\xD8");
    const auto pic = decode_picture(jpg, 32);
    REQUIRE(pic.has_value());
    CHECK(pic->width == 32);
    CHECK(pic->height == 24);
    CHECK(pic->pixels[0] > 180);  // still red, give or take JPEG's loss
    CHECK(pic->pixels[1] < 60);
}
