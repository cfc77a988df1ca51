// xshot: saves the whole screen of the X display in $DISPLAY as a PNG, for the real-input window test
// (tests/ui/real_input.sh), which drives the client with X events and must see what a person sees.
//   xshot OUT.png      exit 0 saved; 1 no display or cannot write; 2 usage
#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <stb/stb_image_write.h>

#include <cstdio>
#include <vector>

namespace {

unsigned channel(unsigned long pixel, unsigned long mask) {
    if (mask == 0) {
        return 0;
    }
    int shift = 0;
    while (((mask >> shift) & 1UL) == 0) {
        ++shift;
    }
    const unsigned long max = mask >> shift;
    return static_cast<unsigned>(((pixel & mask) >> shift) * 255UL / max);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: xshot OUT.png\n");
        return 2;
    }
    Display* display = XOpenDisplay(nullptr);
    if (display == nullptr) {
        std::fprintf(stderr, "xshot: cannot open the display\n");
        return 1;
    }
    const Window root = DefaultRootWindow(display);
    XWindowAttributes attrs{};
    XGetWindowAttributes(display, root, &attrs);
    XImage* image = XGetImage(display, root, 0, 0, static_cast<unsigned>(attrs.width),
                              static_cast<unsigned>(attrs.height), AllPlanes, ZPixmap);
    if (image == nullptr) {
        std::fprintf(stderr, "xshot: cannot read the screen\n");
        XCloseDisplay(display);
        return 1;
    }
    std::vector<unsigned char> rgb(static_cast<std::size_t>(attrs.width) * static_cast<std::size_t>(attrs.height) * 3U);
    for (int y = 0; y < attrs.height; ++y) {
        for (int x = 0; x < attrs.width; ++x) {
            const unsigned long p = XGetPixel(image, x, y);
            unsigned char* out = &rgb[(static_cast<std::size_t>(y) * static_cast<std::size_t>(attrs.width) +
                                       static_cast<std::size_t>(x)) *
                                      3U];
            out[0] = static_cast<unsigned char>(channel(p, image->red_mask));
            out[1] = static_cast<unsigned char>(channel(p, image->green_mask));
            out[2] = static_cast<unsigned char>(channel(p, image->blue_mask));
        }
    }
    const int ok = stbi_write_png(argv[1], attrs.width, attrs.height, 3, rgb.data(), attrs.width * 3);
    XDestroyImage(image);
    XCloseDisplay(display);
    if (ok == 0) {
        std::fprintf(stderr, "xshot: cannot write %s\n", argv[1]);
        return 1;
    }
    return 0;
}
